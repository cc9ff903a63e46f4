import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { busSettings, DEFAULT_MD_MAX_BYTES, DEFAULT_ROOMLOG_MAX_BYTES, loadConfig } from "../lib/platform/config.ts";
import { ensureStreams, STREAM } from "../lib/platform/streams.ts";
import { readStreamStats, storageWarnings } from "./stream-stats.ts";

describe("bounded storage", () => {
  let ns: NatsServerHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
  });
  afterAll(async () => {
    await nc?.close();
    await ns?.cleanup();
  });

  it("MD and ROOMLOG have byte limits by default, and sizes read with units", () => {
    const cfg = loadConfig(busSettings, {});
    expect(cfg.MD_MAX_BYTES).toBe(DEFAULT_MD_MAX_BYTES);
    expect(cfg.ROOMLOG_MAX_BYTES).toBe(DEFAULT_ROOMLOG_MAX_BYTES);
    expect(loadConfig(busSettings, { MD_MAX_BYTES: "512MiB", ROOMLOG_MAX_BYTES: "1GB" })).toMatchObject({ MD_MAX_BYTES: 512 * 1024 ** 2, ROOMLOG_MAX_BYTES: 1e9 });
    expect(loadConfig(busSettings, { MD_MAX_BYTES: "-1" }).MD_MAX_BYTES).toBe(-1);
    expect(() => loadConfig(busSettings, { MD_MAX_BYTES: "lots" })).toThrow(/MD_MAX_BYTES/);
  });

  it("the streams get those limits, and crossing 80 % of one is reported once until it falls back", async () => {
    const jsm = await jetstreamManager(nc);
    const cfg = loadConfig(busSettings, { MD_MAX_BYTES: "64KiB", ROOMLOG_MAX_BYTES: "1MiB" });
    await ensureStreams(jsm, { mdMaxAgeMs: cfg.MD_MAX_AGE, mdMaxBytes: cfg.MD_MAX_BYTES, roomLogMaxAgeMs: cfg.ROOMLOG_MAX_AGE, roomLogMaxBytes: cfg.ROOMLOG_MAX_BYTES, replicas: 1 });
    expect((await jsm.streams.info(STREAM.md)).config.max_bytes).toBe(64 * 1024);
    expect((await jsm.streams.info(STREAM.roomLog)).config.max_bytes).toBe(1024 ** 2);
    const js = jetstream(nc);
    const warned = new Set<string>();
    expect(storageWarnings(await readStreamStats(jsm), warned)).toEqual([]);
    const body = new Uint8Array(1000);
    for (let i = 0; i < 60; i++) await js.publish("md.tick.sim.FILL-USD", body);
    const md = (await readStreamStats(jsm)).find((s) => s.stream === STREAM.md)!;
    expect(md.bytes / md.maxBytes).toBeGreaterThan(0.8);
    expect(md.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(storageWarnings(await readStreamStats(jsm), warned).map((s) => s.stream)).toEqual([STREAM.md]);
    expect(storageWarnings(await readStreamStats(jsm), warned)).toEqual([]);
    await jsm.streams.purge(STREAM.md);
    expect(storageWarnings(await readStreamStats(jsm), warned)).toEqual([]);
    for (let i = 0; i < 60; i++) await js.publish("md.tick.sim.FILL-USD", body);
    expect(storageWarnings(await readStreamStats(jsm), warned).map((s) => s.stream)).toEqual([STREAM.md]);
  });
});
