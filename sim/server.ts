/**
 * The simulator's one HTTP server: WebSocket upgrades routed by path to the Coinbase
 * and Binance venues (`ws` in noServer mode), REST for Binance and CoinGecko, and the
 * /_sim/ control endpoints. Also owns start-up order and graceful shutdown.
 */
import { getLogger } from "@logtape/logtape";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { BadStreamError, BinanceVenue } from "./binance.ts";
import { binanceRest, restWeight } from "./binance-rest.ts";
import { ConnLimiter, WeightLimiter } from "./binance-limits.ts";
import { CoinbaseVenue, coinbaseAdvancedProducts, coinbaseProducts } from "./coinbase.ts";
import { CoinbaseAdvancedVenue } from "./coinbase-advanced.ts";
import { JwtKeys } from "./coinbase-jwt.ts";
import { CoinGecko, MinuteWindow } from "./coingecko.ts";
import { Registry } from "./conn.ts";
import { control, type SimCore } from "./control.ts";
import { Faults } from "./faults.ts";
import { sendJson } from "./http.ts";
import { Market } from "./market.ts";
import type { ResolvedOptions } from "./settings.ts";
import { VenueStats } from "./stats.ts";
import { buildUniverse } from "./universe.ts";
import { KlineHistory, klinesRest } from "./klines.ts";

const log = getLogger(["tickflow", "simulator"]);

export class SimServer {
  readonly core: SimCore;
  readonly http: Server;
  private readonly coinbase: CoinbaseVenue;
  private readonly coinbaseAdvanced: CoinbaseAdvancedVenue;
  private readonly binance: BinanceVenue;
  private readonly usdm: BinanceVenue;
  /** REST weight per flavour (Binance counts per IP; one client IP in practice here). */
  readonly weights: { spot: WeightLimiter; usdm: WeightLimiter };
  /** Binance WebSocket handshakes per IP (the simulator sees one client IP: every attempt counts). */
  readonly connLimits: { spot: ConnLimiter; usdm: ConnLimiter };
  private readonly gecko: CoinGecko;
  /** Candle history for the klines/candles REST endpoints (klines.ts). */
  readonly klines: KlineHistory;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastSample = performance.now();

