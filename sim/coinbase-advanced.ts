/**
 * Coinbase Advanced Trade market-data WebSocket (path /coinbase-advanced), as Coinbase
 * documents it (examples: test/fixtures/coinbase-advanced/): every message an envelope
 * `{channel, client_id, timestamp, sequence_num, events}` with `sequence_num` counted
 * per connection from 0; one channel per subscribe message; channels ticker,
 * market_trades, level2 (messages on `l2_data`: a `snapshot` of the whole book, then an
 * `update` with the changed levels after every move of it), heartbeats (one per second per
 * connection, `heartbeat_counter` + 1); the `subscriptions` reply after each
 * (un)subscribe; no subscribe within 5 s → closed; more than 8 messages per second →
 * error and closed. `jwt` is optional (market data needs none); one that is sent is
 * checked (ES256 with a CDP key from SIM_COINBASE_JWT_KEYS, 2 minutes, coinbase-jwt.ts)
 * and a bad one refuses the subscribe with an error.
 *
 * Rough edges: the ticker and market_trades channels start with a `snapshot` event, the
 * level2 snapshot's `event_time` is the epoch (as in the documented example);
 * `skipSequence` makes a connection's `sequence_num` jump (on level2 the message is lost
 * too, so a client that does not resync keeps a wrong book); `refuseProducts` leaves
 * products out of the `subscriptions` reply without an error; `clockSkew` moves every
 * timestamp.
 */
import { getLogger } from "@logtape/logtape";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { z } from "zod";
import { type ConnContext, Conn, MsgRate } from "./conn.ts";
import { fixed } from "./fmt.ts";
import type { Market, TickListener } from "./market.ts";
import { type CoinbaseOptions, NOT_READ, readClientMessage, sendError } from "./coinbase.ts";
import { JwtKeys } from "./coinbase-jwt.ts";
import type { Product, Universe } from "./universe.ts";

const log = getLogger(["tickflow", "simulator", "coinbase-advanced"]);

const CHANNELS = ["ticker", "market_trades", "level2", "heartbeats"] as const;
type Channel = (typeof CHANNELS)[number];
/** The channel name a channel's messages carry. */
const WIRE: Record<Channel, string> = { ticker: "ticker", market_trades: "market_trades", level2: "l2_data", heartbeats: "heartbeats" };

const Request = z.object({
  type: z.enum(["subscribe", "unsubscribe"]),
  product_ids: z.array(z.string()).optional(),
  channel: z.string(),
  jwt: z.string().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
});

class AdvancedConn extends Conn {
  readonly channels = new Map<Channel, Set<Product>>();
  seq = 0;
  heartbeats = 0;
  subscribed = false;
  timeout: ReturnType<typeof setTimeout> | undefined;
  constructor(ws: WebSocket, socket: Socket, path: string, ctx: ConnContext, readonly rate: MsgRate, private readonly onGone: (c: AdvancedConn) => void) {
    super("coinbase", ws, socket, path, ctx);
  }
  protected override onClosed(): void {
    clearTimeout(this.timeout);
    this.onGone(this);
  }
}

export class CoinbaseAdvancedVenue implements TickListener {
  /** Per product index: connections subscribed to each data channel. */
  private readonly subs: Record<"ticker" | "market_trades" | "level2", AdvancedConn[][]> = { ticker: [], market_trades: [], level2: [] };
  private readonly conns = new Set<AdvancedConn>();
  private readonly ipRates = new Map<string, MsgRate>();
  private readonly hbTimer: ReturnType<typeof setInterval>;
  private nanos = 0;
  private lastMs = 0;

  constructor(
    private readonly universe: Universe,
    private readonly market: Market,
    private readonly ctx: ConnContext,
    private readonly opts: CoinbaseOptions,
    private readonly jwtKeys = new JwtKeys(),
  ) {
    this.hbTimer = setInterval(() => this.heartbeats(), opts.heartbeatMs);
    market.listen(this);
  }

  stop(): void {
    clearInterval(this.hbTimer);
  }

  accept(ws: WebSocket, socket: Socket, req: IncomingMessage): void {
    const ip = socket.remoteAddress ?? "?";
    let rate = new MsgRate(this.opts.msgLimit);
    if (this.opts.limitScope === "ip") {
      rate = this.ipRates.get(ip) ?? rate;
      this.ipRates.set(ip, rate);
    }
    const c = new AdvancedConn(ws, socket, req.url ?? "/coinbase-advanced", this.ctx, rate, (x) => this.gone(x));
    this.conns.add(c);
    c.timeout = setTimeout(() => {
      if (c.subscribed) return;
      this.ctx.stats.disconnects.subscribeTimeout++;
      c.close(1008, "subscribe timeout");
    }, this.opts.subscribeTimeoutMs);
    ws.on("message", (data, isBinary) => {
      try {
        this.onMessage(c, isBinary ? "" : data.toString());
      } catch (e) {
        log.error("coinbase-advanced message handling failed: {error}", { error: e });
        c.close(1011, "internal error");
      }
    });
  }

