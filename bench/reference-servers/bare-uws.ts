/**
 * Reference server: a bare uWebSockets.js publish loop with no logic. Clients connect to
 * /ws (any path), subscribe with {"op":"subscribe","rooms":[...]} (or "sub a,b"), and
 * the server publishes N rooms × R messages/s to uWS topics. GET /stats reports CPU µs
 * per delivered message and RSS per connection; POST /reset starts a new window.
 * The floor the edge is compared with: the edge adds protocol, snapshots, recovery and
 * backpressure on top of exactly this.
 *
 *   npx tsx bench/reference-servers/bare-uws.ts --port 9001 --rooms 10 --rate 10 --payload 100
 */
import type * as UWS from "uWebSockets.js";
import { pathToFileURL } from "node:url";
import { loadUws } from "../../edge/transport/uws-load.ts";
import { publisher, runStandalone, StatsMeter, type ServerOptions, type ServerStats } from "./common.ts";

export type RefServer = { port: number; stats(): ServerStats; close(): Promise<void> };

/** The native build the edge would use; a JavaScript fallback is no floor to compare with. */
function nativeUws(): typeof UWS {
  const b = loadUws();
  if (!b.native || !b.uws) throw new Error(`bare uWS reference needs native uWS: ${b.why}`);
  return b.uws;
}

export async function startBareUws(o: ServerOptions): Promise<RefServer> {
  const uWS = nativeUws();
  const meter = new StatsMeter("bare-uws");
  let connections = 0;
  const app = uWS.App();
  const decoder = new TextDecoder();
  app.ws("/*", {
    compression: uWS.DISABLED,
    maxPayloadLength: 16 * 1024,
    idleTimeout: 0,
    maxBackpressure: 4 * 1024 * 1024,
    open: () => {
      connections++;
    },
    message: (ws, msg) => {
      const text = decoder.decode(msg);
      let rooms: string[] = [];
      if (text.startsWith("sub ")) rooms = text.slice(4).split(",");
      else {
        try {
          const m = JSON.parse(text) as { op?: string; rooms?: unknown };
          if (m.op === "subscribe" && Array.isArray(m.rooms)) rooms = m.rooms.map(String);
        } catch {
          return;
        }
      }
      for (const r of rooms) ws.subscribe(r);
    },
    close: () => {
      connections--;
    },
  });
  app.get("/stats", (res) => {
    res.writeHeader("content-type", "application/json").end(JSON.stringify(meter.read(connections)));
  });
  app.post("/reset", (res) => {
    meter.reset();
    res.end("ok");
  });
  const stop = publisher(o, (room, text) => {
    meter.delivered += app.numSubscribers(room);
    app.publish(room, text, false);
  });
  const token = await new Promise<unknown>((resolve, reject) =>
    app.listen(o.host, o.port, (t) => (t ? resolve(t) : reject(new Error(`bare-uws: cannot listen on ${o.host}:${o.port}`)))),
  );
  return {
    port: uWS.us_socket_local_port(token as never),
    stats: () => meter.read(connections),
    close: async () => {
      stop();
      uWS.us_listen_socket_close(token as never);
      // close() exists at runtime in this build but is missing from its typings.
      (app as unknown as { close(): void }).close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone("bare-uws", startBareUws);
