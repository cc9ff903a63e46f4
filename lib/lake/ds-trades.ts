/**
 * The `trades` dataset (one row per trade of a TradeBatch, `md.trade.>`) and the `gaps`
 * dataset (one row per GapEvent, `md.gap.>`: the venue sequence jumped from `expected`
 * to `got`, so ticks in between are missing upstream; `lake coverage` reads it).
 */
import { GapEvent, TradeBatch } from "../contracts/messages.ts";
import { subjects } from "../contracts/subjects.ts";
import { hourIndex, partitionPath } from "./partition.ts";
import { badPartition, type Dataset, type DecodeResult, fin, int, type Loose, nat, parseJson, type Part, slowPath, str, TAIL } from "./ds-common.ts";

const fastTrade = (t: Loose): boolean =>
  t !== null && typeof t === "object" && str(t.venue) && t.venue.length > 0 && str(t.symbol) && t.symbol.length > 0 &&
  str(t.market) && fin(t.price) && t.price > 0 && fin(t.size) && t.size > 0 && (t.side === "buy" || t.side === "sell") &&
  str(t.tradeId) && t.tradeId.length > 0 && nat(t.exchTs) && nat(t.recvTs);

function decodeTrades(bytes: Uint8Array): DecodeResult {
  const j = parseJson(bytes);
  if (!j.ok) return j;
  let msg: TradeBatch = j.value;
  const fast = msg !== null && typeof msg === "object" && msg.v === 1 && Array.isArray(msg.trades) && msg.trades.length > 0 &&
    msg.trades.every(fastTrade);
  if (!fast) {
    const r = slowPath(TradeBatch, j.value); // also fills the default market
    if (!r.ok) return r;
    msg = r.value;
  }
  const trades = msg.trades;
  const groups = new Map<string, { key: string; symbol: string; market: string; idx: number[] }>();
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const bad = badPartition(t.venue, t.market, t.symbol);
    if (bad) return { ok: false, error: `trades.${i}: ${bad}` };
    const key = partitionPath("trades", t.venue, hourIndex(t.exchTs));
    const g = `${key}|${t.market}|${t.symbol}`;
    let grp = groups.get(g);
    if (!grp) groups.set(g, (grp = { key, symbol: t.symbol, market: t.market, idx: [] }));
    grp.idx.push(i);
  }
  const parts: Part[] = [];
  for (const { key, symbol, market, idx } of groups.values()) {
    parts.push({
      key,
      symbol,
      market,
      rows: idx.length,
      write(sink) {
        for (const i of idx) {
          const t = trades[i]!;
          const c = sink.cols;
          const r = sink.n;
          c[0]![r] = t.exchTs;
          c[1]![r] = t.recvTs;
          c[2]![r] = t.price;
          c[3]![r] = t.size;
          c[4]![r] = t.side === "buy" ? 0 : 1;
          c[5]![r] = i;
          sink.strs[0]![r] = t.tradeId;
          sink.endRow();
        }
      },
    });
  }
  return { ok: true, parts };
}

export const trades: Dataset = {
  name: "trades",
  subject: subjects.allTrades,
  columns: ["ts", "recv_ts", "price", "size", "side", ...TAIL],
  strings: ["trade_id"],
  select: [
    "epoch_ms(ts::BIGINT) AS ts",
    "epoch_ms(recv_ts::BIGINT) AS recv_ts",
    "price",
    "size",
    "CASE WHEN side = 0 THEN 'buy' ELSE 'sell' END AS side",
    "trade_id",
    "_seq::BIGINT AS _seq",
  ].join(", "),
  schema: [
    ["ts", "TIMESTAMP"],
    ["recv_ts", "TIMESTAMP"],
    ["price", "DOUBLE"],
    ["size", "DOUBLE"],
    ["side", "VARCHAR"],
    ["trade_id", "VARCHAR"],
    ["_seq", "BIGINT"],
  ],
  decode: decodeTrades,
};

function decodeGap(bytes: Uint8Array): DecodeResult {
  const j = parseJson(bytes);
  if (!j.ok) return j;
  let m: GapEvent = j.value;
  const fast = m !== null && typeof m === "object" && m.v === 1 && str(m.venue) && str(m.symbol) && int(m.expected) &&
    int(m.got) && nat(m.ts);
  if (!fast) {
    const r = slowPath(GapEvent, j.value);
    if (!r.ok) return r;
    m = r.value;
  }
  const bad = badPartition(m.venue, "spot", m.symbol);
  if (bad) return { ok: false, error: bad };
  return {
    ok: true,
    parts: [{
      key: partitionPath("gaps", m.venue, hourIndex(m.ts)),
      symbol: m.symbol,
      market: "spot",
      rows: 1,
      write(sink) {
        const c = sink.cols;
        const r = sink.n;
        c[0]![r] = m.ts;
        c[1]![r] = m.expected;
        c[2]![r] = m.got;
        c[3]![r] = 0;
        sink.endRow();
      },
    }],
  };
}

export const gaps: Dataset = {
  name: "gaps",
  subject: subjects.allGaps,
  columns: ["ts", "expected", "got", ...TAIL],
  strings: [],
  select: ["epoch_ms(ts::BIGINT) AS ts", "expected::BIGINT AS expected", "got::BIGINT AS got", "_seq::BIGINT AS _seq"].join(", "),
  schema: [
    ["ts", "TIMESTAMP"],
    ["expected", "BIGINT"],
    ["got", "BIGINT"],
    ["_seq", "BIGINT"],
  ],
  decode: decodeGap,
};
