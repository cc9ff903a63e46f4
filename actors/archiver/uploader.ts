/**
 * Moves staged files to the target, oldest first, a few at a time, retrying each with
 * exponential backoff (cockatiel) until it succeeds or the uploader is stopped. While
 * the target is down files wait in staging; {@link Uploader.stagedBytes} is what the
 * archiver compares with its disk budget to stop pulling.
 */
import type { Logger } from "@logtape/logtape";
import { ExponentialBackoff, handleAll, isTaskCancelledError, retry, type RetryPolicy } from "cockatiel";
import type { StagedFile } from "./staging.ts";
import type { Target } from "../../lib/lake/target.ts";

export interface UploaderOptions {
  concurrency: number;
  /** Longest wait between two attempts of one file. */
  maxBackoffMs: number;
  log: Logger;
  /** Called when a file is durable at the target (before its staging copy is gone). */
  onDurable(f: StagedFile): Promise<void>;
  /** Called on every failed attempt. */
  onFailure?(f: StagedFile, err: unknown): void;
  /** Called when something other than the upload itself fails (a bug or a local disk error). */
  onFatal(err: unknown): void;
}

export class Uploader {
  #queue: StagedFile[] = [];
  #active = new Set<StagedFile>();
  #bytes = 0;
  #abort = new AbortController();
  #policy: RetryPolicy;
  #idle: Array<() => void> = [];
  #failing = false;

  constructor(private readonly target: Target, private readonly o: UploaderOptions) {
    this.#policy = retry(handleAll, {
      maxAttempts: Number.MAX_SAFE_INTEGER,
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: o.maxBackoffMs }),
    });
  }

  /** Bytes of staged files not yet durable at the target. */
  get stagedBytes(): number {
    return this.#bytes;
  }
  /** Files waiting or uploading. */
  get pending(): number {
    return this.#queue.length + this.#active.size;
  }

  enqueue(f: StagedFile): void {
    this.#bytes += f.bytes;
    this.#queue.push(f);
    this.#pump();
  }

  #pump(): void {
    while (this.#active.size < this.o.concurrency && this.#queue.length > 0 && !this.#abort.signal.aborted) {
      const f = this.#queue.shift()!;
      this.#active.add(f);
      void this.#upload(f).catch((e) => this.o.onFatal(e)).finally(() => {
        this.#active.delete(f);
        this.#pump();
        if (this.pending === 0) for (const w of this.#idle.splice(0)) w();
      });
    }
  }

  async #upload(f: StagedFile): Promise<void> {
    f.state = "uploading";
    try {
      await this.#policy.execute(async ({ signal, attempt }) => {
        try {
          await this.target.put(f.path, f.key, signal);
        } catch (e) {
          this.o.onFailure?.(f, e);
          if (!this.#failing || attempt % 20 === 0) {
            this.o.log.warn("upload of {key} to {target} failed (attempt {attempt}), retrying; {pending} files, {bytes} bytes pending in staging: {error}", {
              key: f.key,
              target: this.target.description,
              attempt,
              pending: this.pending,
              bytes: this.#bytes,
              error: (e as Error).message,
            });
          }
          this.#failing = true;
          throw e;
        }
      }, this.#abort.signal);
    } catch (e) {
      if (isTaskCancelledError(e) || this.#abort.signal.aborted) {
        f.state = "staged"; // stays in staging; the next run uploads it
        return;
      }
      throw e;
    }
    if (this.#failing) {
      this.#failing = false;
      this.o.log.info("{target} reachable again; {pending} files pending", { target: this.target.description, pending: this.pending - 1 });
    }
    f.state = "done";
    this.#bytes -= f.bytes;
    await this.o.onDurable(f);
  }

  /** Resolves true when nothing is pending, false if `timeoutMs` passes first. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Abort retries and waits; files not yet durable stay in staging. */
  stop(): void {
    this.#abort.abort();
  }
}
