/**
 * Binance market streams, Spot and USD-M futures (one class, two flavours): raw streams
 * at /ws and /ws/<stream>, combined streams at /stream?streams=a/b (wrapped as
 * {"stream","data"}), live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY /
 * GET_PROPERTY, `<symbol>@ticker`, `<symbol>@miniTicker`, `<symbol>@trade` (Spot),
 * `<symbol>@aggTrade`, diff depth of the simulator's own books, server pings with a
 * pong deadline, and the incoming message limit (5/s).
 *
 * Spot: `@depth` every 1000 ms, `@depth@100ms`; update ids contiguous (U = previous u + 1).
 * USD-M futures: `@depth` every 250 ms, `@depth@500ms`, `@depth@100ms`; events carry
 * `T` and `pu` (the previous event's u) and ids jump between events, as on fstream
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Diff-Book-Depth-Streams).
 * Shapes follow /work/shared/fixtures/exchange/binance_*.json and actors/ingest/fixtures/.
 */
import { getLogger } from "@logtape/logtape";
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { type ConnContext, Conn, MsgRate } from "./conn.ts";
import { fixed, fixed8 } from "./fmt.ts";
import type { Market, TickListener } from "./market.ts";
import type { Book, DepthDiff } from "./book.ts";
import type { Product, Universe } from "./universe.ts";

const log = getLogger(["tickflow", "simulator", "binance"]);

export type BinanceFlavor = "spot" | "usdm";

export interface BinanceOptions {
  /** Spot (stream.binance.com) or USD-M futures (fstream.binance.com). Default spot. */
  flavor?: BinanceFlavor;
  /** Incoming messages (requests, pings, pongs) per second before disconnect (Binance: 5). */
  msgLimit: number;
  /** Streams per connection (Binance: 1024). */
  maxStreams: number;
  /** Server ping interval (Binance: 20 s) and the pong deadline (1 min). */
  pingMs: number;
  pongTimeoutMs: number;
  /** Updates of history kept per followed book (Book.historyLimit); 0 = off. */
  bookHistory?: number;
  /** Binance cuts every connection at 24 h; the simulator at this age. */
  maxSessionMs?: number;
}

type Kind = "ticker" | "miniTicker" | "depth100" | "depth1000" | "trade" | "aggTrade";
const SPOT_KINDS = new Map<string, Kind>([
  ["ticker", "ticker"], ["miniTicker", "miniTicker"], ["depth@100ms", "depth100"], ["depth", "depth1000"], ["trade", "trade"], ["aggTrade", "aggTrade"],
]);
/** Futures: `@depth` is the 250 ms stream (DEPTH_TIMING); `@depth@500ms` is accepted and stays silent. */
const USDM_KINDS = new Map<string, Kind>([
  ["ticker", "ticker"], ["miniTicker", "miniTicker"], ["depth@100ms", "depth100"], ["depth", "depth1000"], ["aggTrade", "aggTrade"],
]);
/** Depth timer period, and every how many turns the fast and the slow diff streams send. */
const DEPTH_TIMING = { spot: { ms: 100, fast: 1, slow: 10 }, usdm: { ms: 50, fast: 2, slow: 5 } } as const;
/** What Binance accepts as a stream name; names we do not serve are accepted but stay silent, as for an unknown symbol. */
const NAME = /^([a-z0-9]+)@([A-Za-z0-9_@]+)$/;

interface Sub {
  p: Product;
  kind: Kind;
}

export class BadStreamError extends Error {
  override name = "BadStreamError";
}

class BinanceConn extends Conn {
  readonly streams = new Map<string, Sub | null>();
  lastPong = Date.now();
  constructor(
    ws: WebSocket,
    socket: Socket,
    path: string,
    ctx: ConnContext,
    public combined: boolean,
    readonly rate: MsgRate,
    private readonly onGone: (c: BinanceConn) => void,
    venue: "binance" | "binance-usdm",
  ) {
    super(venue, ws, socket, path, ctx);
  }
  protected override onClosed(): void {
    this.onGone(this);
  }
}