  constructor(readonly opts: ResolvedOptions) {
    const universe = buildUniverse(opts.seed, opts.symbols);
    const market = new Market(universe, { tickRate: opts.tickRate, batchMs: opts.batchMs });
    const faults = new Faults(opts.seed);
    const registry = new Registry();
    const stats = { coinbase: new VenueStats(), binance: new VenueStats(), "binance-usdm": new VenueStats(), coingecko: new VenueStats() };
    this.weights = {
      spot: new WeightLimiter({ limit: opts.binanceWeightLimit, banMs: opts.binanceBanMs }),
      usdm: new WeightLimiter({ limit: opts.binanceUsdmWeightLimit, banMs: opts.binanceBanMs }),
    };
    const conn = { limit: opts.binanceWsConnLimit, windowMs: opts.binanceWsConnWindowMs, banMs: opts.binanceBanMs };
    this.connLimits = { spot: new ConnLimiter(conn), usdm: new ConnLimiter(conn) };
    this.core = { binanceWeights: this.weights, binanceConnections: this.connLimits, universe, market, faults, registry, stats, seed: opts.seed, startedAt: Date.now(), coingeckoRpm: opts.coingeckoRpm };
    const ctx = (s: VenueStats) => ({ faults, stats: s, maxBufferedBytes: opts.maxBufferedBytes, registry });
    const coinbaseOpts = {
      msgLimit: opts.coinbaseMsgLimit,
      limitScope: opts.coinbaseLimitScope,
      subscribeTimeoutMs: opts.subscribeTimeoutMs,
      heartbeatMs: opts.heartbeatMs,
    };
    this.coinbase = new CoinbaseVenue(universe, market, ctx(stats.coinbase), coinbaseOpts);
    // Advanced Trade shares the Coinbase counters (same venue, another API).
    const jwtKeys = new JwtKeys();
    if (opts.coinbaseJwtKeys) for (const [name, pem] of Object.entries(JSON.parse(opts.coinbaseJwtKeys) as Record<string, string>)) jwtKeys.add(name, pem);
    this.coinbaseAdvanced = new CoinbaseAdvancedVenue(universe, market, ctx(stats.coinbase), coinbaseOpts, jwtKeys);
    this.binance = new BinanceVenue(universe, market, ctx(stats.binance), {
      msgLimit: opts.binanceMsgLimit,
      maxStreams: opts.binanceMaxStreams,
      pingMs: opts.binancePingMs,
      pongTimeoutMs: opts.binancePongTimeoutMs,
      bookHistory: opts.bookHistory,
      maxSessionMs: opts.binanceMaxSessionMs,
    });
    this.usdm = new BinanceVenue(universe, market, ctx(stats["binance-usdm"]), {
      flavor: "usdm",
      msgLimit: opts.binanceMsgLimit,
      maxStreams: opts.binanceMaxStreams,
      pingMs: opts.binanceUsdmPingMs,
      pongTimeoutMs: opts.binanceUsdmPongTimeoutMs,
      bookHistory: opts.bookHistory,
      maxSessionMs: opts.binanceMaxSessionMs,
    });

    this.klines = new KlineHistory(universe, opts.seed);
    this.gecko = new CoinGecko(universe, new MinuteWindow(opts.coingeckoRpm), this.klines);
    market.listen(this.klines);
    this.http = createServer((req, res) => this.onRequest(req, res));
    this.http.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    this.http.on("clientError", (_e, socket) => socket.destroy());
  }

