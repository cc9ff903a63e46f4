/**
 * `ops scale <kind> N` writes the desired count to KV and shows progress until the
 * hosts have settled (N instances running, each on exactly one host); `ops drain HOST`
 * asks a host to hand its actors over and stop, and waits until it is gone.
 */
import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { BUCKET } from "../../lib/platform/streams.ts";
import { hostSubjects } from "../../lib/contracts/host-protocol.ts";
import type { Command } from "./command.ts";
import { withNats } from "./nats-conn.ts";
import { collectStatus } from "./status.ts";

/** Plural names operators type → pool kinds. */
const KINDS: Record<string, string> = { shards: "shard", shard: "shard", coalescers: "coalescer", coalescer: "coalescer" };

/** Running instances of a kind per slot: slot → hosts. */
export async function placedInstances(nc: NatsConnection, kind: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of await collectStatus(nc, 800)) {
    if ("error" in s) continue;
    for (const a of s.actors) {
      if (a.path.startsWith("root/placed/") && a.id.startsWith(`${kind}-`) && a.state === "running") {
        out.set(a.id, [...(out.get(a.id) ?? []), s.host]);
      }
    }
  }
  return out;
}

function line(text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${text}`);
  else console.log(text);
}

export const scaleCmd: Command = {
  name: "scale",
  summary: "set how many shards or coalescers run (spread over all hosts)",
  help: `Usage: tickflow scale shards|coalescers N [--timeout SECONDS] [--no-wait]

Writes the desired count to the tf_desired KV bucket. Every host's placement actor
reconciles: instance slots are spread over the live hosts by rendezvous hashing, so
only the slots that must move do. Shows progress until exactly N instances run, each
on one host (default timeout 60 s).`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { timeout: { type: "string" }, "no-wait": { type: "boolean" } } });
    const kind = KINDS[positionals[0] ?? ""];
    const n = Number(positionals[1]);
    if (!kind || !Number.isInteger(n) || n < 0 || n > 256) {
      console.error(`usage: tickflow scale shards|coalescers N (0..256); got ${positionals.join(" ") || "nothing"}`);
      return 2;
    }
    return await withNats(async (nc) => {
      const kv = await new Kvm(nc).open(BUCKET.desired);
      await kv.put(kind, JSON.stringify({ v: 1, count: n, ts: Date.now() }));
      console.log(`desired ${kind} count set to ${n}`);
      if (values["no-wait"]) return 0;
      const t0 = Date.now();
      const deadline = t0 + Number(values.timeout ?? 60) * 1000;
      for (;;) {
        const placed = await placedInstances(nc, kind);
        const doubled = [...placed.values()].filter((h) => h.length > 1).length;
        const settled = placed.size === n && doubled === 0;
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        line(`${settled ? "✓" : "…"} ${kind}: ${placed.size}/${n} running${doubled ? `, ${doubled} on two hosts (moving)` : ""} · ${secs}s`);
        if (settled) {
          if (process.stdout.isTTY) process.stdout.write("\n");
          const byHost = new Map<string, string[]>();
          for (const [slot, [h]] of placed) byHost.set(h!, [...(byHost.get(h!) ?? []), slot]);
          for (const [h, slots] of [...byHost].sort()) console.log(`  ${h}: ${slots.sort().join(", ")}`);
          return 0;
        }
        if (Date.now() > deadline) {
          console.error(`\nnot settled after ${secs}s; see \`tickflow status\``);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  },
};

export const drainCmd: Command = {
  name: "drain",
  summary: "hand a host's actors over to the other hosts and stop it",
  help: `Usage: tickflow drain HOST [--timeout SECONDS]

Asks HOST to leave: it gives up its host lease (the other hosts take its instance
slots at their next poll), stops its actors in reverse order, and exits. Waits until
the host no longer answers (default timeout 30 s).`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { timeout: { type: "string" } } });
    const host = positionals[0];
    if (!host) {
      console.error("usage: tickflow drain HOST (see `tickflow status` for host ids)");
      return 2;
    }
    return await withNats(async (nc) => {
      try {
        await nc.request(hostSubjects.drain(host), "", { timeout: 3000 });
      } catch (e) {
        console.error(`host ${host} did not answer (${(e as Error).message})`);
        return 1;
      }
      const t0 = Date.now();
      const deadline = t0 + Number(values.timeout ?? 30) * 1000;
      for (;;) {
        const hosts = (await collectStatus(nc, 800)).map((s) => s.host);
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        if (!hosts.includes(host)) {
          line(`✓ ${host} drained and stopped · ${secs}s\n`);
          return 0;
        }
        line(`… draining ${host} · ${secs}s`);
        if (Date.now() > deadline) {
          console.error(`\n${host} still answers after ${secs}s`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    });
  },
};
