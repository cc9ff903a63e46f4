import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { BUCKET, ensureBuckets, ensureStreams, STREAM, msgIds, defaultStreamOptions } from "./streams.ts";
import { subjects, rooms } from "../contracts/subjects.ts";
import { encode } from "../contracts/codec.ts";
import { encodeRoomUpdate } from "../contracts/rooms.ts";

describe("bus streams on a real nats-server", () => {
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

  it("ensureStreams() creates MD, ROOMS and ROOMLOG and is idempotent", async () => {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureStreams(jsm);
    await ensureStreams(jsm, { ...defaultStreamOptions, mdMaxAgeMs: 3600_000 });
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual([STREAM.md, STREAM.roomLog, STREAM.rooms].sort());
    const md = await jsm.streams.info(STREAM.md);
    expect(md.config.max_age).toBe(3600_000 * 1_000_000);
    expect(md.config.duplicate_window).toBe(120_000 * 1_000_000);
  });

  it("JetStream drops a message whose id it has seen within the duplicate window", async () => {
    const js = jetstream(nc);
    const subj = subjects.tick("sim", "BTC-USD");
    const body = encode({ v: 1, ticks: [] });
    const id = msgIds.ticks("sim", "BTC-USD", 7, 7);
    const a = await js.publish(subj, body, { msgID: id });
    const b = await js.publish(subj, body, { msgID: id });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
  });

  it("ROOMS keeps only the last message per room and ROOMLOG keeps stream-room history", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    for (let seq = 1; seq <= 3; seq++) {
      await js.publish(subjects.room(rooms.movers), encodeRoomUpdate(rooms.movers, seq, Date.now(), { n: seq }));
      await js.publish(subjects.room(rooms.alerts), encodeRoomUpdate(rooms.alerts, seq, Date.now(), { n: seq }));
    }
    const last = await jsm.streams.getMessage(STREAM.rooms, { last_by_subj: subjects.room(rooms.movers) });
    expect(JSON.parse(last!.string()).seq).toBe(3);
    expect((await jsm.streams.info(STREAM.rooms)).state.messages).toBe(1);
    expect((await jsm.streams.info(STREAM.roomLog)).state.messages).toBe(3);
    const lastAlert = await jsm.streams.getMessage(STREAM.roomLog, { last_by_subj: subjects.room(rooms.alerts) });
    expect(JSON.parse(lastAlert!.string()).seq).toBe(3);
  });

  it("ensureBuckets() creates every KV bucket with the lease TTL", async () => {
    const kvs = await ensureBuckets(nc, { leaseMs: 5000, replicas: 1 });
    await ensureBuckets(nc, { leaseMs: 5000, replicas: 1 });
    expect(Object.keys(kvs).sort()).toEqual(Object.values(BUCKET).sort());
    const st = await kvs[BUCKET.shards]!.status();
    expect(st.ttl).toBe(5000);
  });
});