export class BinanceVenue implements TickListener {
  private readonly subs: Record<Kind, BinanceConn[][]> = { ticker: [], miniTicker: [], depth100: [], depth1000: [], trade: [], aggTrade: [] };
  readonly flavor: BinanceFlavor;
  private readonly kinds: Map<string, Kind>;
  private readonly conns = new Set<BinanceConn>();
  private readonly depthTimer: ReturnType<typeof setInterval>;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private flushes = 0;

  constructor(
    private readonly universe: Universe,
    private readonly market: Market,
    private readonly ctx: ConnContext,
    private readonly opts: BinanceOptions,
  ) {
    this.flavor = opts.flavor ?? "spot";
    this.kinds = this.flavor === "usdm" ? USDM_KINDS : SPOT_KINDS;
    this.depthTimer = setInterval(() => this.flushDepth(Date.now()), DEPTH_TIMING[this.flavor].ms);
    this.pingTimer = setInterval(() => this.ping(Date.now()), opts.pingMs);
    market.listen(this);
  }

  stop(): void {
    clearInterval(this.depthTimer);
    clearInterval(this.pingTimer);
  }

  /**
   * Check stream names from a URL or a SUBSCRIBE.
   * @throws BadStreamError naming the first bad one.
   */
  checkStreams(names: string[]): void {
    for (const n of names) {
      if (!NAME.test(n)) throw new BadStreamError(`invalid stream name ${JSON.stringify(n)} (expected <symbol>@<stream>, symbol in lower case)`);
    }
    if (names.length > this.opts.maxStreams) throw new BadStreamError(`too many streams (at most ${this.opts.maxStreams} per connection)`);
  }

  /** Take over an upgraded socket; `streams` were checked with {@link checkStreams}. */
  accept(ws: WebSocket, socket: Socket, path: string, combined: boolean, streams: string[]): void {
    const venue = this.flavor === "usdm" ? "binance-usdm" : "binance";
    const c = new BinanceConn(ws, socket, path, this.ctx, combined, new MsgRate(this.opts.msgLimit), (x) => this.gone(x), venue);
    this.conns.add(c);
    for (const s of streams) this.add(c, s);
    if (this.opts.maxSessionMs) {
      const cut = setTimeout(() => {
        if (c.closed) return;
        this.ctx.stats.disconnects.sessionLimit++;
        c.close(1000, "24 hour session limit");
      }, this.opts.maxSessionMs);
      cut.unref();
      ws.once("close", () => clearTimeout(cut));
    }
    const count = () => {
      this.ctx.stats.messagesIn++;
      if (c.rate.hit(Date.now())) {
        this.ctx.stats.disconnects.rateLimit++;
        c.close(1008, "Too many requests");
        return false;
      }
      return true;
    };
    ws.on("ping", () => count());
    ws.on("pong", () => {
      c.lastPong = Date.now();
      count();
    });
    ws.on("message", (data, isBinary) => {
      if (c.closed || !count()) return;
      try {
        this.onRequest(c, isBinary ? "" : data.toString());
      } catch (e) {
        log.error("binance request handling failed: {error}", { error: e });
        c.close(1011, "internal error");
      }
    });
  }

  onTick(p: Product, now: number): void {
    const i = p.index;
    const t = this.subs.ticker[i];
    if (t !== undefined && t.length > 0) {
      this.fanOut(t, `${p.bnLower}@ticker`, this.flavor === "usdm" ? futuresTicker(p, now) : ticker(p, now), now);
      this.ctx.stats.ticksSent += t.length;
    }
    const m = this.subs.miniTicker[i];
    if (m !== undefined && m.length > 0) this.fanOut(m, `${p.bnLower}@miniTicker`, miniTicker(p, now), now);
    const tr = this.subs.trade[i];
    if (tr !== undefined && tr.length > 0) this.fanOut(tr, `${p.bnLower}@trade`, tradeEvent(p, now), now);
    const ag = this.subs.aggTrade[i];
    if (ag !== undefined && ag.length > 0) this.fanOut(ag, `${p.bnLower}@aggTrade`, aggTradeEvent(p, now), now);
  }

