/**
 * Decoding bus messages into rows, on the event loop or in worker threads.
 *
 * JSON.parse is most of the archiver's CPU per tick (~2 µs of ~3 µs), so with
 * ARCHIVE_DECODE_WORKERS ≥ 1 it runs in worker threads: a batch of messages goes to a
 * worker as one buffer, and comes back as column arrays (float64, the buffer layout)
 * plus, per message, its parts or its error. The event loop then only copies columns
 * into partition buffers, and the next batch decodes while this one is placed.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { CollectingSink } from "./collecting-sink.ts";
import type { Dataset, DecodeResult, Part, RowSink } from "../../lib/lake/datasets.ts";
import { DATASET } from "../../lib/lake/datasets.ts";
import type { DatasetName } from "../../lib/lake/partition.ts";

export interface Decoder {
  decode(ds: Dataset, messages: Uint8Array[]): Promise<DecodeResult[]>;
  close(): Promise<void>;
}

/** Decodes on the calling thread. */
export class InlineDecoder implements Decoder {
  decode(ds: Dataset, messages: Uint8Array[]): Promise<DecodeResult[]> {
    return Promise.resolve(messages.map((m) => ds.decode(m)));
  }
  async close(): Promise<void> {}
}

/** What a worker sends back for one message. */
export interface WirePart {
  key: string;
  symbol: string;
  market: string;
  rows: number;
  offset: number;
}
export type WireResult = { ok: false; error: string } | { ok: true; parts: WirePart[] };
export interface WireRequest {
  id: number;
  dataset: DatasetName;
  data: Uint8Array;
  offsets: Uint32Array;
}
export interface WireResponse {
  id: number;
  results?: WireResult[];
  cols?: Float64Array[];
  strs?: string[][];
  error?: string;
}

/** Decode a request (runs in the worker; exported for tests). */
export function decodeRequest(req: WireRequest): { results: WireResult[]; cols: Float64Array[]; strs: string[][] } {
  const ds = DATASET[req.dataset];
  const sink = new CollectingSink(ds.columns.length, ds.strings.length);
  const results: WireResult[] = [];
  for (let i = 0; i + 1 < req.offsets.length; i++) {
    const r = ds.decode(req.data.subarray(req.offsets[i]!, req.offsets[i + 1]!));
    if (!r.ok) {
      results.push(r);
      continue;
    }
    const parts = r.parts.map((p) => {
      const offset = sink.n;
      p.write(sink);
      return { key: p.key, symbol: p.symbol, market: p.market, rows: p.rows, offset };
    });
    results.push({ ok: true, parts });
  }
  return { results, cols: sink.take(), strs: sink.strs };
}

/** A part whose rows are already in column arrays (a class: no closure per part). */
class ColumnPart implements Part {
  constructor(
    readonly key: string,
    readonly symbol: string,
    readonly market: string,
    readonly rows: number,
    private readonly offset: number,
    private readonly cols: Float64Array[],
    private readonly strs: string[][],
  ) {}
  write(sink: RowSink): void {
    sink.appendColumns(this.cols, this.strs, this.offset, this.rows);
  }
}

function columnParts(cols: Float64Array[], strs: string[][], parts: WirePart[]): Part[] {
  const out = new Array<Part>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out[i] = new ColumnPart(p.key, p.symbol, p.market, p.rows, p.offset, cols, strs);
  }
  return out;
}

const WORKER_URL = new URL("./decode-worker.ts", import.meta.url).href;

/** file: URL of tsx's ESM API (the `import` flavour of `tsx/esm/api`). */
function tsxApiUrl(): string {
  const cjs = createRequire(import.meta.url).resolve("tsx/esm/api");
  return pathToFileURL(cjs.replace(/\.cjs$/, ".mjs")).href;
}

export class DecoderCrashed extends Error {
  override name = "DecoderCrashed";
}

/** A small pool of decode workers, used round-robin. */
export class WorkerDecoder implements Decoder {
  #workers: Worker[] = [];
  #pending = new Map<number, { resolve: (r: DecodeResult[]) => void; reject: (e: unknown) => void; worker: Worker }>();
  #next = 0;
  #id = 0;
  #closed = false;
  #broken: DecoderCrashed | undefined;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.#workers.push(this.#spawn());
  }

  #spawn(): Worker {
    // The worker body is TypeScript. `--import tsx` in a worker's execArgv does not apply to
    // its entry module on Node 20, so a one-line bootstrap loads it with tsx's tsImport,
    // whatever started this process (tsx, vitest, a host).
    const boot = `import(${JSON.stringify(tsxApiUrl())}).then((m) => m.tsImport(${JSON.stringify(WORKER_URL)}, ${
      JSON.stringify(import.meta.url)
    })).catch((e) => { console.error(e); process.exit(1); })`;
    const w = new Worker(boot, { eval: true });
    w.unref();
    w.on("message", (m: WireResponse) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error !== undefined || !m.results || !m.cols) p.reject(new DecoderCrashed(m.error ?? "bad reply"));
      else {
        const cols = m.cols;
        const strs = m.strs ?? [];
        p.resolve(m.results.map((r) => (r.ok ? { ok: true, parts: columnParts(cols, strs, r.parts) } : r)));
      }
    });
    // A crashed worker is not replaced: its pending batches fail, and so does every later
    // decode, so the archiver fails and its supervisor restarts it from a clean state.
    const fail = (e: unknown) => {
      this.#broken ??= new DecoderCrashed(`decode worker failed: ${(e as Error)?.message ?? e}`, { cause: e });
      for (const [id, p] of this.#pending) {
        if (p.worker !== w) continue;
        this.#pending.delete(id);
        p.reject(this.#broken);
      }
    };
    w.on("error", fail);
    w.on("exit", (code) => {
      if (!this.#closed) fail(new Error(`exited with code ${code}`));
    });
    return w;
  }

  decode(ds: Dataset, messages: Uint8Array[]): Promise<DecodeResult[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (messages.length === 0) return Promise.resolve([]);
    let total = 0;
    for (const m of messages) total += m.length;
    const data = new Uint8Array(total);
    const offsets = new Uint32Array(messages.length + 1);
    let at = 0;
    messages.forEach((m, i) => {
      data.set(m, at);
      at += m.length;
      offsets[i + 1] = at;
    });
    const id = ++this.#id;
    const worker = this.#workers[this.#next++ % this.#workers.length]!;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      const req: WireRequest = { id, dataset: ds.name, data, offsets };
      worker.postMessage(req, [data.buffer, offsets.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    for (const p of this.#pending.values()) p.reject(new DecoderCrashed("decoder closed"));
    this.#pending.clear();
  }
}
