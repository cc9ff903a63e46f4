/**
 * The archiver's backpressure: pulling waits while buffered rows are at the memory
 * budget (flushing them meanwhile) or staged files are at the staging budget (JetStream
 * keeps the data meanwhile). Drives the `archiver_backpressure` gauge; called once per
 * pull, never per message.
 */
import { type ArchiverOptions, sleep } from "./options.ts";
import type { Uploader } from "./uploader.ts";

/** What the waits read from the archiver that owns them. */
export interface CapacityHost {
  bufferedBytes(): number;
  budget(): number;
  stopped(): boolean;
  failed(): boolean;
  /** Seal and queue every open buffer for writing (not awaited). */
  flushAll(): void;
}

export class Capacity {
  #memoryWait = false;
  /** True while pulling is paused for the staging budget. */
  paused = false;

  constructor(
    private readonly o: ArchiverOptions,
    private readonly uploader: Uploader,
    private readonly host: CapacityHost,
  ) {}

  /** Wait while buffers are at the memory budget: flush them and fetch nothing meanwhile. */
  async #waitForMemory(signal: AbortSignal): Promise<void> {
    const a = this.host;
    while (a.bufferedBytes() >= a.budget() && !signal.aborted && !a.stopped() && !a.failed()) {
      if (!this.#memoryWait) {
        this.#memoryWait = true;
        this.o.metrics.backpressure.set(1);
        this.o.log.info("buffers at the memory budget ({bytes} of {max} bytes): pulling waits for the flush", {
          bytes: a.bufferedBytes(),
          max: a.budget(),
        });
      }
      a.flushAll();
      await sleep(20, signal);
    }
    if (this.#memoryWait) {
      this.#memoryWait = false;
      if (!this.paused) this.o.metrics.backpressure.set(0);
    }
  }

  /** Wait while the memory or the staging budget is full (JetStream keeps the data meanwhile). */
  async wait(signal: AbortSignal): Promise<void> {
    await this.#waitForMemory(signal);
    while (this.uploader.stagedBytes >= this.o.stagingMaxBytes && !signal.aborted && !this.host.stopped()) {
      if (!this.paused) {
        this.paused = true;
        this.o.metrics.backpressure.set(1);
        this.o.log.warn("staging budget full ({bytes} of {max} bytes, {files} files pending for {target}): pulling paused", {
          bytes: this.uploader.stagedBytes,
          max: this.o.stagingMaxBytes,
          files: this.uploader.pending,
          target: this.o.target.description,
        });
      }
      await sleep(200, signal);
    }
    if (this.paused) {
      this.paused = false;
      this.o.metrics.backpressure.set(0);
      this.o.log.info("staging below budget again: pulling resumed");
    }
  }
}
