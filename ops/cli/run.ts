/**
 * `tickflow host|edge|sim`: run one long-lived process of the system in the
 * foreground, with its settings from the environment. These are what deployment
 * files start (docker-compose.yml, systemd units), so every process is one CLI
 * command with one configuration surface.
 */
import type { Command } from "./command.ts";

const entry = (name: string, summary: string, module: string, help: string): Command => ({
  name,
  summary,
  help,
  async run() {
    await import(module);
    return await new Promise<number>(() => {}); // the entry owns the process from here (signals, exit code)
  },
});

export const runCommands: Command[] = [
  entry("host", "run an actor host (actors chosen by ACTORS)", "../../actors/main.ts", `Usage: tickflow host

Runs an actor host: connects to NATS, ensures streams and buckets, starts the actors
named by ACTORS (default all) under a supervisor, registers its NATS service and
serves Prometheus metrics on METRICS_PORT. SIGTERM stops it cleanly.`),
  entry("edge", "run the WebSocket edge (and the dashboard) on EDGE_PORT", "../../edge/main.ts", `Usage: tickflow edge

Runs the edge: EDGE_WORKERS processes on EDGE_PORT (SO_REUSEPORT), subscribed to
room.> on NATS, serving /ws, /healthz, /metrics and the dashboard from UI_DIST.`),
  entry("sim", "run the exchange simulator on SIM_PORT", "../simulator/main.ts", `Usage: tickflow sim

Runs the exchange simulator (Coinbase, Binance and CoinGecko protocols) on SIM_PORT
and prints the URLs to give the shards.`),
];
