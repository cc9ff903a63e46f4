/**
 * The real Tickflow stack for load smoke tests, in one process: a private nats-server,
 * an actor host running the coalescer and the mover-ranker, an edge (uWebSockets.js),
 * and a tick feed that publishes TickBatch messages to JetStream the way the ingest
 * shards do, so every room the k6 scenarios subscribe to is produced by the real
 * actors: ticker.<SYMBOL> (coalescer), movers, pulse, alerts, candles.<SYMBOL>.1m
 * (ranker). Settings are shortened (1 s pulse windows, 1 s partial candles, no alert
 * cool-down) so each room has traffic within seconds.
 */
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { encode } from "../../lib/contracts/codec.ts";
import { msgIds } from "../../lib/platform/streams.ts";
import { rooms as R, subjects } from "../../lib/contracts/subjects.ts";
import type { TickBatch } from "../../lib/contracts/messages.ts";
import { startHost, type Host } from "../../actors/host.ts";
import { startEdge, type EdgeHandle } from "../../edge/server.ts";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { DEFAULT_SYMBOLS } from "../lib/rooms.js";
import { startLedger, type Ledger } from "./ledger.ts";

export interface TickFeedOptions {
  symbols: string[];
  /** Ticks per second per symbol. */
  hz: number;
}

/**
 * Publishes one tick per symbol every 1/hz s as a TickBatch (venue "coinbase") and
 * waits for the JetStream acks of a round before the next. The first symbol swings
 * between +12 % and +4 % of its open every round, so with ALERT_COOLDOWN=0 the ranker
 * raises a `surge` alert every second round (it re-arms below 0.9 × 10 %).
 */
export class TickFeed {
  published = 0;
  failed = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private round = 0;
  private readonly price = new Map<string, number>();

  constructor(private readonly js: JetStreamClient, private readonly o: TickFeedOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 1000 / this.o.hz);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return; // JetStream is behind: skip a round rather than pile up
    this.busy = true;
    const now = Date.now();
    const r = ++this.round;
    try {
      await Promise.all(this.o.symbols.map((symbol, i) => {
        const open = 100 + i;
        let p: number;
        if (i === 0) p = open * (r % 2 === 0 ? 1.12 : 1.04);
        else {
          p = (this.price.get(symbol) ?? open) * (1 + (Math.random() - 0.5) / 100);
          this.price.set(symbol, p);
        }
        const batch: TickBatch = {
          v: 1,
          ticks: [{
            venue: "coinbase",
            symbol,
            price: +p.toFixed(4),
            bid: +(p * 0.9999).toFixed(4),
            ask: +(p * 1.0001).toFixed(4),
            open24h: open,
            volume24h: 1000 + r,
            lastSize: 0.5,
            exchTs: now,
            recvTs: now,
            seq: r,
          }],
        };
        return this.js.publish(subjects.tick("coinbase", symbol), encode(batch), { msgID: msgIds.ticks("coinbase", symbol, r, r) })
          .then(() => void this.published++, () => void this.failed++);
      }));
    } finally {
      this.busy = false;
    }
  }
}

export interface RealStack {
  nats: NatsServerHandle;
  host: Host;
  edge: EdgeHandle;
  feed: TickFeed;
  /** ws://127.0.0.1:<port>/ws */
  url: string;
  metricsUrl: string;
  /** The producer's count for the scripts' PUBLISHED_URL (./ledger.ts). */
  ledger: Ledger;
  symbols: string[];
  /** Room messages seen on NATS since start, by room. */
  seen: Map<string, number>;
  /** Host supervisor give-ups (should stay empty). */
  hostErrors: unknown[];
  stop(): Promise<void>;
}

/** Rooms a dashboard of the k6 scenarios can subscribe to, for `symbols`. */
export function expectedRooms(symbols: string[]): string[] {
  return [R.movers, R.pulse, R.alerts, ...symbols.map((s) => R.ticker(s)), ...symbols.map((s) => R.candles(s, "1m"))];
}

/**
 * Start everything and wait until every room in {@link expectedRooms} has had a
 * message (so snapshots exist for the scenarios' first subscribes). Throws, after
 * cleaning up what started, when that takes longer than `readyTimeoutMs`.
 */
export async function startRealStack(o: { symbols?: string[]; hz?: number; readyTimeoutMs?: number } = {}): Promise<RealStack> {
  const symbols = o.symbols ?? DEFAULT_SYMBOLS;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const nats = await startNatsServer();
    cleanups.push(() => nats.cleanup());
    const hostErrors: unknown[] = [];
    const host = await startHost({
      env: {
        NATS_URL: nats.url,
        HOST_ID: "load-smoke",
        ACTORS: "ranker,coalescer",
        LEASE_MS: "2000",
        LOG_LEVEL: "warning",
        COALESCE_INTERVAL: "100ms",
        RANKER_POLL_INTERVAL: "100ms",
        // RANKER_REPLAY stays at its default (2 m): the ranker never publishes a minute that
        // started before its replay start, so a shorter replay could hold candles back for
        // up to a minute. The stream is fresh, so the replay costs nothing.
        MOVERS_MIN_INTERVAL: "500ms",
        PULSE_WINDOW: "1s",
        ALLOWED_LATENESS: "200ms",
        WATERMARK_IDLE: "1s",
        ALERT_COOLDOWN: "0",
        CANDLE_PARTIAL_INTERVAL: "1s",
      },
      exitOnDrain: false,
      onGiveUp: (e) => void hostErrors.push(e),
    });
    cleanups.push(() => host.stop());
    const edge = await startEdge({
      env: {
        NATS_URL: nats.url,
        EDGE_PORT: "0",
        EDGE_HOST: "127.0.0.1",
        EDGE_ID: "edge-load-smoke",
        EDGE_MAX_CONNS_PER_IP: "10000",
        EDGE_MSG_RATE: "50",
        EDGE_MSG_BURST: "100",
        LOG_LEVEL: "warning",
      },
    });
    cleanups.push(() => edge.stop(200));

    const nc: NatsConnection = await connect({ servers: nats.url, name: "load-smoke feed" });
    cleanups.push(() => nc.close());
    const seen = new Map<string, number>();
    nc.subscribe(subjects.allRooms, {
      callback: (_e, m) => {
        const room = m.subject.slice("room.".length);
        seen.set(room, (seen.get(room) ?? 0) + 1);
      },
    });
    const ledger = await startLedger(nc);
    cleanups.push(() => ledger.stop());
    const feed = new TickFeed(jetstream(nc), { symbols, hz: o.hz ?? 4 });
    feed.start();
    cleanups.push(async () => feed.stop());

    const want = expectedRooms(symbols);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
    while (want.some((r) => !seen.has(r)) || edge.hub.rooms.size < want.length) {
      if (Date.now() > deadline) {
        const missing = want.filter((r) => !seen.has(r));
        throw new Error(`rooms not produced within ${o.readyTimeoutMs ?? 30_000} ms: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` (+${missing.length - 10})` : ""}; edge holds ${edge.hub.rooms.size}; ticks published ${feed.published}, failed ${feed.failed}; host errors ${hostErrors.length}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      nats, host, edge, feed, symbols, seen, hostErrors, ledger,
      url: `ws://127.0.0.1:${edge.port}/ws`,
      metricsUrl: `http://127.0.0.1:${edge.port}/metrics`,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