  /** The book this flavour serves for a product. */
  bookOf(p: Product): Book {
    return this.flavor === "usdm" ? p.futBook : p.book;
  }

  private onRequest(c: BinanceConn, text: string): void {
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text);
    } catch (e) {
      return this.error(c, 3, `Invalid JSON: ${(e as Error).message}`, null);
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) return this.error(c, 2, "Invalid request: expected a JSON object", null);
    const id = req.id ?? null;
    const idOk = id === null || (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) || (typeof id === "string" && id.length <= 36);
    if (!idOk) return this.error(c, 2, "Invalid request: request ID must be an unsigned integer", null);
    const idJson = JSON.stringify(id);
    const params = req.params;
    switch (req.method) {
      case "SUBSCRIBE":
      case "UNSUBSCRIBE": {
        if (!Array.isArray(params) || !params.every((s) => typeof s === "string")) {
          return this.error(c, 2, "Invalid request: params must be an array of stream names", id);
        }
        const names = params as string[];
        if (req.method === "SUBSCRIBE") {
          try {
            this.checkStreams(names);
            const total = new Set([...c.streams.keys(), ...names]).size;
            if (total > this.opts.maxStreams) throw new BadStreamError(`too many streams (at most ${this.opts.maxStreams} per connection)`);
          } catch (e) {
            if (e instanceof BadStreamError) return this.error(c, 2, `Invalid request: ${e.message}`, id);
            throw e;
          }
          for (const n of names) this.add(c, n);
        } else {
          for (const n of names) this.remove(c, n);
        }
        return c.sendControl(`{"result":null,"id":${idJson}}`);
      }
      case "LIST_SUBSCRIPTIONS":
        return c.sendControl(`{"result":${JSON.stringify([...c.streams.keys()])},"id":${idJson}}`);
      case "SET_PROPERTY": {
        if (!Array.isArray(params) || params[0] !== "combined") return this.error(c, 0, "Unknown property", id);
        if (typeof params[1] !== "boolean") return this.error(c, 1, "Invalid value type: expected Boolean", id);
        c.combined = params[1];
        return c.sendControl(`{"result":null,"id":${idJson}}`);
      }
      case "GET_PROPERTY":
        if (!Array.isArray(params) || params[0] !== "combined") return this.error(c, 0, "Unknown property", id);
        return c.sendControl(`{"result":${c.combined},"id":${idJson}}`);
      default:
        return this.error(
          c,
          2,
          `Invalid request: unknown variant ${JSON.stringify(req.method ?? null)}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY`,
          id,
        );
    }
  }

  private add(c: BinanceConn, name: string): void {
    if (c.streams.has(name)) return;
    const m = NAME.exec(name)!;
    const p = this.universe.binance(m[1]!);
    const kind = this.kinds.get(m[2]!);
    if (!p || !kind) {
      c.streams.set(name, null);
      return;
    }
    c.streams.set(name, { p, kind });
    (this.subs[kind][p.index] ??= []).push(c);
    if (kind === "depth100" || kind === "depth1000") {
      const book = this.bookOf(p);
      book.tracking = true;
      book.historyLimit = this.opts.bookHistory ?? 0;
    }
    this.market.retain(p);
  }

  private remove(c: BinanceConn, name: string): void {
    if (!c.streams.has(name)) return;
    const sub = c.streams.get(name);
    c.streams.delete(name);
    if (!sub) return;
    const list = this.subs[sub.kind][sub.p.index]!;
    list.splice(list.indexOf(c), 1);
    if (sub.kind === "depth100" || sub.kind === "depth1000") {
      this.bookOf(sub.p).tracking = (this.subs.depth100[sub.p.index]?.length ?? 0) + (this.subs.depth1000[sub.p.index]?.length ?? 0) > 0;
    }
    this.market.release(sub.p);
  }

  private gone(c: BinanceConn): void {
    for (const name of [...c.streams.keys()]) this.remove(c, name);
    this.conns.delete(c);
  }

  private error(c: BinanceConn, code: number, msg: string, id: unknown): void {
    this.ctx.stats.errorsSent++;
    c.sendControl(JSON.stringify({ error: { code, msg }, id }));
  }

  /** Send one event to many connections, serialised once per form (raw, combined). */
  private fanOut(conns: BinanceConn[], stream: string, payload: string, now: number): void {
    let wrapped: string | undefined;
    let rawBuf: Buffer | undefined;
    let wrappedBuf: Buffer | undefined;
    const many = conns.length > 1;
    for (const c of conns) {
      if (c.combined) {
        wrapped ??= `{"stream":"${stream}","data":${payload}}`;
        if (many) wrappedBuf ??= Buffer.from(wrapped);
        c.sendData(wrapped, now, wrappedBuf);
      } else {
        if (many) rawBuf ??= Buffer.from(payload);
        c.sendData(payload, now, rawBuf);
      }
    }
  }

  /**
   * Each timer turn: diffs of the active books on the fast (100 ms) and slow (Spot
   * 1000 ms, futures 250 ms) streams. The sequence fault makes Spot lose one update id
   * and futures lose one whole event, so the next event's `pu` names an event the
   * client never saw: a broken chain, as after a dropped message.
   */
  private flushDepth(now: number): void {
    const timing = DEPTH_TIMING[this.flavor];
    const turn = ++this.flushes;
    if (turn % timing.fast !== 0) return;
    const slowTurn = turn % timing.slow === 0;
    const futures = this.flavor === "usdm";
    const venue = futures ? "binance-usdm" : "binance";
    const f = this.ctx.faults;
    for (const p of this.market.active) {
      if (!(futures ? p.hasFutBook : p.hasBook)) continue;
      const book = this.bookOf(p);
      const fast = this.subs.depth100[p.index];
      const slow = this.subs.depth1000[p.index];
      const hasFast = fast !== undefined && fast.length > 0;
      const hasSlow = slow !== undefined && slow.length > 0;
      const d = book.take100(hasSlow, hasFast);
      if (d && hasFast) {
        const lose = f.skipArmed && f.skip(venue, p);
        if (!futures || !lose) this.fanOut(fast, `${p.bnLower}@depth@100ms`, depthEvent(p, now + f.clockSkewMs, d, futures), now);
        if (lose && !futures) book.skipId();
      }
      if (slowTurn && hasSlow) {
        const d2 = book.take1000();
        if (d2) this.fanOut(slow, `${p.bnLower}@depth`, depthEvent(p, now + f.clockSkewMs, d2, futures), now);
      }
    }
  }

  private ping(now: number): void {
    for (const c of this.conns) {
      if (now - c.lastPong > this.opts.pongTimeoutMs) {
        this.ctx.stats.disconnects.pongTimeout++;
        c.terminate();
      } else if (!c.closed) c.ws.ping();
    }
  }
}