  onTick(p: Product, now: number): void {
    const trades = this.subs.market_trades[p.index];
    if (trades?.length && !(this.ctx.faults.dropTradeArmed && this.ctx.faults.dropTradeNow("coinbase"))) {
      const events = [{ type: "update", trades: [this.trade(p, now)] }];
      for (const c of trades) this.send(c, "market_trades", events, now);
    }
    const f = this.ctx.faults;
    const book = this.subs.level2[p.index];
    const diff = book?.length ? p.book.takeL2() : null;
    if (book && diff) {
      const l2 = [{ type: "update", product_id: p.cbId, updates: l2Updates(diff, this.time(now)) }];
      for (const c of book) {
        // A lost level2 message: the connection's sequence_num jumps past it, and a client
        // that does not resync keeps a wrong book.
        if (f.skipArmed && f.skip("coinbase", p)) c.seq++;
        else this.send(c, "level2", l2, now);
      }
    }
    const ticker = this.subs.ticker[p.index];
    if (!ticker?.length) return;
    const events = [{ type: "update", tickers: [this.ticker(p)] }];
    for (const c of ticker) {
      // A lost message on this connection: its sequence_num jumps.
      if (f.skipArmed && f.skip("coinbase", p)) c.seq++;
      this.send(c, "ticker", events, now);
    }
    this.ctx.stats.ticksSent += ticker.length;
  }

  private onMessage(c: AdvancedConn, text: string): void {
    const json = readClientMessage(c, text, this.ctx, this.opts.msgLimit);
    if (json === NOT_READ) return;
    if (json !== null && typeof json === "object" && "channels" in json) {
      return this.error(c, "Failed to subscribe", "one channel per subscription message: use \"channel\", not \"channels\"");
    }
    const r = Request.safeParse(json);
    if (!r.success) return this.error(c, "Failed to subscribe", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    // Market data needs no JWT; one that is sent must be good (coinbase-jwt.ts), else nothing is subscribed.
    if (r.data.jwt !== undefined) {
      const why = this.jwtKeys.check(r.data.jwt, Date.now());
      if (why !== undefined) {
        this.ctx.stats.jwtRefused++;
        return this.error(c, "Failed to subscribe", `authentication failure: ${why}`);
      }
      this.ctx.stats.jwtAccepted++;
    }
    const ch = r.data.channel as Channel;
    if (!(CHANNELS as readonly string[]).includes(ch)) return this.error(c, "Failed to subscribe", `${r.data.channel} is not a channel the simulator serves (${CHANNELS.join(", ")})`);
    const products: Product[] = [];
    for (const id of r.data.product_ids ?? []) {
      const p = this.universe.coinbase(id);
      if (!p) return this.error(c, "Failed to subscribe", `${id} is not a valid product`);
      if (!this.ctx.faults.refuses(p.cbId)) products.push(p);
    }
    if (r.data.type === "subscribe") this.subscribe(c, ch, products);
    else this.unsubscribe(c, ch, r.data.product_ids === undefined ? "all" : products);
  }

  private subscribe(c: AdvancedConn, ch: Channel, products: Product[]): void {
    let set = c.channels.get(ch);
    if (!set) c.channels.set(ch, (set = new Set()));
    const fresh: Product[] = [];
    for (const p of products) {
      if (set.has(p)) continue;
      set.add(p);
      if (ch === "heartbeats") continue;
      this.market.retain(p);
      (this.subs[ch][p.index] ??= []).push(c);
      if (ch === "level2") p.book.trackL2 = true;
      fresh.push(p);
    }
    if (!c.subscribed) {
      const s = this.ctx.stats;
      s.firstSubscribeMaxMs = Math.max(s.firstSubscribeMaxMs, Date.now() - c.openedAt);
    }
    c.subscribed = true;
    clearTimeout(c.timeout);
    this.sendSubscriptions(c);
    const now = Date.now();
    if (fresh.length === 0) return;
    if (ch === "ticker") this.send(c, "ticker", [{ type: "snapshot", tickers: fresh.map((p) => this.ticker(p)) }], now);
    if (ch === "market_trades") this.send(c, "market_trades", [{ type: "snapshot", trades: fresh.map((p) => this.trade(p, now)) }], now);
    // The whole book, then every change of it (Book.takeL2 after each move).
    if (ch === "level2") for (const p of fresh) this.send(c, "level2", [{ type: "snapshot", product_id: p.cbId, updates: l2Updates(p.book.l2Snapshot(), "1970-01-01T00:00:00Z") }], now);
  }

  private unsubscribe(c: AdvancedConn, ch: Channel, products: Product[] | "all"): void {
    const set = c.channels.get(ch);
    for (const p of products === "all" ? [...(set ?? [])] : products) if (set?.delete(p)) this.drop(c, ch, p);
    if (set?.size === 0) c.channels.delete(ch);
    this.sendSubscriptions(c);
  }

  private drop(c: AdvancedConn, ch: Channel, p: Product): void {
    if (ch === "heartbeats") return;
    this.market.release(p);
    const subs = this.subs[ch][p.index];
    const i = subs ? subs.indexOf(c) : -1;
    if (subs && i >= 0) subs.splice(i, 1);
    if (ch === "level2" && !subs?.length) p.book.trackL2 = false;
  }

  private gone(c: AdvancedConn): void {
    for (const [ch, set] of c.channels) for (const p of set) this.drop(c, ch, p);
    c.channels.clear();
    this.conns.delete(c);
  }

  /** One envelope; `sequence_num` is this connection's message counter. */
  private send(c: AdvancedConn, ch: Channel | "subscriptions", events: unknown[], now: number, control = false): void {
    const body = `{"channel":"${ch === "subscriptions" ? ch : WIRE[ch]}","client_id":"","timestamp":"${this.time(now)}","sequence_num":${c.seq++},"events":${JSON.stringify(events)}}`;
    if (control) c.sendControl(body);
    else c.sendData(body, now);
  }

  private sendSubscriptions(c: AdvancedConn): void {
    const subscriptions: Record<string, string[]> = {};
    for (const [ch, set] of c.channels) subscriptions[ch] = [...set].map((p) => p.cbId);
    this.send(c, "subscriptions", [{ subscriptions }], Date.now(), true);
  }

  private error(c: AdvancedConn, message: string, reason: string): void {
    sendError(c, this.ctx, message, reason);
  }

  private heartbeats(): void {
    const now = Date.now();
    for (const c of this.conns) {
      if (!c.channels.has("heartbeats") || c.stalledUntil > now) continue;
      const t = new Date(now + this.ctx.faults.clockSkewMs).toISOString().replace("T", " ").replace("Z", "000000 +0000 UTC");
      this.send(c, "heartbeats", [{ current_time: t, heartbeat_counter: c.heartbeats++ }], now);
    }
  }

  /** RFC 3339 with nanoseconds, as Advanced Trade prints `timestamp`; a counter (1 µs a message) keeps times within one ms ordered and distinct. */
  private time(now: number): string {
    const ms = now + this.ctx.faults.clockSkewMs;
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.nanos = 0;
    } else if (this.nanos < 999_000) this.nanos += 1000;
    return new Date(ms).toISOString().slice(0, 23) + String(this.nanos).padStart(6, "0") + "Z";
  }

