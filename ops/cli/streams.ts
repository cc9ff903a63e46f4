/** `ops streams` and `ops refresh`: JetStream sizes and backlog; fresh movers/topcoins snapshots. */
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { readStreamStats } from "../../actors/stream-stats.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { renderTable } from "./table.ts";
import type { Command } from "./command.ts";
import { withNats } from "./nats-conn.ts";

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export const streamsCmd: Command = {
  name: "streams",
  summary: "stream and consumer sizes, pending and redelivered counts",
  help: `Usage: tickflow streams [--json]

Prints every Tickflow stream (MD, ROOMS, ROOMLOG) with its message count and size,
and every consumer with its pending (not yet delivered), ack-pending and
redelivered counts.`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const stats = await withNats(async (nc) => readStreamStats(await jetstreamManager(nc)));
    if (values.json) {
      console.log(JSON.stringify(stats, null, 2));
      return 0;
    }
    const rows: Array<Array<string | number>> = [];
    for (const s of stats) {
      rows.push([s.stream, "", s.messages, mb(s.bytes), "", "", ""]);
      for (const c of s.consumers) rows.push(["", c.name, "", "", c.pending, c.ackPending, c.redelivered]);
    }
    console.log(stats.length ? renderTable(["STREAM", "CONSUMER", "MESSAGES", "SIZE", "PENDING", "ACK PENDING", "REDELIVERED"], rows) : "no Tickflow streams yet (start an actor host)");
    return 0;
  },
};

export const refreshCmd: Command = {
  name: "refresh",
  summary: "recompute movers or topcoins now and print the fresh snapshot",
  help: `Usage: tickflow refresh movers|topcoins [--json] [--timeout MS]

Sends cmd.<what>.refresh to the mover-ranker (request/reply) and prints the snapshot
it returns; the same snapshot is published to the room for every dashboard.`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" }, timeout: { type: "string" } } });
    const what = positionals[0];
    if (what !== "movers" && what !== "topcoins") {
      console.error(`refresh needs "movers" or "topcoins", got ${JSON.stringify(what ?? "")}`);
      return 2;
    }
    const body = await withNats(async (nc) => {
      try {
        return (await nc.request(subjects.refresh(what), "", { timeout: Number(values.timeout ?? 5000) })).string();
      } catch (e) {
        throw new Error(`no answer from the mover-ranker on ${subjects.refresh(what)} (${(e as Error).message}); is a host with ACTORS including ranker running?`);
      }
    });
    if (values.json) {
      console.log(body);
      return 0;
    }
    const msg = JSON.parse(body) as { seq?: number; ts?: number; data?: Record<string, unknown> };
    const data = (msg.data ?? msg) as Record<string, Array<Record<string, unknown>>>;
    for (const [name, list] of Object.entries(data)) {
      if (!Array.isArray(list) || list.length === 0) continue;
      const cols = Object.keys(list[0]!);
      console.log(`\n${name} (seq ${msg.seq ?? "?"})`);
      console.log(renderTable(cols.map((c) => c.toUpperCase()), list.map((r) => cols.map((c) => fmt(r[c])))));
    }
    return 0;
  },
};

function fmt(x: unknown): string | number {
  if (typeof x === "number") return Number.isInteger(x) ? x : Number(x.toPrecision(6));
  return x === null || x === undefined ? "-" : String(x);
}
