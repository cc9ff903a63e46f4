/**
 * Test and benchmark helpers for the archiver: deterministic market data published to
 * JetStream, waiting until the archiver's consumers have acked everything, and reading
 * a lake back with DuckDB.
 */
import { join } from "node:path";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { DuckDBInstance } from "@duckdb/node-api";
import { encode } from "../../lib/contracts/codec.ts";
import type { BookDelta, BookSnapshot, GapEvent, Tick, TickBatch, TradeBatch } from "../../lib/contracts/messages.ts";
import { STREAM } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { getLogger } from "@logtape/logtape";
import { Metrics } from "../../lib/platform/metrics.ts";
import { systemClock } from "../runtime/mod.ts";
import { Archiver } from "./archiver.ts";
import { DuckWriter, sqlString } from "../../lib/lake/duck.ts";
import type { Delivery } from "./held.ts";
import type { Decoder } from "./decoder.ts";
import { archiverMetrics } from "./metrics.ts";
import { LocalTarget, type Target } from "../../lib/lake/target.ts";
import { DATASETS, HIVE_TYPES } from "../../lib/lake/partition.ts";
import { spawnTsx } from "../../test/tsx-child.ts";

export const HOUR = 3_600_000;
/** 2025-11-22T06:00:00Z: tests straddle the 06→07 hour boundary. */
export const T0 = Date.UTC(2025, 10, 22, 6, 0, 0);

/** A tick whose every field derives from (symbol index, venue seq), so a row read back can be checked. */
export function makeTick(symbol: string, venueSeq: number, exchTs: number, venue = "sim"): Tick {
  const p = 100 + (venueSeq % 1000) / 8;
  const t: Tick = { venue, symbol, price: p, bid: p - 0.5, ask: p + 0.5, bidSize: 1 + venueSeq % 7, askSize: 2, exchTs, recvTs: exchTs + 3, seq: venueSeq };
  if (venueSeq % 3 === 0) t.lastSize = 0.25; // some ticks without lastSize → NULL
  if (venueSeq % 5 === 0) t.volume24h = 1e6 + venueSeq;
  return t;
}

/**
 * Publish `messages` tick batches of `perMessage` ticks round-robin over `symbols`,
 * timestamps spread over `spanMs` from `start`. Returns every tick published.
 */
export async function publishTicks(
  js: JetStreamClient,
  o: { symbols: string[]; messages: number; perMessage: number; start?: number; spanMs?: number; venue?: string },
): Promise<Tick[]> {
  const start = o.start ?? T0 - HOUR / 2;
  const span = o.spanMs ?? HOUR;
  const all: Tick[] = [];
  const seqBySymbol = new Map<string, number>();
  const total = o.messages * o.perMessage;
  const pending: Promise<unknown>[] = [];
  for (let m = 0; m < o.messages; m++) {
    const symbol = o.symbols[m % o.symbols.length]!;
    const ticks: Tick[] = [];
    for (let i = 0; i < o.perMessage; i++) {
      const vs = (seqBySymbol.get(symbol) ?? 0) + 1;
      seqBySymbol.set(symbol, vs);
      const k = m * o.perMessage + i;
      ticks.push(makeTick(symbol, vs, Math.floor(start + (span * k) / total), o.venue ?? "sim"));
    }
    all.push(...ticks);
    const batch: TickBatch = { v: 1, ticks };
    pending.push(js.publish(subjects.tick(o.venue ?? "sim", symbol), encode(batch)));
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return all;
}

export function makeBook(symbol: string, ts: number, id: number, depth = 5): BookSnapshot {
  const levels: BookSnapshot["levels"] = [];
  for (let l = 0; l < depth; l++) {
    levels.push({ side: "bid", price: 100 - l, qty: 1 + l + id / 1000, level: l });
    levels.push({ side: "ask", price: 101 + l, qty: 2 + l, level: l });
  }
  return { v: 1, venue: "binance", market: "spot", symbol, ts, lastUpdateId: id, levels };
}

export function makeDelta(symbol: string, ts: number, id: number): BookDelta {
  return { v: 1, venue: "binance", market: "spot", symbol, ts, firstUpdateId: id, lastUpdateId: id + 2, bids: [[99.5, id % 10], [99, 0]], asks: [[101.5, 3]] };
}

/** `n` trades of one symbol from `ts` on, trade ids `<symbol>-<i>` (strings, as venues send them). */
export function makeTrades(symbol: string, ts: number, n: number, venue = "sim", first = 0): TradeBatch {
  return {
    v: 1,
    trades: Array.from({ length: n }, (_, k) => {
      const i = first + k;
      return { venue, market: "spot", symbol, price: 100 + (i % 50) / 4, size: 0.5 + (i % 3), side: i % 2 ? "sell" : "buy", tradeId: `${symbol}-${i}`, exchTs: ts + k, recvTs: ts + k + 2 };
    }),
  };
}

export function makeGap(symbol: string, ts: number, expected: number, got: number, venue = "sim"): GapEvent {
  return { v: 1, venue, symbol, expected, got, ts };
}

/** Resolves when every listed consumer has nothing pending and nothing unacked; rejects after timeoutMs. */
export async function waitForDrained(jsm: JetStreamManager, durables: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    const states: string[] = [];
    for (const d of durables) {
      const ci = await jsm.consumers.info(STREAM.md, d);
      busy += ci.num_pending + ci.num_ack_pending;
      states.push(`${d}: pending ${ci.num_pending}, unacked ${ci.num_ack_pending}`);
    }
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`consumers not drained after ${timeoutMs} ms: ${states.join("; ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run SQL over a local lake directory with the views ticks, book, bookdelta (empty when missing). */
export async function queryLocalLake(root: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const c = await db.connect();
  try {
    for (const ds of DATASETS) {
      const glob = `${root}/${ds}/**/*.parquet`;
      const has = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM glob(${sqlString(glob)})`)).getRowsJS()[0]![0] as number;
      if (has > 0) {
        await c.run(`CREATE VIEW ${ds} AS SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = ${HIVE_TYPES}, union_by_name = true)`);
      } else {
        await c.run(`CREATE TABLE ${ds} (_seq BIGINT, ts TIMESTAMP)`);
      }
    }
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** A standalone archiver (run.ts) in a child process, for kill -9 tests. */
export interface ArchiverProcess {
  readonly pid: number | undefined;
  /** Resolves when the process prints a line containing `text`; rejects if it exits first or after timeoutMs. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

export function spawnArchiver(env: Record<string, string>): ArchiverProcess {
  const p = spawnTsx("actors/archiver/run.ts", { env: { LOG_LEVEL: "warning", ...env } });
  let out = "";
  const watchers: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of watchers.slice()) w();
  };
  p.stdout.on("data", onData);
  p.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of watchers.slice()) w();
  });
  return {
    get pid() {
      return p.pid;
    },
    waitFor(text, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => fail(new Error(`no "${text}" from the archiver after ${timeoutMs} ms:\n${out.slice(-3000)}`)), timeoutMs);
        const fail = (e: Error) => {
          clearTimeout(t);
          watchers.splice(watchers.indexOf(check), 1);
          reject(e);
        };
        const check = () => {
          if (out.includes(text)) {
            clearTimeout(t);
            watchers.splice(watchers.indexOf(check), 1);
            resolve();
          } else if (done) fail(new Error(`archiver exited before "${text}":\n${out.slice(-3000)}`));
        };
        watchers.push(check);
        check();
      });
    },
    async kill9() {
      if (!done) p.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (!done) p.kill("SIGTERM");
      return await exited;
    },
    output: () => out,
  };
}

/** Every tick in the MD stream (read with an ordered consumer), as `symbol/venueSeq` keys. */
export async function ticksInStream(js: JetStreamClient): Promise<string[]> {
  const c = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allTicks });
  const out: string[] = [];
  const info = await c.info(true);
  let left = info.num_pending;
  while (left > 0) {
    const it = await c.fetch({ max_messages: Math.min(left, 1000), expires: 2000 });
    for await (const m of it) {
      left--;
      const b = m.json<TickBatch>();
      for (const t of b.ticks) out.push(`${t.symbol}/${t.seq}`);
    }
  }
  return out;
}