  /** A ticker with the documented example's fields, in its order. */
  private ticker(p: Product): Record<string, string> {
    const b = p.book;
    const chg = p.open > 0 ? ((p.px - p.open) / p.open) * 100 : 0;
    return {
      type: "ticker", product_id: p.cbId, price: p.pxStr, volume_24_h: fixed(p.vol24, p.qtyDec), low_24_h: p.lowStr, high_24_h: p.highStr,
      low_52_w: p.lowStr, high_52_w: p.highStr, price_percent_chg_24_h: String(Math.round(chg * 1e8) / 1e8),
      best_bid: fixed(b.bestBid, p.dec), best_bid_quantity: fixed(b.bestBidQty, p.qtyDec), best_ask: fixed(b.bestAsk, p.dec), best_ask_quantity: fixed(b.bestAskQty, p.qtyDec),
    };
  }

  /** The product's last trade; `side` is the maker's, so the opposite of the taker side the tick moved with. */
  private trade(p: Product, now: number): Record<string, string> {
    const t = new Date(now + this.ctx.faults.clockSkewMs).toISOString();
    return { trade_id: String(p.tradeId), product_id: p.cbId, price: p.pxStr, size: fixed(p.lastQty, p.qtyDec), side: p.side === "buy" ? "SELL" : "BUY", time: t };
  }
}

/** Levels as level2 `updates` (`new_quantity` is the size now at the level, "0": gone). */
function l2Updates(d: { bids: [string, string][]; asks: [string, string][] }, eventTime: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const [price_level, new_quantity] of d.bids) out.push({ side: "bid", event_time: eventTime, price_level, new_quantity });
  for (const [price_level, new_quantity] of d.asks) out.push({ side: "offer", event_time: eventTime, price_level, new_quantity });
  return out;
}
