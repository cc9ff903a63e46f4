/** The `book` (one row per level of a BookSnapshot) and `bookdelta` (one row per changed level) datasets. */
import { BookDelta, BookSnapshot } from "../contracts/messages.ts";
import { subjects } from "../contracts/subjects.ts";
import { hourIndex, partitionPath } from "./partition.ts";
import { badPartition, type Dataset, type DecodeResult, fin, type Loose, nat, parseJson, SIDE, slowPath, str, TAIL } from "./ds-common.ts";

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
      key: partitionPath("book", m.venue, hourIndex(m.ts)),
      symbol: m.symbol,
      market: m.market,
      rows: levels.length,
      write(sink) {
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
          c[6]![r] = i;
          sink.endRow();
        }
      },
    }],
  };
}

export const book: Dataset = {
  name: "book",
  subject: subjects.allBooks,
  columns: ["ts", "last_update_id", "side", "level", "price", "qty", ...TAIL],
  strings: [],
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
      key: partitionPath("bookdelta", m.venue, hourIndex(m.ts)),
      symbol: m.symbol,
      market: m.market,
      rows: n,
      write(sink) {
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
            c[6]![r] = i++;
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
  columns: ["ts", "first_update_id", "last_update_id", "side", "price", "qty", ...TAIL],
  strings: [],
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
