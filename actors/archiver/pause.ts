/**
 * Test knob (ARCHIVE_TEST_PAUSE_AT / ARCHIVE_TEST_PAUSE_AFTER): freeze the archiver at
 * a named point so a test can kill -9 it there deterministically.
 *
 * - append: rows of a message are in a buffer, nothing flushed;
 * - copy:   COPY wrote the temporary Parquet file, not yet renamed into staging;
 * - upload: an upload is under way (after the first part of a multipart upload);
 * - ack:    a file is durable at the target, its messages not yet acked.
 */
export const PAUSE_POINTS = ["append", "copy", "upload", "ack"] as const;
export type PausePoint = (typeof PAUSE_POINTS)[number];

export class PauseKnob {
  #count = 0;
  constructor(
    private readonly point?: PausePoint,
    private readonly after = 1,
    /** Told when the pause starts (the standalone runner prints `PAUSED <point>`). */
    private readonly onPause: (p: PausePoint) => void = () => {},
  ) {}

  /** Returns at once unless this is the configured point's n-th visit; then never returns. */
  async at(point: PausePoint): Promise<void> {
    if (point !== this.point || ++this.#count !== this.after) return;
    this.onPause(point);
    await new Promise<never>(() => {});
  }
}
