import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode } from "../../lib/contracts/codec.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { AsyncJetStream, isPublishAckError, PUBLISHER_HEADER } from "./js-async.ts";
import { type Bus, startBus } from "./testkit.ts";

let bus: Bus;
beforeAll(async () => {
  bus = await startBus();
});
afterAll(async () => {
  await bus?.close();
});

describe("AsyncJetStream", () => {
  it("resolves with the stream sequence and reports a repeated msgID as a duplicate", async () => {
    const js = new AsyncJetStream(bus.nc);
    try {
      const subj = subjects.tick("test", "A-B");
      const acks = await Promise.all([1, 2, 3].map((i) => js.publish(subj, encode({ i }), { msgID: `x-${i}` })));
      expect(acks.map((a) => a.duplicate)).toEqual([false, false, false]);
      expect(new Set(acks.map((a) => a.seq)).size).toBe(3);
      expect(acks[0]!.stream).toBe("MD");
      const again = await js.publish(subj, encode({ i: 2 }), { msgID: "x-2" });
      expect(again.duplicate).toBe(true);
      expect(again.seq).toBe(acks[1]!.seq);
      expect(js.inFlight()).toBe(0);
    } finally {
      js.close();
    }
  });

  it("writes the publisher id into every stored message (Tf-Publisher header), next to its msgID", async () => {
    const js = new AsyncJetStream(bus.nc, 5000, "host-a-shard-0-x1");
    try {
      const subj = subjects.tick("test", "PUB-ID");
      const ack = await js.publish(subj, encode({ i: 1 }), { msgID: "p-1" });
      const m = await bus.jsm.streams.getMessage("MD", { seq: ack.seq });
      expect(m?.header.get(PUBLISHER_HEADER)).toBe("host-a-shard-0-x1");
      expect(m?.header.get("Nats-Msg-Id")).toBe("p-1");
      // Without an id, no header: nothing else changes.
      const plain = new AsyncJetStream(bus.nc);
      const ack2 = await plain.publish(subj, encode({ i: 2 }), { msgID: "p-2" });
      expect((await bus.jsm.streams.getMessage("MD", { seq: ack2.seq }))?.header.get(PUBLISHER_HEADER)).toBe("");
      plain.close();
    } finally {
      js.close();
    }
  });

  it("rejects a publish no stream takes (no responders) with a PublishAckError", async () => {
    const js = new AsyncJetStream(bus.nc);
    try {
      const err = await js.publish("nostream.here", encode({}), { msgID: "n-1" }).catch((e: unknown) => e);
      expect(isPublishAckError(err)).toBe(true);
    } finally {
      js.close();
    }
  });

  it("fails a publish whose ack never comes after the timeout", async () => {
    // A plain subscriber that never answers stands in for a stream that does not ack.
    const sub = bus.nc.subscribe("silent.subject", { callback: () => {} });
    const js = new AsyncJetStream(bus.nc, 200);
    try {
      const err = await js.publish("silent.subject", encode({}), { msgID: "s-1" }).catch((e: unknown) => e);
      expect(isPublishAckError(err) && (err as Error).message).toContain("no JetStream ack");
    } finally {
      js.close();
      sub.unsubscribe();
    }
  });
});
