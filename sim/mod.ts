/**
 * Exchange simulator: one HTTP port speaking the Coinbase Exchange WebSocket feed,
 * Binance spot streams + REST depth, and CoinGecko REST, from a seeded random walk
 * over a configurable product universe, with fault knobs under /_sim/.
 *
 *   const sim = await startSimulator({ port: 0, seed: 7, tickRate: 2000 });
 *   new WebSocket(sim.urls.coinbaseWs) ...
 *   await sim.close();
 */
import { applyFaults, simStats } from "./control.ts";
import { FaultRequest } from "./faults.ts";
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from "./settings.ts";
import { SimServer } from "./server.ts";
import type { Universe } from "./universe.ts";

export { optionsFromEnv, resolveOptions, simulatorSettings, type SimulatorOptions } from "./settings.ts";
export { FaultRequest } from "./faults.ts";

export interface SimulatorUrls {
  /** ws://host:port/coinbase — the Coinbase Exchange feed. */
  coinbaseWs: string;
  /** ws://host:port/coinbase-advanced — the Coinbase Advanced Trade feed. */
  coinbaseAdvancedWs: string;
  /** ws://host:port/stream — Binance combined streams (append ?streams=a/b). */
  binanceWs: string;
  /** ws://host:port/ws — Binance raw streams. */
  binanceWsRaw: string;
  /** http://host:port — Binance REST base (GET /api/v3/depth). */
  binanceRest: string;
  /** ws://host:port/fstream — Binance USD-M futures stream base (…/stream, …/ws). */
  binanceUsdmWs: string;
  /** http://host:port — USD-M futures REST base (GET /fapi/v1/depth, /fapi/v1/exchangeInfo). */
  binanceUsdmRest: string;
  /** http://host:port/api/v3 — CoinGecko base. */
  coingecko: string;
  /** http://host:port/_sim — control endpoints. */
  control: string;
}

export interface SimulatorHandle {
  readonly host: string;
  readonly port: number;
  readonly urls: SimulatorUrls;
  readonly options: ResolvedOptions;
  readonly universe: Universe;
  /** The same JSON as GET /_sim/stats. */
  stats(): Record<string, unknown>;
  /** The same as POST /_sim/faults. @throws RangeError for unknown targets. */
  faults(req: FaultRequest): Record<string, unknown>;
  setTickRate(ticksPerSecond: number): void;
  /** Close sockets with 1001, stop listening. */
  close(): Promise<void>;
}

/**
 * Start a simulator (defaults: port 0 = any free port, host 127.0.0.1, seed 42,
 * 500 products, 1000 ticks/s).
 * @throws ConfigError for an out-of-range option; the listen error if the port is taken.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const o = resolveOptions(opts);
  const server = new SimServer(o);
  const port = await server.listen();
  const hostPart = o.host.includes(":") ? `[${o.host}]` : o.host;
  const http = `http://${hostPart}:${port}`;
  const ws = `ws://${hostPart}:${port}`;
  const core = server.core;
  let closing: Promise<void> | undefined;
  return {
    host: o.host,
    port,
    options: o,
    universe: core.universe,
    urls: {
      coinbaseWs: `${ws}/coinbase`,
      coinbaseAdvancedWs: `${ws}/coinbase-advanced`,
      binanceWs: `${ws}/stream`,
      binanceWsRaw: `${ws}/ws`,
      binanceRest: http,
      binanceUsdmWs: `${ws}/fstream`,
      binanceUsdmRest: http,
      coingecko: `${http}/api/v3`,
      control: `${http}/_sim`,
    },
    stats: () => simStats(core),
    faults: (req) => applyFaults(core, FaultRequest.parse(req)),
    setTickRate: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`ticks per second must be a positive integer, got ${n}`);
      core.market.tickRate = n;
    },
    close: () => (closing ??= server.close()),
  };
}