function depthEvent(p: Product, now: number, d: DepthDiff, futures: boolean): string {
  if (futures) {
    // Transaction time a little before the event time, as in the documented example.
    return `{"e":"depthUpdate","E":${now},"T":${now - 1},"s":"${p.bnSymbol}","U":${d.U},"u":${d.u},"pu":${d.pu},"b":${d.b},"a":${d.a}}`;
  }
  return `{"e":"depthUpdate","E":${now},"s":"${p.bnSymbol}","U":${d.U},"u":${d.u},"b":${d.b},"a":${d.a}}`;
}

/** Spot `trade`: one per simulated trade; `m` true when the taker sold (the buyer made the market). */
function tradeEvent(p: Product, now: number): string {
  return `{"e":"trade","E":${now},"s":"${p.bnSymbol}","t":${p.tradeId},"p":"${p.px8}","q":"${fixed8(p.lastQty, p.qtyDec)}",` +
    `"T":${now},"m":${p.side === "sell"},"M":true}`;
}

/** `aggTrade` (Spot and futures): each simulated trade is one taker order, so f = l = the trade id. */
function aggTradeEvent(p: Product, now: number): string {
  return `{"e":"aggTrade","E":${now},"s":"${p.bnSymbol}","a":${p.tradeId},"p":"${p.px8}","q":"${fixed8(p.lastQty, p.qtyDec)}",` +
    `"f":${p.tradeId},"l":${p.tradeId},"T":${now},"m":${p.side === "sell"}}`;
}

