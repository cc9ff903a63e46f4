/**
 * The three archived datasets (ticks, book snapshots, book deltas): how a bus message
 * becomes rows of one or more partitions, the buffer columns, and the SQL that turns
 * buffered rows into the Parquet schema.
 *
 * Buffers hold every column as a float64 (NaN = missing), so rows are copied into
 * DuckDB as whole vectors; the COPY query casts them to their real types. That keeps
 * the per-row cost in JavaScript to a few array stores.
 *
 * Decoding validates against the bus schemas in actors/bus/messages.ts. A hand-written
 * check accepts the common valid message without running zod (zod costs ~3 µs per
 * tick, more than everything else together); anything it does not accept goes through
 * zod, which gives the error text (or accepts it after all). So the accepted set is
 * exactly the schema's, plus one rule of the lake: venue, market and symbol must be
 * usable as path segments.
 */
import type { z } from "zod";
import { BookDelta, BookSnapshot, TickBatch } from "../bus/messages.ts";
import { subjects } from "../bus/subjects.ts";
import { type DatasetName, hourIndex, isPartitionValue, partitionPath } from "./partition.ts";

/** Where a part writes its rows: column arrays of the current chunk and the row index in it. */
export interface RowSink {
  readonly cols: Float64Array[];
  readonly n: number;
  endRow(): void;
  /**
   * Append `n` rows at once from column arrays (all columns but `_seq`, which is set to
   * `seq`), starting at row `offset` of each source column.
   */
  appendColumns(src: readonly Float64Array[], offset: number, n: number, seq: number): void;
}

/** Index of the `_seq` column in every dataset's buffer columns. */
export const seqColumn = (ds: Dataset): number => ds.columns.indexOf("_seq");

/** The rows of one message that belong to one partition. */
export interface Part {
  /** Partition path, e.g. `ticks/exchange=sim/.../hour=07`. */
  readonly key: string;
  readonly rows: number;
  write(sink: RowSink, seq: number): void;
}

export type DecodeResult = { ok: true; parts: Part[] } | { ok: false; error: string };

export interface Dataset {
  readonly name: DatasetName;
  /** The consumer's filter subject. */
  readonly subject: string;
  /** Buffer columns, all DOUBLE; `_seq` is the stream sequence, `_i` the row's index in its message. */
  readonly columns: readonly string[];
  /** Select list from the buffer table to the Parquet schema. */
  readonly select: string;
  /** Parquet columns and DuckDB types (without the hive partition columns). */
  readonly schema: ReadonlyArray<readonly [string, string]>;
  decode(bytes: Uint8Array): DecodeResult;
}

/** Hive partition columns every dataset gets from its path. */
export const PARTITION_COLUMNS = [
  ["exchange", "VARCHAR"],
  ["market", "VARCHAR"],
  ["symbol", "VARCHAR"],
  ["year", "BIGINT"],
  ["month", "BIGINT"],
  ["day", "BIGINT"],
  ["hour", "BIGINT"],
] as const;

/** Deterministic row order inside a file: by time, then stream order, then position in the message. */
export const ORDER_BY = "ts, _seq, _i";

const dec = new TextDecoder();
const fin = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const opt = (x: unknown): boolean => x === undefined || fin(x);
const nat = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const str = (x: unknown): x is string => typeof x === "string";
const orNaN = (x: number | undefined): number => (x === undefined ? NaN : x);
const nullable = (c: string) => `CASE WHEN isnan(${c}) THEN NULL ELSE ${c} END AS ${c}`;
// deno-lint-ignore no-explicit-any
type Loose = any;

function parseJson(bytes: Uint8Array): { ok: true; value: Loose } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(dec.decode(bytes)) };
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
}

/** zod's verdict on a message the fast check refused: the parsed value, or the first issue as text. */
function slowPath<S extends z.ZodType>(schema: S, raw: unknown): { ok: true; value: z.infer<S> } | { ok: false; error: string } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid message" };
}

function badPartition(venue: string, market: string, symbol: string): string | undefined {
  if (!isPartitionValue(venue)) return `venue ${JSON.stringify(venue)} is not usable as a partition value`;
  if (!isPartitionValue(market)) return `market ${JSON.stringify(market)} is not usable as a partition value`;
  if (!isPartitionValue(symbol)) return `symbol ${JSON.stringify(symbol)} is not usable as a partition value`;
  return undefined;
}

// ---------------------------------------------------------------- ticks

