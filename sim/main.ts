/**
 * `npm run sim`: run the exchange simulator from environment variables (SIM_*, see
 * settings.ts and README.md), print the URLs for the other components, and shut down
 * gracefully on SIGTERM/SIGINT (sockets closed with 1001, exit 0).
 */
import { configure, getConsoleSink, getLogger } from "@logtape/logtape";
import { isConfigError, loadConfig, logSettings } from "../lib/platform/config.ts";
import { optionsFromEnv, startSimulator } from "./mod.ts";

async function main(): Promise<number> {
  let options;
  let logLevel;
  try {
    options = optionsFromEnv();
    logLevel = loadConfig(logSettings).LOG_LEVEL;
  } catch (e) {
    if (isConfigError(e)) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["tickflow"], lowestLevel: logLevel, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
  const log = getLogger(["tickflow", "simulator"]);
  const sim = await startSimulator(options);
  const u = sim.urls;
  // Plain KEY=value lines on stdout, so scripts (and npm start) can read them.
  console.log(`COINBASE_WS_URL=${u.coinbaseWs}`);
  console.log(`COINBASE_ADVANCED_WS_URL=${u.coinbaseAdvancedWs}`);
  console.log(`BINANCE_WS_URL=${u.binanceWs}`);
  console.log(`BINANCE_REST_URL=${u.binanceRest}`);
  console.log(`BINANCE_USDM_WS_URL=${u.binanceUsdmWs}`);
  console.log(`BINANCE_USDM_REST_URL=${u.binanceUsdmRest}`);
  console.log(`COINGECKO_URL=${u.coingecko}`);
  console.log(`SIM_CONTROL_URL=${u.control}`);
  log.info("simulator up: {products} products, seed {seed}, {rate} ticks/s", {
    products: options.symbols,
    seed: options.seed,
    rate: options.tickRate,
  });
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info("{signal}: shutting down", { signal });
      const force = setTimeout(() => resolve(1), 8000);
      force.unref();
      sim.close().then(
        () => resolve(0),
        (e) => {
          log.error("shutdown failed: {error}", { error: e });
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
