/**
 * Deno smoke test: an actor host runs under Deno 2 (the pinned binary from npm)
 * against a real nats-server, appears in `ops status`, turns ticks into room
 * messages, and stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../nats-server.ts";
import { collectStatus } from "../../ops/cli/status.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { ensureStreams, msgIds } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const DENO = join(ROOT, "node_modules", "deno", "deno");

describe("an actor host under Deno", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let host: ChildProcess;
  let log = "";
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    await ensureStreams(await jetstreamManager(nc));
    host = spawn(DENO, ["run", "-A", "actors/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: ns.url, HOST_ID: "deno-1", ACTORS: "stream-stats,coalescer", LEASE_MS: "2000", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    host.stdout!.on("data", (d) => (log += d));
    host.stderr!.on("data", (d) => (log += d));
  });
  afterAll(async () => {
    if (host && host.exitCode === null) host.kill("SIGKILL");
    await nc?.close();
    await ns?.cleanup();
  });

  it("appears in ops status with its actors running", async () => {
    const deadline = Date.now() + 60_000;
    let found: Awaited<ReturnType<typeof collectStatus>> = [];
    while (Date.now() < deadline) {
      found = await collectStatus(nc, 500);
      const h = found[0];
      if (h && "actors" in h && h.actors.some((a) => a.path.startsWith("root/placed/coalescer") && a.state === "running")) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const h = found[0];
    expect(h && "runtime" in h ? h.runtime : log).toMatch(/^deno 2\./);
    expect(h && "actors" in h ? h.actors.map((a) => a.path) : []).toEqual(expect.arrayContaining(["root/stream-stats", "root/placed/coalescer-0"]));
  });

  it("turns ticks into room messages", async () => {
    const js = jetstream(nc);
    const sub = nc.subscribe(subjects.room("ticker.DENO-USD"), { max: 1 });
    const got = (async () => {
      for await (const m of sub) return m.string();
    })();
    // The coalescer needs to be settled on its partitions; keep ticking until a room message comes out.
    let seq = 0;
    const ticker = setInterval(() => {
      seq++;
      const now = Date.now();
      const tick = { venue: "sim", symbol: "DENO-USD", price: 100 + seq, open24h: 100, exchTs: now, recvTs: now, seq };
      void js.publish(subjects.tick("sim", "DENO-USD"), encode({ v: 1, ticks: [tick] }), { msgID: msgIds.ticks("sim", "DENO-USD", seq, seq) });
    }, 100);
    const body = await Promise.race([got, new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`no room message; host log:\n${log}`)), 30_000))]);
    clearInterval(ticker);
    const msg = JSON.parse(body!) as { type: string; room: string; data: { symbol: string; price: number } };
    expect(msg.type).toBe("update");
    expect(msg.room).toBe("ticker.DENO-USD");
    expect(msg.data.price).toBeGreaterThan(100);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((r) => host.once("exit", (code) => r(code)));
    const t0 = Date.now();
    host.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(log).toMatch(/stopped/);
  });
});
