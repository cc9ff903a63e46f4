/**
 * The edge's NATS side: one core subscription to `room.>` feeding the hub, the
 * start-up load of every room's latest message, refresh commands, and connection
 * state for /healthz. After a reconnect the latest messages are loaded again, so rooms
 * that changed while the edge was cut off are brought up to date (stream-room clients
 * see the seq jump and recover with `since`).
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import type { EdgeHub } from "../core/hub.ts";
import type { RefreshRoom } from "../core/refresh.ts";
import type { HistoryQuery } from "../core/history.ts";
import { JetStreamRoomLog, loadLatest } from "./roomlog.ts";

type Warn = (message: string, props?: Record<string, unknown>) => void;
const EMPTY = new Uint8Array(0);
/** The coalescer publishes it every interval while any price moves: the edge's heartbeat of live data. */
const TICKER_ALL_SUBJECT = subjects.room(rooms.tickerAll);

export class EdgeBus {
  readonly js: JetStreamClient;
  readonly log: JetStreamRoomLog;
  private sub: Subscription | undefined;
  private connected = true;
  /** Refresh requests that got no answer (no responders, timeout). */
  refreshFailures = 0;
  /** Date.now() of the newest live `room.ticker.all` message (freshness for /readyz). */
  lastTickerAllAt: number | undefined;

  private constructor(readonly nc: NatsConnection, readonly jsm: JetStreamManager, replayWindowMs: number, private readonly warn: Warn) {
    this.js = jetstream(nc);
    this.log = new JetStreamRoomLog(this.js, jsm, replayWindowMs);
  }

  static async create(nc: NatsConnection, replayWindowMs: number, warn: Warn): Promise<EdgeBus> {
    return new EdgeBus(nc, await jetstreamManager(nc), replayWindowMs, warn);
  }

  /** NATS is connected and the room subscription is active. */
  get live(): boolean {
    return this.connected && this.sub !== undefined && !this.sub.isClosed() && !this.nc.isClosed();
  }

  /** Subscribe to every room, load the latest stored messages, then ask producers to refresh once. */
  async start(hub: EdgeHub): Promise<void> {
    this.sub = this.nc.subscribe(subjects.allRooms, {
      callback: (err, msg) => {
        if (err) return this.warn("room subscription error: {error}", { error: String(err) });
        if (msg.subject === TICKER_ALL_SUBJECT) this.lastTickerAllAt = Date.now();
        // The payload is a view into the connection's read buffer; own a copy so the
        // latest message kept per room does not pin whole read chunks in memory.
        hub.ingest(msg.subject, msg.data.slice());
      },
    });
    await this.nc.flush();
    await loadLatest(this.js, this.jsm, (s, b) => hub.seed(s, b), this.warn);
    this.watchStatus(hub);
    this.refresh("movers");
    this.refresh("topcoins");
  }

  /** Fire-and-forget `cmd.<room>.refresh`; no responders or a timeout is only counted. */
  refresh(room: RefreshRoom): void {
    if (this.nc.isClosed()) return;
    this.nc.request(subjects.refresh(room), EMPTY, { timeout: 2000 }).catch(() => {
      this.refreshFailures++;
    });
  }

  /** Candle history from the ranker (`cmd.candles.history`), as a JSON array text. */
  async history(q: HistoryQuery): Promise<string> {
    if (this.nc.isClosed()) throw new Error("NATS closed");
    const reply = await this.nc.request(subjects.candleHistory, new TextEncoder().encode(JSON.stringify(q)), { timeout: 10_000 });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { candles?: unknown; error?: { message?: string } };
    if (!Array.isArray(body.candles)) throw new Error(body.error?.message ?? "bad history reply");
    return JSON.stringify(body.candles);
  }

  private watchStatus(hub: EdgeHub): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === "disconnect") {
          this.connected = false;
          this.warn("NATS disconnected; serving from memory until it is back", {});
        } else if (s.type === "reconnect") {
          this.connected = true;
          await loadLatest(this.js, this.jsm, (sub, b) => hub.seed(sub, b), this.warn).catch(() => {});
        }
      }
    })().catch(() => { /* status iterator ends when the connection closes */ });
  }

  /** Stop the room subscription only (the connection belongs to someone else). */
  unsubscribe(): void {
    this.sub?.unsubscribe();
  }

  /** Stop the room subscription and close the connection (pending messages are delivered first). */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}
