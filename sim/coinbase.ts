/**
 * Coinbase Exchange WebSocket feed (path /coinbase): subscribe/unsubscribe with the
 * `subscriptions` reply, `ticker` and `heartbeat` channels, per-product sequence
 * numbers, the 5 s subscribe deadline and the incoming-message rate limit.
 * Message shapes follow /work/shared/fixtures/exchange/coinbase_exchange_*.json.
 */
import { getLogger } from "@logtape/logtape";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { z } from "zod";
import { type ConnContext, Conn, MsgRate } from "./conn.ts";
import { fixed, isoMicros } from "./fmt.ts";
import type { Market, TickListener } from "./market.ts";
import type { Product, Universe } from "./universe.ts";

export interface CoinbaseOptions {
  /** Incoming messages allowed per second before the client is cut off (Coinbase: 8). */
  msgLimit: number;
  /** Count the limit per connection, or per client IP as Coinbase does. */
  limitScope: "connection" | "ip";
  /** Disconnect clients that have not subscribed within this many ms (Coinbase: 5000). */
  subscribeTimeoutMs: number;
  heartbeatMs: number;
}

const log = getLogger(["tickflow", "simulator", "coinbase"]);

/** `matches`: one `match` per trade, after a `last_match` on subscribe (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels#matches-channel). */
const CHANNELS = ["ticker", "heartbeat", "matches"] as const;
type Channel = (typeof CHANNELS)[number];

const ChannelEntry = z.union([z.string(), z.object({ name: z.string(), product_ids: z.array(z.string()).optional() })]);
const Request = z.object({
  type: z.enum(["subscribe", "unsubscribe"]),
  product_ids: z.array(z.string()).optional(),
  channels: z.array(ChannelEntry).min(1),
});

/** {@link readClientMessage} answered the message itself (rate limit, bad JSON). */
export const NOT_READ: unique symbol = Symbol("not read");

/** An error reply, as both Coinbase feeds send them: `{type: "error", message, reason}`. */
export function sendError(c: Conn, ctx: ConnContext, message: string, reason: string): void {
  ctx.stats.errorsSent++;
  c.sendControl(JSON.stringify({ type: "error", message, reason }));
}

/**
 * What both Coinbase feeds (Exchange and Advanced Trade) do first with a client message:
 * count it; past `msgLimit` a second, an error and close 1008; JSON that does not parse,
 * an error reply. Returns the parsed message, or {@link NOT_READ} when it was answered here.
 */
export function readClientMessage(c: Conn & { readonly rate: MsgRate }, text: string, ctx: ConnContext, msgLimit: number): unknown {
  if (c.closed) return NOT_READ;
  ctx.stats.messagesIn++;
  if (c.rate.hit(Date.now())) {
    ctx.stats.disconnects.rateLimit++;
    sendError(c, ctx, "rate limit exceeded", `more than ${msgLimit} messages per second`);
    c.close(1008, "rate limit exceeded");
    return NOT_READ;
  }
  try {
    return JSON.parse(text);
  } catch {
    sendError(c, ctx, "Malformed JSON", "the message is not valid JSON text");
    return NOT_READ;
  }
}

class RequestError extends Error {
  override name = "RequestError";
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

class CoinbaseConn extends Conn {
  readonly channels = new Map<Channel, Set<Product>>();
  subscribed = false;
  timeout: ReturnType<typeof setTimeout> | undefined;
  constructor(
    ws: WebSocket,
    socket: Socket,
    path: string,
    ctx: ConnContext,
    readonly rate: MsgRate,
    private readonly onGone: (c: CoinbaseConn) => void,
  ) {
    super("coinbase", ws, socket, path, ctx);
  }
  protected override onClosed(): void {
    clearTimeout(this.timeout);
    this.onGone(this);
  }
}

export class CoinbaseVenue implements TickListener {
  private readonly tickerSubs: CoinbaseConn[][] = [];
  private readonly matchSubs: CoinbaseConn[][] = [];
  private readonly heartbeatConns = new Set<CoinbaseConn>();
  private readonly ipRates = new Map<string, MsgRate>();
  private readonly hbTimer: ReturnType<typeof setInterval>;
  private micro = 0;
  private timeMs = 0;

