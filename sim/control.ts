/**
 * Control endpoints under /_sim/ (JSON), for tests, benchmarks and operators:
 *   GET  /_sim/stats        counters, target and achieved tick rate, per venue
 *   GET  /_sim/connections  live WebSocket connections (id, venue, remote port...)
 *   GET  /_sim/products     the universe (?offset=&limit=)
 *   GET  /_sim/book?symbol= the simulator's own full book for a Binance symbol
 *   GET  /_sim/faults       fault knobs;  POST /_sim/faults  set them (see faults.ts)
 *   POST /_sim/rate         {"ticksPerSecond": N}
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Registry } from "./conn.ts";
import { FaultRequest, type Faults } from "./faults.ts";
import { BodyTooLargeError, intParam, readBody, sendJson } from "./http.ts";
import type { Market } from "./market.ts";
import type { VenueStats } from "./stats.ts";
import type { Universe } from "./universe.ts";

export interface SimCore {
  readonly universe: Universe;
  readonly market: Market;
  readonly faults: Faults;
  readonly registry: Registry;
  /** Binance REST weight windows (Spot, USD-M futures). */
  readonly binanceWeights?: { spot: { toJSON(): Record<string, unknown> }; usdm: { toJSON(): Record<string, unknown> } };
  readonly binanceConnections?: { spot: { toJSON(): Record<string, unknown> }; usdm: { toJSON(): Record<string, unknown> } };
  readonly stats: { coinbase: VenueStats; binance: VenueStats; "binance-usdm": VenueStats; coingecko: VenueStats };
  readonly seed: number;
  readonly startedAt: number;
  /** Calls per minute the CoinGecko endpoints allow. */
  readonly coingeckoRpm: number;
}

const Rate = z.strictObject({ ticksPerSecond: z.number().int().min(1).max(1_000_000) });

export function simStats(core: SimCore): Record<string, unknown> {
  const { market, universe, stats } = core;
  const at = Date.now();
  return {
    seed: core.seed,
    /** The simulator's clock when these counters were read: a rate over a window is Δcounter / Δat of two reads. */
    at,
    uptimeMs: at - core.startedAt,
    products: universe.products.length,
    activeProducts: market.active.length,
    tickRate: { target: market.tickRate, achieved: market.achieved },
    ticks: market.ticks,
    /** Ticks written to client sockets, all venues (what the consumers were offered). */
    ticksSent: stats.coinbase.ticksSent + stats.binance.ticksSent + stats["binance-usdm"].ticksSent,
    connections: core.registry.size,
    venues: { coinbase: stats.coinbase.toJSON(), binance: stats.binance.toJSON(), "binance-usdm": stats["binance-usdm"].toJSON(), coingecko: { ...stats.coingecko.toJSON(), rpm: core.coingeckoRpm } },
    faults: core.faults.toJSON(),
    ...(core.binanceWeights ? { binanceWeight: { spot: core.binanceWeights.spot.toJSON(), usdm: core.binanceWeights.usdm.toJSON() } } : {}),
    ...(core.binanceConnections ? { binanceConnections: { spot: core.binanceConnections.spot.toJSON(), usdm: core.binanceConnections.usdm.toJSON() } } : {}),
  };
}

