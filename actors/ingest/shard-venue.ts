/**
 * What a connection shard is built from: its dependencies (`ShardDeps`), and the
 * assembly of one venue for it (`makeVenue`: the venue's protocol, reconnect policy and
 * breaker, handshake gate, Binance and Coinbase level2 order books, and the upstream sockets wired to the shard's frame
 * handler, subscription flusher and upstream checks). shard.ts owns the state and the
 * frame handling; this file only puts a venue's parts together.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import type { FeedStatus } from "../../lib/contracts/messages.ts";
import type { Counter, Metrics } from "../../lib/platform/metrics.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";
import type { Clock } from "../runtime/mod.ts";
import { BinanceBooks } from "./binance/books.ts";
import { CoinbaseBooks } from "./coinbase/books.ts";
import { cdpJwtSigner } from "./coinbase/jwt.ts";
import { ConnectGate } from "./connect-gate.ts";
import { venuePolicies } from "./connection.ts";
import type { JsPublish, Publisher } from "./publisher.ts";
import type { SeqTracker } from "./sequence.ts";
import type { IngestSettings, VenueEndpoint } from "./settings.ts";
import type { Slot, SubscriptionFlusher } from "./subscriptions.ts";
import type { TradeIdTracker } from "./trades.ts";
import type { UpstreamChecks } from "./upstream-checks.ts";
import { VenueSockets } from "./venue-sockets.ts";
import { binanceProductsPerConnection, binanceProtocol, coinbaseAdvancedProtocol, coinbaseProtocol, type VenueName, type VenueProtocol } from "./venues.ts";

export interface ShardDeps {
  shardId: string;
  /** Publishes through `js` unless `nc` is given, then through the faster AsyncJetStream on it. */
  js: JsPublish;
  nc?: NatsConnection;
  /** For the replay floor (last stored tick per product); optional in tests. */
  jsm?: JetStreamManager;
  kv: KV;
  leaseMs: number;
  clock: Clock;
  metrics?: Metrics;
  settings: IngestSettings;
  endpoints: VenueEndpoint[];
  /** Products per venue (venue ids, e.g. BTC-USD / BTCUSDT). */
  products: Partial<Record<VenueName, string[]>>;
  /** Bus symbol per venue product, from the venue's own base/quote fields (products.ts). */
  symbols?: Partial<Record<VenueName, ReadonlyMap<string, string>>>;
  /** Shared by the shards of one host (same IP); default: one per shard. */
  bucket?: TokenBucket;
  /** Coinbase tick sequences are contiguous (true for the simulator). */
  coinbaseGapCheck?: boolean;
  /** Re-reads the upstream product lists (every PRODUCTS_REFRESH_MS): listings and delistings without a restart. */
  listProducts?: () => Promise<Partial<Record<VenueName, string[]>>>;
  info?: Record<string, unknown>;
}

export interface Venue {
  protocol: VenueProtocol;
  /** `{ venue }`, one object so per-frame counters find their series without building a key. */
  labels: { venue: string };
  sockets: VenueSockets;
  books?: BinanceBooks;
  /** Coinbase Advanced Trade level2 books. */
  l2?: CoinbaseBooks;
  /** Handshake refusals (429/418 + Retry-After) shared by the venue's connections. */
  gate: ConnectGate;
  breaker: ReturnType<typeof venuePolicies>["breaker"];
}

/** The shard's parts a venue is wired to (shard.ts builds it once). */
export interface VenueWiring {
  d: ShardDeps;
  publisher: Publisher;
  flusher: SubscriptionFlusher;
  /** The subscribe budget (Coinbase sockets open at its pace). */
  bucket: TokenBucket;
  checks: UpstreamChecks;
  seqs: SeqTracker;
  tradeIds: TradeIdTracker;
  disposers: Array<{ dispose(): void }>;
  reconnects: Counter;
  labels: { shard: string };
  connectBudget(venue: string): TokenBucket;
  feedStatus(venue: string, state: FeedStatus["state"], reason: string): void;
  gap(v: Venue, product: string, expected: number, got: number, resubscribe: boolean): void;
  /** The socket frame callback of venue `v`. */
  frameHandler(v: Venue): (slot: Slot, raw: string) => void;
}

/** Binance: 300 connection attempts per 5 minutes per IP, split between this host's shards (one bucket per venue). */
export function connectBudgets(settings: IngestSettings, clock: Clock): (venue: string) => TokenBucket {
  const budgets = new Map<string, TokenBucket>();
  return (venue) => {
    const share = Math.max(1, Math.floor(300 / Math.max(1, settings.SHARDS)));
    let b = budgets.get(venue);
    if (!b) budgets.set(venue, (b = new TokenBucket(share / 300, share, clock)));
    return b;
  };
}