const fastTick = (t: Loose): boolean =>
  t !== null && typeof t === "object" && str(t.venue) && t.venue.length > 0 && str(t.symbol) && t.symbol.length > 0 &&
  fin(t.price) && opt(t.bid) && opt(t.ask) && opt(t.bidSize) && opt(t.askSize) && opt(t.open24h) && opt(t.high24h) &&
  opt(t.low24h) && opt(t.volume24h) && opt(t.lastSize) && nat(t.exchTs) && nat(t.recvTs) && nat(t.seq);

function decodeTicks(bytes: Uint8Array): DecodeResult {
  const j = parseJson(bytes);
  if (!j.ok) return j;
  let msg: TickBatch = j.value;
  const fast = msg !== null && typeof msg === "object" && msg.v === 1 && Array.isArray(msg.ticks) && msg.ticks.length > 0 &&
    msg.ticks.every(fastTick);
  if (!fast) {
    const r = slowPath(TickBatch, j.value);
    if (!r.ok) return r;
    msg = r.value;
  }
  const ticks = msg.ticks;
  // Group by partition; almost always one group (one symbol, one hour).
  const groups = new Map<string, number[]>();
  let lastKey = "";
  let lastGroup: number[] | undefined;
  let lastVenue = "", lastSymbol = "", lastHour = -1;
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i]!;
    const h = hourIndex(t.exchTs);
    if (lastGroup === undefined || t.venue !== lastVenue || t.symbol !== lastSymbol || h !== lastHour) {
      const bad = badPartition(t.venue, "spot", t.symbol);
      if (bad) return { ok: false, error: `ticks.${i}: ${bad}` };
      lastVenue = t.venue;
      lastSymbol = t.symbol;
      lastHour = h;
      lastKey = partitionPath("ticks", t.venue, "spot", t.symbol, h);
      lastGroup = groups.get(lastKey);
      if (!lastGroup) groups.set(lastKey, (lastGroup = []));
    }
    lastGroup.push(i);
  }
  const parts: Part[] = [];
  for (const [key, idx] of groups) {
    parts.push({
      key,
      rows: idx.length,
      write(sink, seq) {
        for (const i of idx) {
          const t = ticks[i]!;
          const c = sink.cols;
          const r = sink.n;
          c[0]![r] = t.exchTs;
          c[1]![r] = t.recvTs;
          c[2]![r] = t.price;
          c[3]![r] = orNaN(t.bid);
          c[4]![r] = orNaN(t.ask);
          c[5]![r] = orNaN(t.bidSize);
          c[6]![r] = orNaN(t.askSize);
          c[7]![r] = orNaN(t.open24h);
          c[8]![r] = orNaN(t.high24h);
          c[9]![r] = orNaN(t.low24h);
          c[10]![r] = orNaN(t.volume24h);
          c[11]![r] = orNaN(t.lastSize);
          c[12]![r] = t.seq;
          c[13]![r] = seq;
          c[14]![r] = i;
          sink.endRow();
        }
      },
    });
  }
  return { ok: true, parts };
}

const TICK_DOUBLES = ["bid", "ask", "bid_size", "ask_size", "open_24h", "high_24h", "low_24h", "volume_24h", "last_size"];

export const ticks: Dataset = {
  name: "ticks",
  subject: subjects.allTicks,
  columns: ["ts", "recv_ts", "price", ...TICK_DOUBLES, "venue_seq", "_seq", "_i"],
  select: [
    "epoch_ms(ts::BIGINT) AS ts",
    "epoch_ms(recv_ts::BIGINT) AS recv_ts",
    "price",
    ...TICK_DOUBLES.map(nullable),
    "venue_seq::BIGINT AS venue_seq",
    "_seq::BIGINT AS _seq",
  ].join(", "),
  schema: [
    ["ts", "TIMESTAMP"],
    ["recv_ts", "TIMESTAMP"],
    ["price", "DOUBLE"],
    ...TICK_DOUBLES.map((c) => [c, "DOUBLE"] as const),
    ["venue_seq", "BIGINT"],
    ["_seq", "BIGINT"],
  ],
  decode: decodeTicks,
};

// ---------------------------------------------------------------- book snapshots

const fastLevel = (l: Loose): boolean =>
  l !== null && typeof l === "object" && (l.side === "bid" || l.side === "ask") && fin(l.price) && fin(l.qty) && nat(l.level);

