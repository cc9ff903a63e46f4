/**
 * market-rooms actor: the coin view's `book.<SYMBOL>` and `trades.<SYMBOL>` rooms
 * (rooms.ts), from `md.book.>` snapshots and `md.trade.>` batches. One leader in the
 * system publishes (LeaderLease `market-rooms` in BUCKET.leaders); every host runs an
 * instance for failover. On election it starts from the last book per subject (so
 * every book room fills at once) and from new trades; changed rooms are published at
 * most every MARKET_ROOMS_INTERVAL (500 ms).
 *
 * `marketRoomsChild(host)` is the factory listed in actors/registry.ts.
 */
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { z } from "zod";
import { getLogger } from "@logtape/logtape";
import type { Actor, ChildSpec, TimerHandle } from "../runtime/mod.ts";
import type { HostContext } from "../host-context.ts";
import { BookSnapshot, TradeBatch } from "../../lib/contracts/messages.ts";
import { BUCKET, STREAM } from "../../lib/platform/streams.ts";
import { decode } from "../../lib/contracts/codec.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { loadConfig, v } from "../../lib/platform/config.ts";
import { LeaderLease } from "../lease/mod.ts";
import { RoomPublisher } from "../coalescer/mod.ts";
import { BookRooms, TradeRooms } from "./rooms.ts";

export const marketRoomsSettings = {
  MARKET_ROOMS_INTERVAL: v.duration().pipe(z.number().int().min(50)).default(500)
    .describe("changed book and trades rooms are published at most this often"),
  BOOK_ROOM_DEPTH: v.int(1, 200).default(20).describe("levels per side in book.<SYMBOL>"),
  TRADES_ROOM_SIZE: v.int(1, 500).default(50).describe("trades kept in trades.<SYMBOL> (newest first)"),
};
type Config = z.infer<z.ZodObject<typeof marketRoomsSettings>>;

export class MarketRoomsService {
  readonly books: BookRooms;
  readonly trades: TradeRooms;
  readonly stats = { books: 0, trades: 0, bad: 0, published: 0, publishErrors: 0 };
  #lease?: LeaderLease;
  #feeds: ConsumerMessages[] = [];
  #timer: TimerHandle | undefined;
  #publisher: RoomPublisher;
  #leading = false;
  readonly #log = getLogger(["tickflow", "marketrooms"]);

  constructor(private readonly host: HostContext, private readonly c: Config, private readonly holderId: string) {
    this.books = new BookRooms(c.BOOK_ROOM_DEPTH);
    this.trades = new TradeRooms(c.TRADES_ROOM_SIZE);
    this.#publisher = new RoomPublisher(host.js, host.jsm);
  }

  get leading(): boolean {
    return this.#leading;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const kv = this.host.kv[BUCKET.leaders];
    if (!kv) throw new Error(`KV bucket ${BUCKET.leaders} is not open in this host`);
    this.#lease = new LeaderLease({
      kv, name: "market-rooms", holderId: this.holderId, leaseMs: this.host.leaseMs, clock: this.host.clock,
      onElected: () => void this.#elect().catch((err) => this.#log.error("market rooms failed to start: {err}", { err: String(err) })),
      onDeposed: () => void this.#depose(),
    });
    await this.#lease.start(signal);
  }

  async stop(): Promise<void> {
    await this.#lease?.stop();
    await this.#depose();
  }

  async #elect(): Promise<void> {
    const js = this.host.js;
    this.#leading = true;
    const books = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allBooks, deliver_policy: DeliverPolicy.LastPerSubject });
    this.#feeds.push(await books.consume({ max_messages: 1000, callback: (m) => this.#onBook(m) }));
    const trades = await js.consumers.get(STREAM.md, { filter_subjects: subjects.allTrades, deliver_policy: DeliverPolicy.New });
    this.#feeds.push(await trades.consume({ max_messages: 2000, callback: (m) => this.#onTrades(m) }));
    this.#schedule();
  }

  async #depose(): Promise<void> {
    this.#leading = false;
    this.host.clock.clearTimeout(this.#timer);
    await Promise.allSettled(this.#feeds.splice(0).map((f) => f.close()));
    await this.#publisher.idle();
  }

  #onBook(m: JsMsg): void {
    const b = decode(BookSnapshot, m.data);
    if (!b.ok) return void this.stats.bad++;
    if (this.books.offer(b.value)) this.stats.books++;
  }

  #onTrades(m: JsMsg): void {
    const b = decode(TradeBatch, m.data);
    if (!b.ok) return void this.stats.bad++;
    for (const t of b.value.trades) if (this.trades.offer(t)) this.stats.trades++;
  }

  #schedule(): void {
    if (!this.#leading) return;
    this.#timer = this.host.clock.setTimeout(() => {
      this.flush();
      this.#schedule();
    }, this.c.MARKET_ROOMS_INTERVAL);
  }

  /** Publish every changed room (a failed publish is superseded by the next state). */
  flush(): void {
    const now = this.host.clock.now();
    const out = [
      ...this.books.take().map((d) => ({ room: rooms.book(d.symbol), data: d as unknown })),
      ...this.trades.take().map((d) => ({ room: rooms.trades(d.symbol), data: d as unknown })),
    ];
    for (const o of out) {
      this.#publisher.publish(o.room, o.data, now).then(
        () => void this.stats.published++,
        (err) => {
          this.stats.publishErrors++;
          this.#log.warn("publish to {room} failed: {err}", { room: o.room, err: String(err) });
        },
      );
    }
  }
}

function marketRoomsActor(host: HostContext, config: Config): Actor<never> {
  let svc: MarketRoomsService | undefined;
  return {
    async start(ctx) {
      svc = new MarketRoomsService(host, config, `${host.hostId}-marketrooms-${crypto.randomUUID().slice(0, 6)}`);
      await svc.start(ctx.signal);
    },
    async stop() {
      await svc?.stop();
    },
    status: () => (svc ? { leader: svc.leading, ...svc.stats } : {}),
  };
}

/** Throws ConfigError (naming the variable) when a setting is invalid. */
export function marketRoomsChild(host: HostContext): ChildSpec {
  const config = loadConfig(marketRoomsSettings, host.env);
  return { id: "market-rooms", restart: "permanent", shutdownMs: 5000, actor: () => marketRoomsActor(host, config) };
}