  constructor(
    private readonly universe: Universe,
    private readonly market: Market,
    private readonly ctx: ConnContext,
    private readonly opts: CoinbaseOptions,
  ) {
    this.hbTimer = setInterval(() => this.heartbeats(Date.now()), opts.heartbeatMs);
    market.listen(this);
  }

  stop(): void {
    clearInterval(this.hbTimer);
  }

  /** Take over an upgraded socket. */
  accept(ws: WebSocket, socket: Socket, req: IncomingMessage): void {
    const ip = socket.remoteAddress ?? "?";
    let rate = new MsgRate(this.opts.msgLimit);
    if (this.opts.limitScope === "ip") {
      rate = this.ipRates.get(ip) ?? rate;
      this.ipRates.set(ip, rate);
    }
    const c = new CoinbaseConn(ws, socket, req.url ?? "/coinbase", this.ctx, rate, (x) => this.gone(x));
    c.timeout = setTimeout(() => {
      if (c.subscribed) return;
      this.ctx.stats.disconnects.subscribeTimeout++;
      c.close(1008, "subscribe timeout");
    }, this.opts.subscribeTimeoutMs);
    ws.on("message", (data, isBinary) => {
      try {
        this.onMessage(c, isBinary ? "" : data.toString());
      } catch (e) {
        log.error("coinbase message handling failed: {error}", { error: e });
        c.close(1011, "internal error");
      }
    });
  }

  onTick(p: Product, now: number): void {
    const m = this.matchSubs[p.index];
    if (m !== undefined && m.length > 0 && !(this.ctx.faults.dropTradeArmed && this.ctx.faults.dropTradeNow("coinbase"))) {
      const frame = this.match(p, now, "match");
      for (const c of m) c.sendData(frame, now);
    }
    const subs = this.tickerSubs[p.index];
    if (subs === undefined || subs.length === 0) return;
    const f = this.ctx.faults;
    if (f.skipArmed && f.skip("coinbase", p)) p.cbSeq++;
    const frame = this.ticker(p, now);
    const shared = subs.length > 1 ? Buffer.from(frame) : undefined;
    for (const c of subs) c.sendData(frame, now, shared);
    this.ctx.stats.ticksSent += subs.length;
  }

