import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { getLogger } from "@logtape/logtape";
import { startNatsServer } from "../../test/nats-server.ts";
import { ensureStreams } from "../../lib/platform/streams.ts";
import { encode } from "../../lib/contracts/codec.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { DATASET } from "../../lib/lake/datasets.ts";
import { ensureConsumer, pullLoop } from "./consumer.ts";
import type { Archiver } from "./archiver.ts";
import type { Delivery } from "./held.ts";
import { makeTick, T0 } from "./testing.ts";

describe("pullLoop (real nats-server)", () => {
  let ns: Awaited<ReturnType<typeof startNatsServer>>;
  let nc: NatsConnection;
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    await ensureStreams(await jetstreamManager(nc));
  });
  afterAll(async () => {
    await nc?.close();
    await ns?.cleanup();
  });

  it("hands a few messages to the archiver within a second, not at the end of the 10 s fetch", async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const durable = await ensureConsumer(jsm, DATASET.ticks, { durablePrefix: "pl", ackWaitMs: 60_000, maxAckPending: 1000, batch: 1000 });
    const got: Array<{ at: number; n: number }> = [];
    const received: Delivery[] = [];
    // Only what pullLoop calls: ingest and waitForCapacity.
    const archiver = {
      ingest: (_ds: unknown, batch: Delivery[]) => {
        got.push({ at: Date.now(), n: batch.length });
        received.push(...batch);
        return Promise.resolve();
      },
      waitForCapacity: () => Promise.resolve(),
    } as unknown as Archiver;
    const ctl = new AbortController();
    const loop = pullLoop(js, DATASET.ticks, durable, archiver, { batch: 1000, log: getLogger(["test"]), signal: ctl.signal, publish: (s, d) => nc.publish(s, d) });
    await new Promise((r) => setTimeout(r, 300)); // the fetch (1,000 messages, 10 s) is waiting
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await js.publish(subjects.tick("sim", "BTC-USD"), encode({ v: 1, ticks: [makeTick("BTC-USD", i + 1, T0 + i)] }));
    const deadline = Date.now() + 3000;
    while (got.reduce((s, g) => s + g.n, 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const n = got.reduce((s, g) => s + g.n, 0);
    const first = got[0]?.at;
    for (const d of received) d.ack();
    ctl.abort();
    await loop;
    expect(n).toBe(3);
    expect(first! - t0).toBeLessThan(1500);
  }, 15_000);
});