function decodeBook(bytes: Uint8Array): DecodeResult {
  const j = parseJson(bytes);
  if (!j.ok) return j;
  let m: BookSnapshot = j.value;
  const fast = m !== null && typeof m === "object" && m.v === 1 && str(m.venue) && str(m.symbol) && str(m.market) &&
    nat(m.ts) && nat(m.lastUpdateId) && Array.isArray(m.levels) && m.levels.every(fastLevel);
  if (!fast) {
    const r = slowPath(BookSnapshot, j.value);
    if (!r.ok) return r;
    m = r.value;
  }
  const bad = badPartition(m.venue, m.market, m.symbol);
  if (bad) return { ok: false, error: bad };
  if (m.levels.length === 0) return { ok: true, parts: [] };
  const levels = m.levels;
  return {
    ok: true,
    parts: [{
      key: partitionPath("book", m.venue, m.market, m.symbol, hourIndex(m.ts)),
      rows: levels.length,
      write(sink, seq) {
        for (let i = 0; i < levels.length; i++) {
          const l = levels[i]!;
          const c = sink.cols;
          const r = sink.n;
          c[0]![r] = m.ts;
          c[1]![r] = m.lastUpdateId;
          c[2]![r] = l.side === "bid" ? 0 : 1;
          c[3]![r] = l.level;
          c[4]![r] = l.price;
          c[5]![r] = l.qty;
          c[6]![r] = seq;
          c[7]![r] = i;
          sink.endRow();
        }
      },
    }],
  };
}

const SIDE = "CASE WHEN side = 0 THEN 'bid' ELSE 'ask' END AS side";

export const book: Dataset = {
  name: "book",
  subject: subjects.allBooks,
  columns: ["ts", "last_update_id", "side", "level", "price", "qty", "_seq", "_i"],
  select: [
    "epoch_ms(ts::BIGINT) AS ts",
    "last_update_id::BIGINT AS last_update_id",
    SIDE,
    "level::INTEGER AS level",
    "price",
    "qty",
    "_seq::BIGINT AS _seq",
  ].join(", "),
  schema: [
    ["ts", "TIMESTAMP"],
    ["last_update_id", "BIGINT"],
    ["side", "VARCHAR"],
    ["level", "INTEGER"],
    ["price", "DOUBLE"],
    ["qty", "DOUBLE"],
    ["_seq", "BIGINT"],
  ],
  decode: decodeBook,
};

// ---------------------------------------------------------------- book deltas

const fastPair = (p: Loose): boolean => Array.isArray(p) && p.length === 2 && fin(p[0]) && fin(p[1]);

function decodeBookDelta(bytes: Uint8Array): DecodeResult {
  const j = parseJson(bytes);
  if (!j.ok) return j;
  let m: BookDelta = j.value;
  const fast = m !== null && typeof m === "object" && m.v === 1 && str(m.venue) && str(m.symbol) && str(m.market) &&
    nat(m.ts) && nat(m.firstUpdateId) && nat(m.lastUpdateId) && Array.isArray(m.bids) && Array.isArray(m.asks) &&
    m.bids.every(fastPair) && m.asks.every(fastPair);
  if (!fast) {
    const r = slowPath(BookDelta, j.value);
    if (!r.ok) return r;
    m = r.value;
  }
  const bad = badPartition(m.venue, m.market, m.symbol);
  if (bad) return { ok: false, error: bad };
  const n = m.bids.length + m.asks.length;
  if (n === 0) return { ok: true, parts: [] };
  return {
    ok: true,
    parts: [{
      key: partitionPath("bookdelta", m.venue, m.market, m.symbol, hourIndex(m.ts)),
      rows: n,
      write(sink, seq) {
        let i = 0;
        for (const [side, list] of [[0, m.bids], [1, m.asks]] as const) {
          for (const [price, qty] of list) {
            const c = sink.cols;
            const r = sink.n;
            c[0]![r] = m.ts;
            c[1]![r] = m.firstUpdateId;
            c[2]![r] = m.lastUpdateId;
            c[3]![r] = side;
            c[4]![r] = price;
            c[5]![r] = qty;
            c[6]![r] = seq;
            c[7]![r] = i++;
            sink.endRow();
          }
        }
      },
    }],
  };
}

export const bookDelta: Dataset = {
  name: "bookdelta",
  subject: subjects.allBookDeltas,
  columns: ["ts", "first_update_id", "last_update_id", "side", "price", "qty", "_seq", "_i"],
  select: [
    "epoch_ms(ts::BIGINT) AS ts",
    "first_update_id::BIGINT AS first_update_id",
    "last_update_id::BIGINT AS last_update_id",
    SIDE,
    "price",
    "qty",
    "_seq::BIGINT AS _seq",
  ].join(", "),
  schema: [
    ["ts", "TIMESTAMP"],
    ["first_update_id", "BIGINT"],
    ["last_update_id", "BIGINT"],
    ["side", "VARCHAR"],
    ["price", "DOUBLE"],
    ["qty", "DOUBLE"],
    ["_seq", "BIGINT"],
  ],
  decode: decodeBookDelta,
};

export const DATASET: Record<DatasetName, Dataset> = { ticks, book, bookdelta: bookDelta };