/** A Delivery without NATS that records what happened to it. */
export interface FakeDelivery extends Delivery {
  acks: number;
  terms: number;
  naks: number;
}

export function fakeDelivery(seq: number, data: Uint8Array | object, subject = "md.tick.sim.X", deliveryCount = 1): FakeDelivery {
  const d: FakeDelivery = {
    seq,
    deliveryCount,
    subject,
    data: data instanceof Uint8Array ? data : encode(data),
    acks: 0,
    terms: 0,
    naks: 0,
    ack: () => void d.acks++,
    term: () => void d.terms++,
    nak: () => void d.naks++,
    working: () => {},
  };
  return d;
}

/** An Archiver over a local lake in `dir` with explicit flushing (long interval), for tests without NATS. */
export async function localArchiver(
  dir: string,
  o: { flushRows?: number; metrics?: Metrics; target?: (lake: string) => Target; decoder?: Decoder } = {},
): Promise<{ archiver: Archiver; writer: DuckWriter; lake: string; close(): Promise<void> }> {
  const lake = join(dir, "lake");
  const writer = await DuckWriter.open({ threads: 1 });
  const archiver = await Archiver.create({
    writer,
    target: o.target?.(lake) ?? new LocalTarget(lake),
    stagingDir: join(lake, "_staging"),
    cacheDir: join(dir, "cache"),
    flushIntervalMs: 3_600_000,
    flushRows: o.flushRows ?? 1_000_000,
    maxUnacked: 1_000_000,
    ackWaitMs: 60_000,
    stagingMaxBytes: 2 ** 30,
    uploadConcurrency: 2,
    uploadMaxBackoffMs: 1000,
    clock: systemClock,
    log: getLogger(["tickflow", "archiver", "test"]),
    metrics: archiverMetrics(o.metrics ?? new Metrics()),
    ...(o.decoder ? { decoder: o.decoder } : {}),
    onFatal: (e) => {
      throw e;
    },
  });
  return {
    archiver,
    writer,
    lake,
    async close() {
      await archiver.stop(2000);
      writer.close();
    },
  };
}

/**
 * A fault-injecting target over a local directory: `down` makes every put fail (an
 * outage); `gate(pred)` holds puts of matching keys until `release()`.
 */
export class FaultyTarget extends LocalTarget {
  down = false;
  puts = 0;
  #gate: ((key: string) => boolean) | undefined;
  #waiting: Array<() => void> = [];
  gate(pred: (key: string) => boolean): void {
    this.#gate = pred;
  }
  release(): void {
    this.#gate = undefined;
    for (const w of this.#waiting.splice(0)) w();
  }
  override async put(localPath: string, key: string): Promise<void> {
    if (this.down) throw new Error("target unreachable (injected)");
    if (this.#gate?.(key)) await new Promise<void>((r) => this.#waiting.push(r));
    this.puts++;
    await super.put(localPath, key);
  }
}