export function makeVenue(w: VenueWiring, ep: VenueEndpoint): Venue {
  const s = w.d.settings;
  const jwt = s.COINBASE_JWT;
  // A CDP key signs a fresh JWT per message (they expire after 2 min); else a given token as is.
  const signer = s.COINBASE_API_KEY_NAME && s.COINBASE_API_PRIVATE_KEY ? cdpJwtSigner(s.COINBASE_API_KEY_NAME, s.COINBASE_API_PRIVATE_KEY) : jwt ? () => jwt : undefined;
  const names = w.d.symbols?.coinbase;
  const protocol = ep.venue === "coinbase"
    ? ep.api === "advanced" ? coinbaseAdvancedProtocol(s.TRADES, signer, names, s.BOOKS) : coinbaseProtocol(w.d.coinbaseGapCheck ?? true, s.TRADES, names)
    : binanceProtocol(s.BOOKS, { trades: s.TRADES, market: ep.venue === "binance-usdm" ? "usdm" : "spot", ...(w.d.symbols?.[ep.venue] ? { symbols: w.d.symbols[ep.venue] } : {}) });
  const { breaker, open } = venuePolicies({
    baseMs: s.RECONNECT_BASE_MS,
    maxMs: s.RECONNECT_MAX_MS,
    breakerFailures: s.BREAKER_FAILURES,
    halfOpenMs: s.BREAKER_HALF_OPEN_MS,
  });
  w.disposers.push(
    breaker.onBreak(() => w.feedStatus(ep.venue, "down", "circuit breaker open: upstream keeps failing")),
    breaker.onReset(() => w.feedStatus(ep.venue, "up", "circuit breaker closed")),
  );
  const gate = new ConnectGate({ venue: ep.venue, clock: w.d.clock, minBanMs: s.BINANCE_MIN_BAN_MS, serial: ep.venue !== "coinbase" });
  const v: Venue = { protocol, labels: { venue: ep.venue }, breaker, gate, sockets: undefined as unknown as VenueSockets };
  if (protocol.l2Books) {
    v.l2 = new CoinbaseBooks({ venue: ep.venue, intervalMs: s.BOOK_INTERVAL_MS, depth: s.BOOK_DEPTH, clock: w.d.clock, publisher: w.publisher, symbolOf: protocol.symbolOf });
  }
  if (protocol.books && ep.restUrl) {
    v.books = new BinanceBooks({
      venue: ep.venue,
      market: protocol.market,
      restUrl: ep.restUrl,
      snapshotLimit: s.BOOK_SNAPSHOT_LIMIT,
      concurrency: s.BOOK_SNAPSHOT_CONCURRENCY,
      intervalMs: s.BOOK_INTERVAL_MS,
      depth: s.BOOK_DEPTH,
      clock: w.d.clock,
      publisher: w.publisher,
      symbolOf: protocol.symbolOf,
      onGap: (product, expected, got) => w.gap(v, product, expected, got, false),
      // One host's IP budget, split between its shards.
      weightPerMinute: Math.floor(((protocol.market === "usdm" ? 2400 : 6000) * s.BINANCE_WEIGHT_SHARE) / Math.max(1, s.SHARDS)),
      minBanMs: s.BINANCE_MIN_BAN_MS,
    });
  }
  v.sockets = new VenueSockets({
    shardId: w.d.shardId,
    protocol,
    url: ep.wsUrl,
    ...(s.SHARD_LOCAL_ADDRESS ? { localAddress: s.SHARD_LOCAL_ADDRESS } : {}),
    // Binance allows 1,024 streams per connection (Spot and USD-M futures).
    cap: ep.venue === "coinbase" ? s.PRODUCTS_PER_CONNECTION : Math.min(s.PRODUCTS_PER_CONNECTION, binanceProductsPerConnection(s.BOOKS, s.TRADES)),
    staleMs: s.STALE_MS,
    connectTimeoutMs: s.CONNECT_TIMEOUT_MS,
    shortSessionPauseMs: s.RECONNECT_BASE_MS,
    policy: open,
    gate,
    clock: w.d.clock,
    // Binance: session and connection limits. Coinbase: sockets open at the pace of the
    // subscribe budget, each taking the token of its own first subscribe, so every socket
    // subscribes right after it opens (within 5 s) at any product count.
    ...(ep.venue !== "coinbase"
      ? { maxSessionMs: s.BINANCE_MAX_SESSION_MS, connectBudget: w.connectBudget(ep.venue) }
      : { connectBudget: w.bucket, prepaidSubscribe: true }),
    flusher: w.flusher,
    onFrame: w.frameHandler(v),
    onSubscribed: (ps, slot, id) => {
      w.checks.requested(protocol.venue, slot.id, id, ps);
      for (const p of ps) {
        w.seqs.resetBaseline(`${protocol.venue}:${p}`);
        w.tradeIds.forget(`${protocol.venue}:${p}`);
        v.books?.reset(p);
        v.l2?.reset(p);
      }
    },
    onReconnect: (slot) => {
      w.checks.closed(slot.id);
      w.reconnects.inc({ venue: protocol.venue, ...w.labels });
    },
  });
  return v;
}
