/**
 * Helpers of the cluster chaos test: who leads which stream, moving leaders onto one node
 * (the worst case: the node that dies leads MD, the room streams and the lease buckets),
 * a "sent log" tapped from the simulator's Coinbase feed (every subscriber gets the same
 * ticker frames, so a second subscriber sees exactly what the shard was sent), and the
 * longest silence in a list of arrival times.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamManager } from "@nats-io/jetstream";
import WebSocket from "ws";
import { sleep } from "./procs.ts";

/** Server name of the leader of `stream` (undefined while there is none). */
export async function leaderOf(jsm: JetStreamManager, stream: string): Promise<string | undefined> {
  try {
    return (await jsm.streams.info(stream)).cluster?.leader;
  } catch {
    return undefined;
  }
}

/**
 * Ask `stream`'s leader to step down until `node` leads it (a step-down picks another
 * peer at random), at most `tries` times. Returns whether `node` leads it at the end.
 */
export async function moveLeader(nc: NatsConnection, jsm: JetStreamManager, stream: string, node: string, tries = 6): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const now = await leaderOf(jsm, stream);
    if (now === node) return true;
    if (now) await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, "", { timeout: 3000 }).catch(() => {});
    // Wait for the election's result.
    for (let k = 0; k < 40 && (await leaderOf(jsm, stream)) === now; k++) await sleep(100);
    for (let k = 0; k < 40 && (await leaderOf(jsm, stream)) === undefined; k++) await sleep(100);
  }
  return (await leaderOf(jsm, stream)) === node;
}

/** Every replica of `stream` is current (none lagging or offline). */
export async function replicasCurrent(jsm: JetStreamManager, stream: string): Promise<boolean> {
  try {
    const c = (await jsm.streams.info(stream)).cluster;
    return !!c?.leader && (c.replicas ?? []).every((r) => r.current && !r.offline);
  } catch {
    return false;
  }
}

/**
 * A second subscriber to the simulator's Coinbase ticker channel: `keys` holds
 * `product/sequence` of every ticker frame it received, as the shard received them.
 */
export class CoinbaseTap {
  readonly keys = new Set<string>();
  /** Arrival times of ticker frames, per product. */
  readonly arrivals = new Map<string, number[]>();
  /** Every ticker frame in arrival order: [arrival, product, sequence, exchange time] (for traces). */
  readonly frames: Array<[number, string, number, number]> = [];
  private readonly ws: WebSocket;
  readonly ready: Promise<void>;

  constructor(url: string, products: string[]) {
    this.ws = new WebSocket(url);
    this.ready = new Promise((resolve, reject) => {
      this.ws.once("error", reject);
      this.ws.once("open", () => {
        this.ws.send(JSON.stringify({ type: "subscribe", product_ids: products, channels: ["ticker"] }));
        resolve();
      });
    });
    this.ws.on("message", (d) => {
      const m = JSON.parse(String(d)) as { type?: string; product_id?: string; sequence?: number; time?: string };
      if (m.type !== "ticker" || !m.product_id || typeof m.sequence !== "number") return;
      this.keys.add(`${m.product_id}/${m.sequence}`);
      const now = Date.now();
      (this.arrivals.get(m.product_id) ?? this.arrivals.set(m.product_id, []).get(m.product_id)!).push(now);
      this.frames.push([now, m.product_id, m.sequence, Date.parse(m.time ?? "")]);
    });
  }

  /** Stop listening; what arrived until now is the sent log. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.ws.once("close", r));
    this.ws.close();
    await closed;
  }
}

/**
 * How long news waited for its room to show it: for each input `[time, exchTs]` with
 * time in `[from, to]`, the time until the first output `[time, exchTs]` at or after it
 * that carries this tick or a newer one (exchTs at least the input's), or until `end`
 * (default `to`) when none came. A re-publish of an older price does not count. The
 * maximum is the room's longest staleness: a room with nothing new to say is not silent.
 */
export function longestWaitToShow(inputs: ReadonlyArray<readonly [number, number]>, outputs: ReadonlyArray<readonly [number, number]>, from: number, to: number, end = to): number {
  let worst = 0;
  for (const [t, ex] of inputs) {
    if (t < from || t > to) continue;
    const hit = outputs.find(([ot, oex]) => ot >= t && oex >= ex);
    worst = Math.max(worst, (hit ? Math.min(hit[0], end) : end) - t);
  }
  return worst;
}

/** The longest gap between consecutive times in `[from, to]` (the edges count: silence right after `from` or before `to`). */
export function longestSilence(times: readonly number[], from: number, to: number): number {
  let prev = from;
  let longest = 0;
  for (const t of times) {
    if (t < from || t > to) continue;
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, to - prev);
}
