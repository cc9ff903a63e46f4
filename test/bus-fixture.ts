/**
 * Test fixture for suites that run actors against a real bus: one private nats-server
 * per suite with the MD/ROOMS/ROOMLOG streams and the lease buckets created, a
 * connection for the test itself, and extra connections (one per actor, so a test can
 * cut one off like a crash) closed when the suite ends.
 *
 *   const bus = useBus({ leaseMs: 2000 });
 *   it("…", async () => { const conn = await bus.connect(); … bus.nc … });
 */
import { afterAll, beforeAll } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { ensureBuckets, ensureStreams } from "../lib/platform/streams.ts";
import { startNatsServer, type NatsServerHandle } from "./nats-server.ts";

export interface Bus {
  /** The server (for its URL, or to kill and restart it). */
  readonly ns: NatsServerHandle;
  /** The test's own connection. */
  readonly nc: NatsConnection;
  /** Another connection to the server, closed after the suite. */
  connect(): Promise<NatsConnection>;
  /** Run `fn` after the suite, before the connections close (e.g. stopping services). */
  onCleanup(fn: () => Promise<unknown>): void;
}

/** Registers beforeAll/afterAll hooks; the returned fields are set once beforeAll ran. */
export function useBus(o: { leaseMs: number }): Bus {
  let ns: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  const conns: NatsConnection[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    ns = await startNatsServer();
    nc = await connect({ servers: ns.url });
    await ensureStreams(await jetstreamManager(nc));
    await ensureBuckets(nc, { leaseMs: o.leaseMs, replicas: 1 });
  });
  afterAll(async () => {
    for (const fn of cleanups) await fn().catch(() => {});
    for (const c of conns) await c.close().catch(() => {});
    await nc?.close();
    await ns?.cleanup();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`useBus(): ${what} is used before beforeAll ran`);
    return v;
  };
  return {
    get ns() { return ready(ns, "ns"); },
    get nc() { return ready(nc, "nc"); },
    async connect() {
      const c = await connect({ servers: ready(ns, "ns").url });
      conns.push(c);
      return c;
    },
    onCleanup: (fn) => void cleanups.push(fn),
  };
}