  /** Listen and start ticking; resolves with the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    this.core.market.start();
    this.statsTimer = setInterval(() => this.sample(), 1000);
    const addr = this.http.address();
    return typeof addr === "object" && addr ? addr.port : this.opts.port;
  }

  /** Close every socket with 1001 (going away), stop timers, stop listening. */
  async close(): Promise<void> {
    this.core.market.stop();
    this.coinbase.stop();
    this.coinbaseAdvanced.stop();
    this.binance.stop();
    this.usdm.stop();
    clearInterval(this.statsTimer);
    const conns = this.core.registry.all();
    const closed = conns.map((c) => new Promise<void>((r) => (c.ws.readyState === c.ws.CLOSED ? r() : c.ws.once("close", () => r()))));
    for (const c of conns) c.close(1001, "going away");
    // Give clients a moment to answer the close handshake, then cut what is left.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 1500).unref())]);
    for (const c of conns) c.ws.terminate();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private sample(): void {
    const t = performance.now();
    const dt = t - this.lastSample;
    this.lastSample = t;
    this.core.market.sample(dt);
    for (const s of Object.values(this.core.stats)) s.sample(dt);
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://sim");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const reject = (status: string, why: string) => {
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${why}\n`);
    };
    if (path === "/coinbase") {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.coinbase.accept(ws, socket, req));
      return;
    }
    if (path === "/coinbase-advanced") {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.coinbaseAdvanced.accept(ws, socket, req));
      return;
    }
    // USD-M futures streams live under /fstream (the real host is fstream.binance.com).
    const futures = path === "/fstream" || path.startsWith("/fstream/");
    const venue = futures ? this.usdm : this.binance;
    const rest = futures ? path.slice("/fstream".length) || "/" : path;
    let combined: boolean;
    let streams: string[];
    const limiter = futures ? this.connLimits.usdm : this.connLimits.spot;
    if (this.core.faults.takeWs418()) limiter.force418++;
    const refusal = limiter.admit(Date.now());
    if (refusal) {
      const text = refusal.status === 429 ? "429 Too Many Requests" : "418 I'm a teapot";
      socket.end(`HTTP/1.1 ${text}\r\nretry-after: ${refusal.retryAfterS}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ code: -1003, msg: refusal.status === 429 ? "Too many connection attempts; current limit is exceeded." : "Way too many connection attempts; IP banned." })}\n`);
      return;
    }
    if (rest === "/stream") {
      combined = true;
      streams = (url.searchParams.get("streams") ?? "").split("/").filter(Boolean);
    } else if (rest === "/ws" || rest.startsWith("/ws/")) {
      combined = false;
      streams = rest.slice(4).split("/").filter(Boolean);
    } else {
      reject("404 Not Found", `no WebSocket endpoint at ${path} (try /coinbase, /stream?streams=..., /ws, /fstream/stream, /fstream/ws)`);
      return;
    }
    try {
      venue.checkStreams(streams);
    } catch (e) {
      if (e instanceof BadStreamError) return reject("400 Bad Request", e.message);
      throw e;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => venue.accept(ws, socket, path, combined, streams));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://sim");
    const path = url.pathname;
    const q = url.searchParams;
    const fail = (e: unknown) => {
      log.error("request {path} failed: {error}", { path, error: e });
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    };
    if (path.startsWith("/_sim/") || path === "/_sim") {
      control(this.core, path, q, req, res).catch(fail);
      return;
    }
    const geckoPath = path.startsWith("/coingecko/") ? path.slice("/coingecko".length) : path;
    const isGecko = geckoPath === "/api/v3/coins/markets" || geckoPath === "/api/v3/simple/price" || path === "/coingecko/api/v3/ping";
    if (path === "/api/v3/brokerage/market/products" && req.method === "GET") {
      // Coinbase Advanced Trade public product list (https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/list-public-products).
      const products = coinbaseAdvancedProducts(this.core.universe);
      return sendJson(res, 200, { products, num_products: products.length });
    }
    if (path === "/products" && req.method === "GET") {
      // Coinbase Exchange REST product list (https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts).
      return sendJson(res, 200, coinbaseProducts(this.core.universe));
    }
    const isBinance = !isGecko && (path.startsWith("/api/v3/") || path.startsWith("/fapi/v1/") || /^\/products\/[^/]+\/candles\/?$/.test(path));
    if (!isGecko && !isBinance) return sendJson(res, 404, { error: `not found: ${path}` });
    if (req.method !== "GET") return sendJson(res, 405, { error: "only GET" });
    const answer = () => {
      try {
        this.rest(isGecko, geckoPath, path, q, res);
      } catch (e) {
        fail(e);
      }
    };
    const delay = this.core.faults.restLatencyMs;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  }

  private rest(isGecko: boolean, geckoPath: string, path: string, q: URLSearchParams, res: ServerResponse): void {
    const { faults, stats } = this.core;
    const futures = path.startsWith("/fapi/");
    const s = isGecko ? stats.coingecko : futures ? stats["binance-usdm"] : stats.binance;
    s.restRequests++;
    if (isGecko && faults.take429()) {
      s.restThrottled++;
      return this.gecko.throttle(res, 1);
    }
    let headers: Record<string, string> = {};
    if (!isGecko) {
      const w = futures ? this.weights.usdm : this.weights.spot;
      if (faults.take418()) w.force418++;
      else if (faults.take429()) w.force429++;
      const admitted = w.admit(restWeight(path, q), Date.now(), res);
      if (admitted === false) {
        s.restThrottled++;
        return;
      }
      headers = admitted;
    }
    if (isGecko) {
      const wait = this.gecko.window.take(Date.now());
      if (wait > 0) {
        s.restThrottled++;
        return this.gecko.throttle(res, wait);
      }
      this.gecko.handle(geckoPath, q, res);
    } else if (!klinesRest(this.klines, this.core.universe, path, q, res) && !binanceRest(this.core.universe, path, q, res, headers)) {
      sendJson(res, 404, { code: -1, msg: `unknown endpoint ${path}` });
    }
  }
}
