/**
 * Reference server: Socket.IO rooms, the common Node way. Clients emit
 * "subscribe" with a list of rooms and join them; the server emits N rooms × R
 * messages/s with io.to(room).emit("m", text) (Socket.IO encodes a broadcast once).
 * GET /stats reports CPU µs per delivered message and RSS per connection; POST /reset
 * starts a new window. WebSocket transport only, no per-message compression.
 *
 *   npx tsx bench/reference-servers/socketio-server.ts --port 9002 --rooms 10 --rate 10
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Server } from "socket.io";
import { publisher, runStandalone, StatsMeter, type ServerOptions } from "./common.ts";
import type { RefServer } from "./bare-uws.ts";

export async function startSocketIo(o: ServerOptions): Promise<RefServer> {
  const meter = new StatsMeter("socket.io");
  const http = createServer((req, res) => {
    if (req.url === "/stats") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(meter.read(io.engine.clientsCount)));
    } else if (req.url === "/reset" && req.method === "POST") {
      meter.reset();
      res.end("ok");
    } else if (!req.url?.startsWith("/socket.io")) res.writeHead(404).end();
  });
  const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
  io.on("connection", (socket) => {
    socket.on("subscribe", (rooms: unknown) => {
      if (Array.isArray(rooms)) void socket.join(rooms.map(String));
    });
  });
  const stop = publisher(o, (room, text) => {
    meter.delivered += io.sockets.adapter.rooms.get(room)?.size ?? 0;
    io.to(room).emit("m", text);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(o.port, o.host, resolve);
  });
  return {
    port: (http.address() as AddressInfo).port,
    stats: () => meter.read(io.engine.clientsCount),
    close: () =>
      new Promise<void>((resolve) => {
        stop();
        void io.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runStandalone("socket.io", startSocketIo);
