/**
 * The producer's count for the load scripts' loss accounting (PUBLISHED_URL): subscribes
 * to every room subject on NATS (`room.>`, what the coalescer and the ranker publish)
 * and serves GET /published → {"rooms": {room: last published seq}}. It sees the
 * messages independently of the edge, so a message the edge never delivers still counts
 * as published. Used by the real-stack load tests and `npm run bench:load`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { subjects } from "../../lib/contracts/subjects.ts";

export interface Ledger {
  /** http://127.0.0.1:<port>/published */
  url: string;
  /** Last seq per room seen on NATS. */
  last: Map<string, number>;
  /** Room messages whose seq could not be read (counted, skipped). */
  unreadable: number;
  stop(): Promise<void>;
}

const SEQ = /"seq":(\d+),/;

/** Start the ledger on a random free port of 127.0.0.1. */
export async function startLedger(nc: NatsConnection): Promise<Ledger> {
  const last = new Map<string, number>();
  const ledger: Ledger = { url: "", last, unreadable: 0, stop: async () => {} };
  const decoder = new TextDecoder();
  const sub: Subscription = nc.subscribe(subjects.allRooms, {
    callback: (_e, m) => {
      const seq = SEQ.exec(decoder.decode(m.data.subarray(0, 200)));
      if (!seq) return void ledger.unreadable++;
      const room = m.subject.slice("room.".length);
      const n = Number(seq[1]);
      if (n > (last.get(room) ?? -1)) last.set(room, n);
    },
  });
  const server: Server = createServer((req, res) => {
    if (req.url !== "/published") return void res.writeHead(404).end();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ rooms: Object.fromEntries(last) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  ledger.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/published`;
  ledger.stop = async () => {
    sub.unsubscribe();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return ledger;
}
