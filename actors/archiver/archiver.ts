/**
 * The archiver's core: bus messages in, Parquet files out, acks only for rows that are
 * durable at the target. No NATS here: it takes {@link Delivery} values, so tests
 * drive it directly.
 *
 * Flow: decode → rows appended to the buffer of their partition (DuckDB table) →
 * flush (every ARCHIVE_FLUSH_INTERVAL or ARCHIVE_FLUSH_ROWS rows per partition) →
 * COPY to a temporary file in staging, fsync, rename to `<first>-<last>.parquet` →
 * upload (or rename into a local lake) with retries → ack every message whose rows
 * are now all durable.
 *
 * Exactly once: a first delivery cannot be in any file; a redelivered message is
 * looked up in the durable files of its partition by sequence (see durable-index.ts)
 * and acked without writing if found. Retried uploads rewrite the same object name.
 * A "first" delivery of a sequence at or below the highest this process has seen on the
 * same consumer is treated as a redelivery: a nats-server killed with -9 can come back
 * with its consumer state behind what it delivered, and deliver messages again with a
 * delivery count of 1.
 */
import { mkdir } from "node:fs/promises";
import type { TimerHandle } from "../runtime/mod.ts";
import { PartitionBuffer } from "./buffer.ts";
import type { Dataset, Part } from "../../lib/lake/datasets.ts";
import { type Decoder, InlineDecoder } from "./decoder.ts";
import { type Durable, DurableIndex, lookupKey } from "./durable-index.ts";
import { type Delivery, Held } from "./held.ts";
import { PauseKnob } from "./pause.ts";
import { recoverStaged, type StagedFile, stageBuffer } from "./staging.ts";
import { Uploader } from "./uploader.ts";
import { type ArchiverOptions, EMPTY } from "./options.ts";
import { Capacity } from "./capacity.ts";
import { datasetLabels as labels } from "./metrics.ts";

export type { ArchiverOptions } from "./options.ts";

/** Partitions written at once by the final flush at stop. */
const STOP_WRITERS = 16;

export class Archiver {
  #buffers = new Map<string, PartitionBuffer>();
  #creating = new Map<string, Promise<PartitionBuffer>>();
  #held = new Map<number, Held>();
  readonly #unhold = (h: Held): void => void this.#held.delete(h.seq);
  /** Highest stream sequence delivered to this process, per dataset (consumer). */
  #highest = new Map<string, number>();
  #rollbackWarned = false;
  /** Estimated bytes of rows in open buffers, and in sealed buffers not yet written out. */
  #openBytes = 0;
  #sealedBytes = 0;
  #flushChain: Promise<void> = Promise.resolve();
  #timer: TimerHandle | undefined;
  #lastKeepAlive = 0;
  #stopped = false;
  #failed = false;
  readonly index: DurableIndex;
  readonly uploader: Uploader;
  private readonly pause: PauseKnob;
  private readonly decoder: Decoder;
  readonly #capacity: Capacity;