  private onMessage(c: CoinbaseConn, text: string): void {
    const json = readClientMessage(c, text, this.ctx, this.opts.msgLimit);
    if (json === NOT_READ) return;
    const r = Request.safeParse(json);
    if (!r.success) {
      const type = (json as { type?: unknown } | null)?.type;
      if (type !== "subscribe" && type !== "unsubscribe") {
        return this.error(c, "Failed to subscribe", `unsupported message type ${JSON.stringify(type ?? null)}`);
      }
      return this.error(c, "Failed to subscribe", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    try {
      const wanted = this.resolve(r.data);
      if (r.data.type === "subscribe") this.subscribe(c, wanted);
      else this.unsubscribe(c, wanted);
    } catch (e) {
      if (e instanceof RequestError) return this.error(c, e.message, e.reason);
      throw e;
    }
  }

  /** Channel → products named by a request (the top-level product_ids apply to every channel). */
  private resolve(req: z.infer<typeof Request>): Map<Channel, Product[] | "all"> {
    const verb = req.type === "subscribe" ? "Failed to subscribe" : "Failed to unsubscribe";
    const out = new Map<Channel, Product[] | "all">();
    for (const entry of req.channels) {
      const name = typeof entry === "string" ? entry : entry.name;
      if (!(CHANNELS as readonly string[]).includes(name)) {
        throw new RequestError(verb, `${name} is not a valid channel (the simulator serves ${CHANNELS.join(", ")})`);
      }
      const ids = [...(req.product_ids ?? []), ...(typeof entry === "string" ? [] : entry.product_ids ?? [])];
      if (ids.length === 0) {
        if (req.type === "subscribe") throw new RequestError(verb, `no product_ids for channel ${name}`);
        out.set(name as Channel, "all");
        continue;
      }
      const products = ids.map((id) => {
        const p = this.universe.coinbase(id);
        if (!p) throw new RequestError(verb, `${id} is not a valid product`);
        return p;
      });
      const prev = out.get(name as Channel);
      out.set(name as Channel, prev === undefined || prev === "all" ? products : [...prev, ...products]);
    }
    return out;
  }

  private subscribe(c: CoinbaseConn, wanted: Map<Channel, Product[] | "all">): void {
    const fresh: Product[] = [];
    const lastMatches: Product[] = [];
    for (const [ch, products] of wanted) {
      if (products === "all") continue;
      let set = c.channels.get(ch);
      if (!set) c.channels.set(ch, (set = new Set()));
      for (const p of products) {
        // The refuseProducts knob: left out quietly, so only the subscriptions reply shows it.
        if (set.has(p) || this.ctx.faults.refuses(p.cbId)) continue;
        set.add(p);
        this.market.retain(p);
        if (ch === "ticker") {
          (this.tickerSubs[p.index] ??= []).push(c);
          fresh.push(p);
        } else if (ch === "matches") {
          (this.matchSubs[p.index] ??= []).push(c);
          lastMatches.push(p);
        } else this.heartbeatConns.add(c);
      }
    }
    if (!c.subscribed) {
      const s = this.ctx.stats;
      s.firstSubscribeMaxMs = Math.max(s.firstSubscribeMaxMs, Date.now() - c.openedAt);
    }
    c.subscribed = true;
    clearTimeout(c.timeout);
    this.sendSubscriptions(c);
    // Like Coinbase, the ticker channel starts with the product's latest ticker.
    const now = Date.now();
    for (const p of fresh) c.sendData(this.ticker(p, now), now);
    // ...and the matches channel with the product's last trade as `last_match`.
    for (const p of lastMatches) c.sendData(this.match(p, now, "last_match"), now);
  }

  private unsubscribe(c: CoinbaseConn, wanted: Map<Channel, Product[] | "all">): void {
    for (const [ch, products] of wanted) {
      const set = c.channels.get(ch);
      if (!set) continue;
      for (const p of products === "all" ? [...set] : products) {
        if (set.delete(p)) this.drop(c, ch, p);
      }
      if (set.size === 0) c.channels.delete(ch);
    }
    if (!c.channels.has("heartbeat")) this.heartbeatConns.delete(c);
    this.sendSubscriptions(c);
  }

  private drop(c: CoinbaseConn, ch: Channel, p: Product): void {
    this.market.release(p);
    if (ch === "heartbeat") return;
    const subs = (ch === "ticker" ? this.tickerSubs : this.matchSubs)[p.index];
    const i = subs ? subs.indexOf(c) : -1;
    if (subs && i >= 0) subs.splice(i, 1);
  }

  private gone(c: CoinbaseConn): void {
    for (const [ch, set] of c.channels) for (const p of set) this.drop(c, ch, p);
    c.channels.clear();
    this.heartbeatConns.delete(c);
  }

  private sendSubscriptions(c: CoinbaseConn): void {
    const channels = [...c.channels].map(([name, set]) => ({ name, product_ids: [...set].map((p) => p.cbId) }));
    c.sendControl(JSON.stringify({ type: "subscriptions", channels }));
  }

  private error(c: CoinbaseConn, message: string, reason: string): void {
    sendError(c, this.ctx, message, reason);
  }

  private heartbeats(now: number): void {
    const time = this.time(now);
    for (const c of this.heartbeatConns) {
      for (const p of c.channels.get("heartbeat") ?? []) {
        if (p.stalledUntil > now) continue;
        c.sendData(
          `{"type":"heartbeat","sequence":${p.cbSeq},"last_trade_id":${p.tradeId},"product_id":"${p.cbId}","time":"${time}"}`,
          now,
        );
      }
    }
  }

  /** Coinbase prints microseconds; a counter fills them so times within one ms stay ordered. */
  private time(at: number): string {
    const now = at + this.ctx.faults.clockSkewMs;
    if (now !== this.timeMs) {
      this.timeMs = now;
      this.micro = 0;
    } else if (this.micro < 999) this.micro++;
    return isoMicros(now, this.micro);
  }

  /**
   * A match with the documented example's fields and order. `side` is the maker's side,
   * so it is the opposite of the taker side the ticker reports.
   */
  private match(p: Product, now: number, type: "match" | "last_match"): string {
    const maker = p.side === "buy" ? "sell" : "buy";
    return `{"type":"${type}","trade_id":${p.tradeId},"sequence":${p.cbSeq},"maker_order_id":"${orderId(p.tradeId, 1)}",` +
      `"taker_order_id":"${orderId(p.tradeId, 2)}","time":"${this.time(now)}","product_id":"${p.cbId}",` +
      `"size":"${fixed(p.lastQty, p.qtyDec)}","price":"${p.pxStr}","side":"${maker}"}`;
  }

  /** A ticker message with the fixture's fields, in the fixture's order. */
  private ticker(p: Product, now: number): string {
    const b = p.book;
    return `{"type":"ticker","sequence":${p.cbSeq},"product_id":"${p.cbId}","price":"${p.pxStr}","open_24h":"${p.openStr}",` +
      `"volume_24h":"${fixed(p.vol24, p.qtyDec)}","low_24h":"${p.lowStr}","high_24h":"${p.highStr}",` +
      `"volume_30d":"${fixed(p.vol30d, p.qtyDec)}","best_bid":"${fixed(b.bestBid, p.dec)}",` +
      `"best_bid_size":"${fixed(b.bestBidQty, p.qtyDec)}","best_ask":"${fixed(b.bestAsk, p.dec)}",` +
      `"best_ask_size":"${fixed(b.bestAskQty, p.qtyDec)}","side":"${p.side}","time":"${this.time(now)}",` +
      `"trade_id":${p.tradeId},"last_size":"${fixed(p.lastQty, p.qtyDec)}"}`;
  }
}

/** A UUID-shaped order id derived from the trade id (the simulator has no order book of orders). */
function orderId(tradeId: number, k: number): string {
  const h = (tradeId * 2654435761 + k * 40503).toString(16).padStart(12, "0").slice(-12);
  return `${k.toString(16).padStart(8, "0")}-0000-4000-8000-${h}`;
}

/** GET /products as Coinbase Exchange answers it (listed products, the documented fields). */
export function coinbaseProducts(universe: Universe): Array<Record<string, unknown>> {
  return universe.products.filter((p) => p.listed).map((p) => ({
    id: p.cbId,
    base_currency: p.base,
    quote_currency: "USD",
    quote_increment: fixed(1, p.dec),
    base_increment: fixed(1, p.qtyDec),
    display_name: `${p.base}/USD`,
    min_market_funds: "1",
    margin_enabled: false,
    post_only: false,
    limit_only: false,
    cancel_only: false,
    status: "online",
    status_message: "",
    auction_mode: false,
    trading_disabled: false,
    fx_stablecoin: false,
    max_slippage_percentage: "0.03000000",
  }));
}

/** The Advanced Trade public product list's rows (`/api/v3/brokerage/market/products`), the fields Tickflow reads and a few more. */
export function coinbaseAdvancedProducts(universe: Universe): Array<Record<string, unknown>> {
  return universe.products.filter((p) => p.listed).map((p) => ({
    product_id: p.cbId,
    price: p.pxStr,
    base_increment: fixed(1, p.qtyDec),
    quote_increment: fixed(1, p.dec),
    base_name: p.name,
    quote_name: "US Dollar",
    status: "online",
    trading_disabled: false,
    product_type: "SPOT",
    quote_currency_id: "USD",
    base_currency_id: p.base,
    base_display_symbol: p.base,
    quote_display_symbol: "USD",
  }));
}