/** A USD-M futures 24hrTicker: no best bid/ask fields and no `x`/`b`/`B`/`a`/`A` (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Ticker-Streams). */
export function futuresTicker(p: Product, now: number): string {
  const chg = p.px - p.open;
  const avg = p.vol24 > 0 ? Math.round((p.quoteVol24 / (p.vol24 / p.qtyScale)) * p.scale) : p.px;
  return `{"e":"24hrTicker","E":${now},"s":"${p.bnSymbol}","p":"${fixed8(chg, p.dec)}",` +
    `"P":"${fixed(Math.round((chg / p.open) * 1e5), 3)}","w":"${fixed8(avg, p.dec)}",` +
    `"c":"${p.px8}","Q":"${fixed8(p.lastQty, p.qtyDec)}",` +
    `"o":"${p.open8}","h":"${p.high8}","l":"${p.low8}","v":"${fixed8(p.vol24, p.qtyDec)}",` +
    `"q":"${fixed8(Math.round(p.quoteVol24 * 100), 2)}","O":${now - 86_400_000},"C":${now},` +
    `"F":${p.firstTradeId},"L":${p.tradeId},"n":${p.tradeId - p.firstTradeId + 1}}`;
}

/** A 24hrTicker event with the fixture's fields, in the fixture's order. */
export function ticker(p: Product, now: number): string {
  const b = p.book;
  const chg = p.px - p.open;
  const avg = p.vol24 > 0 ? Math.round((p.quoteVol24 / (p.vol24 / p.qtyScale)) * p.scale) : p.px;
  return `{"e":"24hrTicker","E":${now},"s":"${p.bnSymbol}","p":"${fixed8(chg, p.dec)}",` +
    `"P":"${fixed(Math.round((chg / p.open) * 1e5), 3)}","w":"${fixed8(avg, p.dec)}","x":"${p.open8}",` +
    `"c":"${p.px8}","Q":"${fixed8(p.lastQty, p.qtyDec)}","b":"${fixed8(b.bestBid, p.dec)}",` +
    `"B":"${fixed8(b.bestBidQty, p.qtyDec)}","a":"${fixed8(b.bestAsk, p.dec)}","A":"${fixed8(b.bestAskQty, p.qtyDec)}",` +
    `"o":"${p.open8}","h":"${p.high8}","l":"${p.low8}","v":"${fixed8(p.vol24, p.qtyDec)}",` +
    `"q":"${fixed8(Math.round(p.quoteVol24 * 100), 2)}","O":${now - 86_400_000},"C":${now},` +
    `"F":${p.firstTradeId},"L":${p.tradeId},"n":${p.tradeId - p.firstTradeId + 1}}`;
}

function miniTicker(p: Product, now: number): string {
  return `{"e":"24hrMiniTicker","E":${now},"s":"${p.bnSymbol}","c":"${p.px8}","o":"${p.open8}","h":"${p.high8}",` +
    `"l":"${p.low8}","v":"${fixed8(p.vol24, p.qtyDec)}","q":"${fixed8(Math.round(p.quoteVol24 * 100), 2)}"}`;
}
