import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode } from "../../lib/contracts/codec.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { AsyncJetStream, isPublishAckError } from "./js-async.ts";
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
