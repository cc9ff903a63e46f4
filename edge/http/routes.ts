/**
 * The edge's HTTP surface on the WebSocket port: `/healthz` (alive, NATS connected),
 * `/readyz` (and data fresh), `/metrics`, `/replay` (NDJSON from the lake), `/candles` (chart history from the lake) and the built dashboard, every response with security headers. The Content-Security-Policy allows
 * only the page's own origin, including its WebSocket (ws:/wss: of the same host,
 * spelled out for browsers whose 'self' does not cover WebSocket schemes).
 */
import type { HttpHandler, HttpReply } from "../core/transport.ts";
import type { StaticFiles } from "./static.ts";

export interface Health {
  ok: boolean;
  body: Record<string, unknown>;
}

export interface RouteDeps {
  health: () => Health;
  /** `/readyz`: healthy and data fresh (load balancers route on it). Default: same as health. */
  ready?: () => Health;
  metrics: () => string;
  files: StaticFiles;
  /** `GET /replay?from=&to=&symbols=` (edge/http/replay.ts); 404 without it. */
  replay?: (query: string, method: string) => HttpReply;
  /** `GET /candles?symbol=&tf=&limit=&before=` (edge/http/candles.ts); 404 without it. */
  candles?: (query: string, method: string) => HttpReply;
}

const HOST = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function securityHeaders(host: string): Array<[string, string]> {
  const ws = HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    [
      "Content-Security-Policy",
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; ` +
        `connect-src 'self'${ws}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'`,
    ],
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "no-referrer"],
    ["X-Frame-Options", "DENY"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Cross-Origin-Resource-Policy", "same-origin"],
    ["Permissions-Policy", "camera=(), microphone=(), geolocation=()"],
  ];
}

const json = (status: number, body: unknown): HttpReply => ({
  status,
  headers: [["Content-Type", "application/json"], ["Cache-Control", "no-store"]],
  body: JSON.stringify(body),
});

export function routes(d: RouteDeps): HttpHandler {
  return (req) => {
    let reply: HttpReply;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        reply = { status: 405, headers: [["Allow", "GET, HEAD"]], body: "method not allowed\n" };
      } else if (req.path === "/healthz") {
        const h = d.health();
        reply = json(h.ok ? 200 : 503, h.body);
      } else if (req.path === "/readyz") {
        const h = (d.ready ?? d.health)();
        reply = json(h.ok ? 200 : 503, h.body);
      } else if (req.path === "/metrics") {
        reply = {
          status: 200,
          headers: [["Content-Type", "text/plain; version=0.0.4; charset=utf-8"], ["Cache-Control", "no-store"]],
          body: d.metrics(),
        };
      } else if (req.path === "/replay" && d.replay) {
        reply = d.replay(req.query ?? "", req.method);
      } else if (req.path === "/candles" && d.candles) {
        reply = d.candles(req.query ?? "", req.method);
      } else {
        reply = d.files.serve(req) ??
          { status: 404, headers: [["Content-Type", "text/plain; charset=utf-8"]], body: "not found\n" };
      }
    } catch {
      reply = { status: 500, headers: [["Content-Type", "text/plain; charset=utf-8"]], body: "internal error\n" };
    }
    reply.headers.push(...securityHeaders(req.header("host")));
    return reply;
  };
}
