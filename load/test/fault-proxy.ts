/**
 * A WebSocket proxy that injects delivery faults between the load scripts and a real
 * edge, so each loss check of lib/accounting.js can be shown to fail. A fake is needed
 * here because the real edge never repeats, skips or withholds an update on demand.
 *
 * Every client socket gets its own upstream socket to `target`; client frames pass
 * unchanged; server frames pass unless a fault takes them:
 * - duplicateEvery n: every n-th update (per connection) is sent twice (a raw repeat);
 * - dropEvery n: every n-th update is not sent (a hole: later updates of that room arrive);
 * - trailing {room, afterMs}: from afterMs after the first connection, no update of `room`
 *   is sent any more (loss at the end, with no later update to reveal a hole);
 * - closeAfterMs: each client socket is cut (TCP destroyed, no close frame) that long
 *   after it connected;
 * - silence {afterMs, forMs}: each connection's frames are held back (not dropped) from
 *   afterMs to afterMs + forMs after it connected, then sent in order (silence, no loss).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

export interface FaultOptions {
  target: string;
  duplicateEvery?: number;
  dropEvery?: number;
  trailing?: { room: string; afterMs: number };
  closeAfterMs?: number;
  silence?: { afterMs: number; forMs: number };
}

export interface FaultStats {
  connections: number;
  duplicated: number;
  dropped: number;
  trailingDropped: number;
  cut: number;
  held: number;
}

export interface FaultProxy {
  url: string;
  stats: FaultStats;
  close(): Promise<void>;
}

const UPDATE = /^\{"type":"update","room":"([^"]+)"/;

export async function startFaultProxy(o: FaultOptions): Promise<FaultProxy> {
  const stats: FaultStats = { connections: 0, duplicated: 0, dropped: 0, trailingDropped: 0, cut: 0, held: 0 };
  /** Fault windows are timed from the first connection (the runner takes seconds to start). */
  let t0 = 0;
  const http = createServer((_req, res) => void res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const flushers = new Set<() => void>();
  const flush = setInterval(() => flushers.forEach((f) => f()), 50);

  wss.on("connection", (client, req) => {
    stats.connections++;
    if (!t0) t0 = Date.now();
    const up = new WebSocket(o.target + (req.url?.includes("?") ? req.url.slice(req.url.indexOf("?")) : ""), { perMessageDeflate: false });
    const early: string[] = [];
    let updates = 0;
    const connectedAt = Date.now();
    const held: Array<() => void> = [];
    const silenceEnd = o.silence ? o.silence.afterMs + o.silence.forMs : 0;
    const flusher = () => {
      if (held.length && Date.now() - connectedAt >= silenceEnd) for (const f of held.splice(0)) f();
    };
    flushers.add(flusher);
    up.on("open", () => void early.splice(0).forEach((m) => up.send(m)));
    client.on("message", (m) => {
      const s = m.toString();
      if (up.readyState === WebSocket.OPEN) up.send(s);
      else early.push(s);
    });
    const send = (s: string) => client.readyState === WebSocket.OPEN && client.send(s);
    up.on("message", (m) => {
      const s = m.toString();
      const room = UPDATE.exec(s)?.[1];
      if (room !== undefined) {
        updates++;
        if (o.trailing && room === o.trailing.room && Date.now() - t0 >= o.trailing.afterMs) return void stats.trailingDropped++;
        if (o.dropEvery && updates % o.dropEvery === 0) return void stats.dropped++;
      }
      const since = Date.now() - connectedAt;
      const times = room !== undefined && o.duplicateEvery && updates % o.duplicateEvery === 0 ? 2 : 1;
      if (times === 2) stats.duplicated++;
      for (let i = 0; i < times; i++) {
        if (o.silence && (since >= o.silence.afterMs && since < silenceEnd || held.length)) (held.push(() => send(s)), stats.held++);
        else send(s);
      }
    });
    const cut = o.closeAfterMs === undefined ? undefined : setTimeout(() => {
      stats.cut++;
      client.terminate();
    }, o.closeAfterMs);
    const end = () => {
      clearTimeout(cut);
      flushers.delete(flusher);
      up.terminate();
      client.terminate();
    };
    up.on("close", end);
    up.on("error", end);
    client.on("close", end);
    client.on("error", end);
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(flush);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
