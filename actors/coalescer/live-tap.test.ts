import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { subjects, tickPartition } from "../../lib/contracts/subjects.ts";
import { FakeClock } from "../runtime/mod.ts";
import { LiveTap } from "./live-tap.ts";

const enc = new TextEncoder();
let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ns = await startNatsServer({ jetstream: false });
  nc = await connect({ servers: ns.url });
});
afterAll(async () => {
  await nc?.close();
  await ns?.cleanup();
});

/** Publish one message on a symbol's tick subject and wait until the server has routed it. */
async function tick(symbol: string, body: string): Promise<void> {
  nc.publish(subjects.tick("coinbase", symbol), enc.encode(body));
  await nc.flush();
}

describe("LiveTap", () => {
  it("subscribes to a partition's ticks on core NATS only while its consumer is quiet, and stops when the consumer is caught up", async () => {
    const clock = new FakeClock(1000);
    const got: string[] = [];
    const switches: string[] = [];
    const tap = new LiveTap({
      nc, clock, quietMs: 1000,
      onData: (d, s) => got.push(`${s} ${new TextDecoder().decode(d)}`),
      onSwitch: (p, on) => switches.push(`${p}:${on ? "on" : "off"}`),
    });
    const p = tickPartition("BTC-USD");
    const other = tickPartition("ETH-USD");
    expect(other).not.toBe(p);

    tap.check([p, other]);
    tap.delivered(other, () => 5);
    clock.advance(999);
    tap.delivered(other, () => 5); // the other partition's consumer keeps delivering
    tap.check([p, other]);
    await tick("BTC-USD", "early");
    expect(tap.tapped).toEqual([]); // not quiet long enough yet: nothing subscribed

    clock.advance(1);
    tap.check([p, other]);
    expect(tap.tapped).toEqual([p]);
    await nc.flush();
    await tick("BTC-USD", "a");
    await tick("ETH-USD", "not-tapped");
    await tick("BTC-USD", "b");
    await nc.flush();
    expect(got).toEqual([`${subjects.tick("coinbase", "BTC-USD")} a`, `${subjects.tick("coinbase", "BTC-USD")} b`]);

    tap.delivered(p, () => 3); // catching up: still tapped
    expect(tap.tapped).toEqual([p]);
    tap.delivered(p, () => 0); // caught up
    expect(tap.tapped).toEqual([]);
    await tick("BTC-USD", "after");
    await nc.flush();
    expect(got).toHaveLength(2);

    // Quiet again, then the partition is given up: the subscription ends with it.
    clock.advance(1000);
    tap.check([p]);
    expect(tap.tapped).toEqual([p]);
    tap.check([other]);
    expect(tap.tapped).toEqual([]);
    expect(switches).toEqual([`${p}:on`, `${p}:off`, `${p}:on`, `${p}:off`]);
    expect(tap.started).toBe(2);
    tap.close();
  });
});
