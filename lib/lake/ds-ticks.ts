/** The `ticks` dataset: one row per tick of a TickBatch (`md.tick.>`). */
import { TickBatch } from "../contracts/messages.ts";
import { subjects } from "../contracts/subjects.ts";
import { hourIndex, partitionPath } from "./partition.ts";
import { badPartition, type Dataset, type DecodeResult, fin, type Loose, nat, nullable, opt, orNaN, type Part, parseJson, slowPath, str, TAIL } from "./ds-common.ts";

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
  // Group by (venue, symbol, hour): almost always one group.
  const groups = new Map<string, { key: string; symbol: string; idx: number[] }>();
  let last: { key: string; symbol: string; idx: number[] } | undefined;
  let lastVenue = "", lastSymbol = "", lastHour = -1;
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i]!;
    const h = hourIndex(t.exchTs);
    if (last === undefined || t.venue !== lastVenue || t.symbol !== lastSymbol || h !== lastHour) {
      const bad = badPartition(t.venue, "spot", t.symbol);
      if (bad) return { ok: false, error: `ticks.${i}: ${bad}` };
      lastVenue = t.venue;
      lastSymbol = t.symbol;
      lastHour = h;
      const key = partitionPath("ticks", t.venue, h);
      const g = `${key}|${t.symbol}`;
      last = groups.get(g);
      if (!last) groups.set(g, (last = { key, symbol: t.symbol, idx: [] }));
    }
    last.idx.push(i);
  }
  const parts: Part[] = [];
  for (const { key, symbol, idx } of groups.values()) {
    parts.push({
      key,
      symbol,
      market: "spot",
      rows: idx.length,
      write(sink) {
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
          c[13]![r] = i;
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
  columns: ["ts", "recv_ts", "price", ...TICK_DOUBLES, "venue_seq", ...TAIL],
  strings: [],
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