/** Handle GET/POST /_sim/...; always answers. */
export async function control(core: SimCore, path: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${path}`;
  switch (route) {
    case "GET /_sim/stats":
      return sendJson(res, 200, simStats(core));
    case "GET /_sim/connections":
      return sendJson(
        res,
        200,
        core.registry.all().map((c) => ({
          id: c.id,
          venue: c.venue,
          path: c.path,
          remoteAddress: c.remoteAddress,
          remotePort: c.remotePort,
          openedAt: c.openedAt,
          framesSent: c.framesSent,
          stalledUntil: c.stalledUntil,
        })),
      );
    case "GET /_sim/products": {
      const offset = intParam(q, "offset", 0);
      const limit = intParam(q, "limit", 1000);
      if (Number.isNaN(offset) || Number.isNaN(limit)) return sendJson(res, 400, { error: "offset and limit must be non-negative integers" });
      // Listed products only: the listings knob takes products off every list.
      const rows = core.universe.products.filter((p) => p.listed).slice(offset, offset + limit).map((p) => ({
        index: p.index,
        base: p.base,
        name: p.name,
        coinbase: p.cbId,
        binance: p.bnSymbol,
        coingecko: p.cgId,
        price: p.pxStr,
        change24hPct: Number(((p.px / p.open - 1) * 100).toFixed(3)),
        active: p.activeAt >= 0,
      }));
      return sendJson(res, 200, rows);
    }
    case "GET /_sim/book": {
      const sym = q.get("symbol") ?? "";
      const p = core.universe.binance(sym) ?? core.universe.find(sym);
      if (!p) return sendJson(res, 404, { error: `unknown symbol ${JSON.stringify(sym)}` });
      // venue=binance-usdm: the USD-M futures book (its own levels and update ids).
      const book = q.get("venue") === "binance-usdm" ? p.futBook : p.book;
      const at = q.get("at");
      if (at !== null) {
        // The book right after one update id (needs SIM_BOOK_HISTORY > 0).
        const snap = book.at(Number(at));
        return snap ? sendJson(res, 200, { symbol: p.bnSymbol, ...snap }) : sendJson(res, 404, { error: `update id ${at} not in the history (SIM_BOOK_HISTORY)` });
      }
      return sendJson(res, 200, { symbol: p.bnSymbol, ...book.snapshot(Number.MAX_SAFE_INTEGER) });
    }
    case "GET /_sim/faults":
      return sendJson(res, 200, core.faults.toJSON());
    case "POST /_sim/faults":
      return withBody(req, res, FaultRequest, (body) => sendJson(res, 200, applyFaults(core, body)));
    case "POST /_sim/rate":
      return withBody(req, res, Rate, (body) => {
        core.market.tickRate = body.ticksPerSecond;
        sendJson(res, 200, { tickRate: core.market.tickRate });
      });
    default:
      return sendJson(res, 404, {
        error: `no such control endpoint: ${route}`,
        endpoints: ["GET /_sim/stats", "GET /_sim/connections", "GET /_sim/products", "GET /_sim/book?symbol=&venue=", "GET|POST /_sim/faults", "POST /_sim/rate"],
      });
  }
}

/** Apply a fault request; drops and stalls happen now, the rest are knobs. */
export function applyFaults(core: SimCore, body: FaultRequest): Record<string, unknown> {
  const now = Date.now();
  // Resolve every target before changing anything, so a bad request changes nothing.
  let stallTargets: Array<{ stalledUntil: number }> = [];
  if (body.stall) {
    const { product, connection, venue } = body.stall;
    if (product !== undefined) {
      const p = core.universe.find(product);
      if (!p) throw new RangeError(`stall.product: unknown product ${JSON.stringify(product)}`);
      stallTargets = [p];
    } else if (connection !== undefined) {
      const c = core.registry.get(connection);
      if (!c) throw new RangeError(`stall.connection: no connection with id ${connection}`);
      stallTargets = [c];
    } else stallTargets = core.registry.all(venue);
  }
  const skipProduct = body.skipSequence?.product;
  if (skipProduct !== undefined && !core.universe.find(skipProduct)) {
    throw new RangeError(`skipSequence.product: unknown product ${JSON.stringify(skipProduct)}`);
  }
  const listings = body.listings ? [...(body.listings.delist ?? []).map((n) => [n, false] as const), ...(body.listings.list ?? []).map((n) => [n, true] as const)] : [];
  const listed = listings.map(([name, on]) => {
    const p = core.universe.find(name);
    if (!p) throw new RangeError(`listings: unknown product ${JSON.stringify(name)}`);
    return [p, on] as const;
  });
  core.faults.apply(body, (name) => core.universe.find(name));
  for (const [p, on] of listed) p.listed = on;
  for (const t of stallTargets) t.stalledUntil = now + body.stall!.ms;
  let dropped = 0;
  if (body.restartSequences) {
    for (const p of core.universe.products) p.restartSequences();
    for (const c of core.registry.all("all")) {
      core.stats[c.venue].disconnects.faultDrop++;
      c.close(1001, "service restart");
      dropped++;
    }
  }
  if (body.drop) {
    const venue = body.drop === true ? "all" : (body.drop.venue ?? "all");
    for (const c of core.registry.all(venue)) {
      core.stats[c.venue].disconnects.faultDrop++;
      c.terminate();
      dropped++;
    }
  }
  let shutdown = 0;
  if (body.serverShutdown) {
    const { venue = "all", closeAfterMs = 10_000 } = body.serverShutdown;
    const conns = core.registry.all().filter((c) => (c.venue === "binance" || c.venue === "binance-usdm") && (venue === "all" || c.venue === venue));
    // The documented event (https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/connection-events), then the close.
    const event = JSON.stringify({ event: { e: "serverShutdown", E: now } });
    for (const c of conns) {
      c.sendControl(event);
      shutdown++;
      setTimeout(() => {
        if (c.closed) return;
        core.stats[c.venue].disconnects.serverShutdown++;
        c.close(1001, "server shutdown");
      }, closeAfterMs).unref();
    }
  }
  return { ok: true, dropped, stalled: stallTargets.length, shutdown, faults: core.faults.toJSON() };
}

async function withBody<T>(req: IncomingMessage, res: ServerResponse, schema: z.ZodType<T>, then: (body: T) => void): Promise<void> {
  let text: string;
  try {
    text = await readBody(req);
  } catch (e) {
    return sendJson(res, e instanceof BodyTooLargeError ? 413 : 400, { error: (e as Error).message });
  }
  let json: unknown;
  try {
    json = text === "" ? {} : JSON.parse(text);
  } catch {
    return sendJson(res, 400, { error: "the body is not valid JSON" });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    return sendJson(res, 400, { error: "invalid request", issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  try {
    then(r.data);
  } catch (e) {
    if (e instanceof RangeError) return sendJson(res, 400, { error: e.message });
    throw e;
  }
}
