import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { isConfigError } from "../../lib/platform/config.ts";
import type { HostContext } from "../host-context.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { runRoot, systemClock } from "../runtime/mod.ts";
import { archiverChild } from "./mod.ts";
import { publishTicks, queryLocalLake, waitForDrained } from "./testing.ts";

describe("archiverChild under the actor runtime", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    await ensureStreams(await jetstreamManager(nc));
    dir = await mkdtemp(join(tmpdir(), "tf-archmod-"));
  });
  afterAll(async () => {
    await nc?.close();
    await ns?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const host = async (env: Record<string, string>): Promise<HostContext> => ({
    hostId: "host-test",
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    kv: {},
    clock: systemClock,
    metrics: new Metrics(),
    env,
    leaseMs: 10_000,
  });

  it("archiverChild() archives while running and flushes, uploads and acks on stop", async () => {
    const h = await host({ ARCHIVE_URL: join(dir, "lake"), ARCHIVE_CACHE_DIR: join(dir, "cache"), ARCHIVE_FLUSH_INTERVAL: "1h", ARCHIVE_DURABLE: "mod" });
    const root = await runRoot({ children: [archiverChild(h)] }, { onGiveUp: (e) => { throw e; } });
    const ticks = await publishTicks(h.js, { symbols: ["BTC-USD"], messages: 20, perMessage: 10 });
    // All 20 messages held (delivered, unacked), none flushed (1 h interval).
    const held = () => root.status().find((s) => s.id === "archiver")?.extra?.unackedMessages;
    for (let i = 0; i < 200 && held() !== 20; i++) await new Promise((r) => setTimeout(r, 50));
    expect(held()).toBe(20);
    expect((await h.jsm.consumers.info("MD", "mod-ticks")).num_ack_pending).toBe(20);
    await root.stop();
    await waitForDrained(h.jsm, ["mod-ticks", "mod-book", "mod-bookdelta"], 5000);
    expect(await queryLocalLake(join(dir, "lake"), "SELECT count(*)::INTEGER AS n FROM ticks")).toEqual([{ n: ticks.length }]);
  });

  it("archiverChild() names the variable of a bad setting", async () => {
    const h = await host({ ARCHIVE_FLUSH_ROWS: "many" });
    let err: unknown;
    try {
      archiverChild(h);
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err) && err.problems.map((p) => p.variable)).toEqual(["ARCHIVE_FLUSH_ROWS"]);
  });
});
