/**
 * Room payloads for the coin view's order book and trades, without I/O:
 * - `book.<SYMBOL>`: from `md.book.<venue>.<symbol>` snapshots (the shards' flattened
 *   top levels, each a consistent, sequence-verified state of the venue's book), the
 *   top `depth` levels per side, best first. Spot markets only (a USD-M book of the
 *   same symbol would alternate with it); an older `lastUpdateId` never replaces a
 *   newer one.
 * - `trades.<SYMBOL>`: the latest `keep` trades from `md.trade.<venue>.<symbol>`,
 *   newest first, each trade id once.
 * Each room is published at most once per flush, only when it changed.
 */
import type { BookData, TradesData } from "../../lib/contracts/protocol.ts";
import type { BookSnapshot, Trade } from "../../lib/contracts/messages.ts";

export class BookRooms {
  readonly #books = new Map<string, BookData>();
  readonly #changed = new Set<string>();
  constructor(readonly depth = 20) {}

  offer(b: BookSnapshot): boolean {
    if (b.market !== "spot") return false;
    const cur = this.#books.get(b.symbol);
    if (cur && cur.venue === b.venue && b.lastUpdateId < cur.lastUpdateId) return false;
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    for (const l of [...b.levels].sort((x, y) => x.level - y.level)) {
      if (!(l.qty > 0)) continue;
      if (l.side === "bid" && bids.length < this.depth) bids.push([l.price, l.qty]);
      else if (l.side === "ask" && asks.length < this.depth) asks.push([l.price, l.qty]);
    }
    bids.sort((x, y) => y[0] - x[0]);
    asks.sort((x, y) => x[0] - y[0]);
    this.#books.set(b.symbol, { symbol: b.symbol, venue: b.venue, market: b.market, ts: b.ts, lastUpdateId: b.lastUpdateId, bids, asks });
    this.#changed.add(b.symbol);
    return true;
  }

  /** Books changed since the last call. */
  take(): BookData[] {
    const out = [...this.#changed].map((s) => this.#books.get(s)!);
    this.#changed.clear();
    return out;
  }
}

export class TradeRooms {
  readonly #trades = new Map<string, TradesData["trades"]>();
  readonly #seen = new Map<string, Set<string>>();
  readonly #changed = new Set<string>();
  constructor(readonly keep = 50) {}

  offer(t: Trade): boolean {
    if (t.market !== "spot") return false;
    let seen = this.#seen.get(t.symbol);
    if (!seen) this.#seen.set(t.symbol, (seen = new Set()));
    const key = `${t.venue}:${t.tradeId}`;
    if (seen.has(key)) return false;
    let l = this.#trades.get(t.symbol);
    if (!l) this.#trades.set(t.symbol, (l = []));
    l.push({ venue: t.venue, price: t.price, size: t.size, side: t.side, id: t.tradeId, ts: t.exchTs });
    seen.add(key);
    if (l.length > this.keep * 2) {
      l.sort((a, b) => b.ts - a.ts);
      for (const old of l.splice(this.keep)) seen.delete(`${old.venue}:${old.id}`);
    }
    this.#changed.add(t.symbol);
    return true;
  }

  take(): TradesData[] {
    const out: TradesData[] = [];
    for (const s of this.#changed) {
      const l = this.#trades.get(s)!;
      l.sort((a, b) => b.ts - a.ts);
      out.push({ symbol: s, trades: l.slice(0, this.keep) });
    }
    this.#changed.clear();
    return out;
  }
}