  private constructor(private readonly o: ArchiverOptions) {
    this.pause = o.pause ?? new PauseKnob();
    this.decoder = o.decoder ?? new InlineDecoder();
    this.index = new DurableIndex(o.target, o.writer, o.cacheDir);
    this.uploader = new Uploader(o.target, {
      concurrency: o.uploadConcurrency,
      maxBackoffMs: o.uploadMaxBackoffMs,
      log: o.log,
      onDurable: (f) => this.#durable(f),
      onFailure: () => o.metrics.uploadFailures.inc(),
      onFatal: (e) => this.#fatal(e),
    });
    this.#capacity = new Capacity(o, this.uploader, {
      bufferedBytes: () => this.bufferedBytes,
      budget: () => this.#budget,
      stopped: () => this.#stopped,
      failed: () => this.#failed,
      flushAll: () => void this.#flushAll(),
    });
  }

  /** Recover staged files of a previous run (queued for upload) and start the flush timer. */
  static async create(o: ArchiverOptions): Promise<Archiver> {
    await mkdir(o.stagingDir, { recursive: true });
    const a = new Archiver(o);
    const staged = await recoverStaged(o.stagingDir, o.writer, o.log);
    if (staged.length) o.log.info("{n} staged files from a previous run queued for upload", { n: staged.length });
    for (const f of staged) {
      a.index.addStaged(f);
      a.uploader.enqueue(f);
    }
    a.#schedule();
    return a;
  }

  /** Decode, place and (when nothing is left to write) ack a batch of deliveries of one dataset. */
  async ingest(ds: Dataset, batch: Delivery[]): Promise<void> {
    const decoded = await this.decoder.decode(ds, batch.map((d) => d.data));
    const redelivered: Array<{ d: Delivery; parts: Part[] }> = [];
    let highest = this.#highest.get(ds.name) ?? 0;
    for (let i = 0; i < batch.length; i++) {
      const d = batch[i]!;
      const r = decoded[i]!;
      // The bytes are a view on the client's read buffer: drop them so held messages do not keep it alive.
      d.data = EMPTY;
      if (!r.ok) {
        this.o.metrics.malformed.inc(labels(ds.name));
        this.o.log.warn("malformed {dataset} message seq {seq} on {subject} termed: {error}", {
          dataset: ds.name,
          seq: d.seq,
          subject: d.subject,
          error: r.error,
        });
        d.term(r.error);
        continue;
      }
      this.o.metrics.messagesIn.inc(labels(ds.name));
      if (r.parts.length === 0) {
        d.ack();
        continue;
      }
      const h = this.#held.get(d.seq);
      if (h) {
        h.deliveries.push(d); // a redelivery of a message we still hold: ack both later
        continue;
      }
      const seen = d.seq <= highest;
      highest = Math.max(highest, d.seq);
      if (d.deliveryCount > 1 || seen) {
        if (d.deliveryCount === 1 && !this.#rollbackWarned) {
          this.#rollbackWarned = true;
          this.o.log.warn("{dataset} message seq {seq} delivered as new though this archiver already had seq {highest}: the consumer's state went back (nats-server restarted?); checking such messages against the lake", {
            dataset: ds.name,
            seq: d.seq,
            highest,
          });
        }
        redelivered.push({ d, parts: r.parts });
        continue;
      }
      await this.#place(ds, d, r.parts);
      await this.pause.at("append");
    }
    this.#highest.set(ds.name, highest);
    if (redelivered.length) await this.#placeRedelivered(ds, redelivered);
    // Flush early when unacked messages or buffered bytes run high, but not again while an
    // early flush is still being written: re-sealing every buffer on each batch would turn
    // a slow COPY into a stream of tiny files.
    const high = this.#held.size >= this.o.maxUnacked || this.#openBytes * 2 >= this.#budget;
    if (high && this.#sealedBytes === 0) void this.#flushAll();
  }

  async #placeRedelivered(ds: Dataset, items: Array<{ d: Delivery; parts: Part[] }>): Promise<void> {
    let found: Map<string, Durable>;
    try {
      found = await this.index.lookup(items.flatMap(({ d, parts }) => parts.map((p) => ({ seq: d.seq, partition: p.key }))));
    } catch (e) {
      // Cannot tell whether they are durable (target unreachable): try again later.
      this.o.log.warn("cannot check {n} redelivered {dataset} messages against the lake, retrying later: {error}", {
        n: items.length,
        dataset: ds.name,
        error: (e as Error).message,
      });
      for (const { d } of items) d.nak();
      return;
    }
    for (const { d, parts } of items) {
      const h = this.#held.get(d.seq);
      if (h) {
        h.deliveries.push(d);
        continue;
      }
      const where = new Map<string, Durable>();
      for (const p of parts) {
        // Files this process made durable count even when the target's listing does not
        // show them yet (some S3-compatible stores list a fresh object late).
        const f = found.get(lookupKey(p.key, d.seq)) ?? this.index.findInMemory(p.key, d.seq);
        if (f) where.set(p.key, f);
      }
      if (parts.every((p) => where.has(p.key))) this.o.metrics.duplicates.inc(labels(ds.name));
      await this.#place(ds, d, parts, where);
    }
  }

  /** Put each part's rows in its buffer unless it is already durable (`where`); ack when nothing is owed. */
  async #place(ds: Dataset, d: Delivery, parts: Part[], where?: Map<string, Durable>): Promise<void> {
    const h = new Held(d.seq, d, this.o.clock.now(), this.#unhold);
    this.#held.set(d.seq, h);
    h.hold(); // placing: no ack until every part is placed
    for (const p of parts) {
      const f = where?.get(p.key);
      if (f === "target") continue;
      if (f) {
        f.attach(h); // false when it became durable meanwhile: nothing to wait for either way
        continue;
      }
      const sym = this.o.writer.dictId(p.symbol);
      const mkt = this.o.writer.dictId(p.market);
      let buf = this.#buffers.get(p.key);
      // A flush may seal a buffer while we await; the check and the write below must run
      // in one synchronous step, or rows could land in a buffer already being written out.
      while (!buf || buf.sealed) buf = await this.#bufferFor(ds, p.key);
      buf.begin(d.seq, sym, mkt);
      p.write(buf);
      buf.addHeld(h);
      this.#openBytes += p.rows * buf.rowBytes;
      this.o.metrics.rowsIn.inc(labels(ds.name), p.rows);
      if (buf.rows >= this.o.flushRows) void this.#flush(buf);
    }
    h.release();
  }

  async #bufferFor(ds: Dataset, key: string): Promise<PartitionBuffer> {
    for (;;) {
      const b = this.#buffers.get(key);
      if (b && !b.sealed) return b;
      let p = this.#creating.get(key);
      if (!p) {
        p = this.o.writer.createTable(ds).then((t) => {
          const nb = new PartitionBuffer(ds, key, t, this.o.clock.now());
          this.#buffers.set(key, nb);
          return nb;
        }).finally(() => this.#creating.delete(key));
        this.#creating.set(key, p);
      }
      const nb = await p;
      if (!nb.sealed) return nb;
    }
  }

  /** Seal the buffer and queue it for writing; resolves when it (and every flush before it) is staged. */
  #flush(buf: PartitionBuffer): Promise<void> {
    if (!buf.sealed) {
      buf.sealed = true;
      if (this.#buffers.get(buf.key) === buf) this.#buffers.delete(buf.key);
      this.#openBytes -= buf.bytes;
      this.#sealedBytes += buf.bytes;
      this.#flushChain = this.#flushChain.then(() => (this.#failed ? undefined : this.#write(buf))).catch((e) => this.#fatal(e));
    }
    return this.#flushChain;
  }

  #flushAll(): Promise<void> {
    for (const b of [...this.#buffers.values()]) void this.#flush(b);
    return this.#flushChain;
  }

  /** COPY → fsync → rename into staging (staging.ts) → queue the upload. */
  async #write(buf: PartitionBuffer): Promise<void> {
    const f = await stageBuffer(buf, this.o.stagingDir, this.o.writer, () => {
      this.#sealedBytes -= buf.bytes;
      return this.pause.at("copy");
    });
    this.o.metrics.filesWritten.inc(labels(buf.dataset.name));
    this.o.metrics.bytesWritten.inc(labels(buf.dataset.name), f.bytes);
    this.index.addStaged(f);
    this.uploader.enqueue(f);
    this.#gauges();
  }

  /** A staged file is at the target: ack what it completes. */
  async #durable(f: StagedFile): Promise<void> {
    await this.pause.at("ack");
    this.index.promote(f);
    for (const h of f.held) h.release();
    this.o.metrics.filesUploaded.inc();
    this.#gauges();
  }

  get #budget(): number {
    return this.o.bufferBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes of buffered rows (open and waiting for their COPY). */
  get bufferedBytes(): number {
    return this.#openBytes + this.#sealedBytes;
  }

  /** Wait while the memory or the staging budget is full (JetStream keeps the data meanwhile). */
  waitForCapacity(signal: AbortSignal): Promise<void> {
    return this.#capacity.wait(signal);
  }

  #schedule(): void {
    const every = Math.max(50, Math.min(1000, Math.floor(this.o.flushIntervalMs / 4)));
    this.#timer = this.o.clock.setTimeout(() => {
      if (this.#stopped) return;
      this.#tick();
      this.#schedule();
    }, every);
  }

  #tick(): void {
    const now = this.o.clock.now();
    for (const b of [...this.#buffers.values()]) if (now - b.createdAt >= this.o.flushIntervalMs) void this.#flush(b);
    // Held messages wait for flushes and uploads (long during an outage): keep JetStream from redelivering them.
    const third = this.o.ackWaitMs / 3;
    if (now - this.#lastKeepAlive >= third / 2) {
      this.#lastKeepAlive = now;
      for (const h of this.#held.values()) if (now - h.touched >= third) h.keepAlive(now);
    }
    this.#gauges();
  }

  #gauges(): void {
    const m = this.o.metrics;
    m.pendingUploads.set(this.uploader.pending);
    m.stagingBytes.set(this.uploader.stagedBytes);
    let rows = 0;
    for (const b of this.#buffers.values()) rows += b.rows;
    m.bufferedRows.set(rows);
    m.bufferedBytes.set(this.bufferedBytes);
    m.unacked.set(this.#held.size);
  }

  #fatal(e: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.o.log.error("archiver failed: {error}", { error: e });
    this.o.onFatal(e);
  }

  /**
   * The final flush at stop: every open partition (one per symbol and hour, so hundreds)
   * written with up to STOP_WRITERS at once after the flushes already queued, so the
   * per-file fsyncs and renames overlap instead of taking turns within the stop budget.
   */
  async #flushAllParallel(): Promise<void> {
    const bufs = [...this.#buffers.values()];
    for (const b of bufs) {
      b.sealed = true;
      this.#buffers.delete(b.key);
    }
    await this.#flushChain;
    let next = 0;
    const worker = async () => {
      while (next < bufs.length && !this.#failed) await this.#write(bufs[next++]!);
    };
    const all = Promise.all(Array.from({ length: Math.min(STOP_WRITERS, bufs.length) }, worker)).then(() => undefined, (e) => this.#fatal(e));
    this.#flushChain = all;
    const t0 = Date.now();
    await all;
    this.o.log.info("final flush: {n} partitions staged in {ms} ms", { n: bufs.length, ms: Date.now() - t0 });
  }

  /** Flush every buffer now; resolves when all are staged. */
  flushAll(): Promise<void> {
    return this.#flushAll();
  }

  /**
   * Graceful stop: flush what is buffered, wait up to `drainMs` for uploads (acking as
   * they finish), then stop retrying. Files still staged upload at the next start;
   * their messages stay unacked until then.
   */
  async stop(drainMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.o.clock.clearTimeout(this.#timer);
    const started = Date.now();
    await (this.#failed ? this.#flushChain : this.#flushAllParallel());
    const drained = await this.uploader.drain(Math.max(0, drainMs - (Date.now() - started)));
    this.uploader.stop();
    if (!drained) {
      this.o.log.warn("stopping with {files} files ({bytes} bytes) still staged for {target}; they upload at the next start", {
        files: this.uploader.pending,
        bytes: this.uploader.stagedBytes,
        target: this.o.target.description,
      });
    }
    this.#gauges();
  }

  status(): Record<string, unknown> {
    let rows = 0;
    for (const b of this.#buffers.values()) rows += b.rows;
    return {
      target: this.o.target.description,
      openPartitions: this.#buffers.size,
      bufferedRows: rows,
      bufferedBytes: this.bufferedBytes,
      unackedMessages: this.#held.size,
      pendingUploads: this.uploader.pending,
      stagingBytes: this.uploader.stagedBytes,
      backpressure: this.#capacity.paused,
    };
  }
}
