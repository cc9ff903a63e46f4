/**
 * Serves a host's Prometheus metrics on `METRICS_PORT` (`GET /metrics`) plus a
 * liveness probe (`GET /healthz`). node:http works on Node and, through Deno's Node
 * compatibility, on Deno, so hosts on both runtimes expose the same endpoint.
 */
import { createServer, type Server } from "node:http";
import type { Metrics } from "./metrics.ts";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(metrics: Metrics, port: number, host = "0.0.0.0", healthy: () => boolean = () => true, refresh?: () => void): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/metrics") {
      refresh?.(); // series built from a snapshot (actor status) are current in this scrape
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(metrics.render());
    } else if (req.url === "/healthz") {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
