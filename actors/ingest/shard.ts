/**
 * The connection-shard: owns products by rendezvous hashing over the live shard leases
 * (actors/lease Membership in BUCKET.shards), keeps upstream connections for them,
 * validates and normalises every frame, drops replays, reports gaps (GapEvent +
 * resubscribe, or a Binance book resync), publishes ticks / books / feed status to
 * JetStream, and stops its connections the moment its lease cannot be renewed.
 *
 * `ShardService` has no actor-runtime dependency (tests drive it directly); mod.ts wraps
 * it as a supervised actor. Its dependencies and the assembly of each venue's parts
 * are in shard-venue.ts.
 */
import { getLogger } from "@logtape/logtape";
import { encode, decode } from "../../lib/contracts/codec.ts";
import { type FeedStatus, type GapEvent, TickBatch } from "../../lib/contracts/messages.ts";
import { STREAM } from "../../lib/platform/streams.ts";
import { subjects } from "../../lib/contracts/subjects.ts";
import { Membership } from "../lease/mod.ts";
import { Metrics } from "../../lib/platform/metrics.ts";
import { breakerState } from "./connection.ts";
import type { FrameResult } from "./frame-result.ts";
import { AsyncJetStream } from "./js-async.ts";
import { parseFault, Publisher } from "./publisher.ts";
import { SeqTracker } from "./sequence.ts";
import { type Slot, SubscriptionFlusher } from "./subscriptions.ts";
import { TokenBucket } from "../../lib/platform/token-bucket.ts";
import { frameTurns } from "./turn-budget.ts";
import { TradeIdTracker, TradePublisher } from "./trades.ts";
import { ShardFreshness } from "./freshness.ts";
import type { VenueName } from "./venues.ts";
import { UpstreamChecks } from "./upstream-checks.ts";
import { ShardReports } from "./shard-reports.ts";
import { ProductRefresher } from "./product-refresh.ts";
import { connectBudgets, makeVenue, type ShardDeps, type Venue, type VenueWiring } from "./shard-venue.ts";

export type { ShardDeps } from "./shard-venue.ts";

export class ShardService {
  readonly membership: Membership;
  readonly publisher: Publisher;
  readonly trades: TradePublisher;
  readonly venues = new Map<VenueName, Venue>();
  private readonly flusher: SubscriptionFlusher;
  private readonly bucket: TokenBucket;
  private readonly seqs = new SeqTracker();
  /** Ticks held while the replay floor of a newly owned product is looked up. */
  private readonly gates = new Map<string, FrameResult[]>();
  private readonly log;
  private readonly m;
  private readonly reports: ShardReports;
  private stopping = false;
  private readonly disposers: Array<{ dispose(): void }> = [];
  private readonly labels;
  private readonly asyncJs: AsyncJetStream | undefined;
  private readonly freshness: ShardFreshness;
  /** Coinbase: trade ids seen per `venue:product`, checked for holes and against heartbeats' last_trade_id. */
  private readonly tradeIds = new TradeIdTracker();
  /** Subscription acks, connection sequences, clock skew (upstream-checks.ts). */
  readonly checks: UpstreamChecks;
  readonly refresher: ProductRefresher | undefined;

  constructor(private readonly d: ShardDeps) {
    const s = d.settings;
    this.log = getLogger(["tickflow", "ingest", "shard", d.shardId]);
    this.labels = { shard: d.shardId };
    const metrics = d.metrics ?? new Metrics();
    this.m = {
      frames: metrics.counter("ingest_frames_total", "upstream frames received"),
      bad: metrics.counter("ingest_bad_frames_total", "upstream frames that failed validation (skipped)"),
      dups: metrics.counter("ingest_replayed_ticks_total", "ticks dropped as replays (sequence already seen)"),
      gaps: metrics.counter("ingest_gaps_total", "sequence gaps detected"),
      sessions: metrics.counter("ingest_upstream_sessions_total", "new upstream sessions recognised (sequences restarted lower with newer exchange time)"),
      unowned: metrics.counter("ingest_unowned_frames_total", "frames for products this connection no longer carries"),
      reconnects: metrics.counter("ingest_reconnects_total", "upstream sessions that ended"),
      errors: metrics.counter("ingest_upstream_errors_total", "error replies from the upstream"),
      trades: metrics.counter("ingest_trades_total", "trades received and handed to the publisher"),
      missedTrades: metrics.counter("ingest_missed_trades_total", "trades the trade ids or a heartbeat's last_trade_id say were never received"),
    };
    metrics.gauge("ingest_owned_products", "products owned by the shard").set(() => this.ownedCount(), this.labels);
    this.reports = new ShardReports({ log: this.log, clock: d.clock, intervalMs: s.BAD_FRAME_LOG_MS, bad: this.m.bad, sessions: this.m.sessions });
    this.freshness = new ShardFreshness(d.clock, s.STALE_MS);
    this.checks = new UpstreamChecks({ clock: d.clock, metrics, labels: this.labels, maxSkewMs: s.MAX_CLOCK_SKEW_MS, ackTimeoutMs: s.ACK_TIMEOUT_MS });
    frameTurns.budgetMs = s.FRAME_TURN_BUDGET_MS;
    metrics.gauge("ingest_frame_turn_pauses", "sockets paused because an event-loop turn ran past FRAME_TURN_BUDGET_MS (overload)").set(() => frameTurns.pauses);
    this.bucket = d.bucket ?? new TokenBucket(s.SUBSCRIBE_RATE, s.SUBSCRIBE_BURST, d.clock);
    this.flusher = new SubscriptionFlusher(this.bucket, s.SUBSCRIBE_BATCH_MS, d.clock);
    if (d.nc) this.asyncJs = new AsyncJetStream(d.nc, 5_000, d.shardId);
    this.publisher = new Publisher(this.asyncJs ?? d.js, {
      lingerMs: s.PUBLISH_LINGER_MS,
      maxBatch: s.PUBLISH_MAX_BATCH,
      maxInFlight: s.PUBLISH_MAX_IN_FLIGHT,
      holdBytes: s.PUBLISH_HOLD_BYTES,
      fault: parseFault(s.INGEST_FAULT),
      clock: d.clock,
      metrics,
      labels: this.labels,
    });
    this.trades = new TradePublisher(this.publisher, {
      lingerMs: s.PUBLISH_LINGER_MS,
      maxBatch: s.PUBLISH_MAX_BATCH,
      clock: d.clock,
      validate: s.VALIDATE_PUBLISHED,
      onInvalid: (why) => this.reports.badFrame("bus", `trade fails its schema: ${why}`, ""),
    });
    const wiring: VenueWiring = {
      d, publisher: this.publisher, flusher: this.flusher, bucket: this.bucket, checks: this.checks, seqs: this.seqs, tradeIds: this.tradeIds,
      disposers: this.disposers, reconnects: this.m.reconnects, labels: this.labels, connectBudget: connectBudgets(s, d.clock),
      feedStatus: (venue, state, reason) => this.feedStatus(venue, state, reason),
      gap: (v, product, expected, got, resubscribe) => this.gap(v, product, expected, got, resubscribe),
      frameHandler: (v) => (slot, raw) => this.onFrame(v, slot, raw),
    };
    for (const ep of d.endpoints) this.venues.set(ep.venue, makeVenue(wiring, ep));
    this.refresher = d.listProducts && s.PRODUCTS_REFRESH_MS > 0
      ? new ProductRefresher({ intervalMs: s.PRODUCTS_REFRESH_MS, clock: d.clock, list: d.listProducts, current: () => d.products, apply: (l, n) => this.updateProducts(l, n), name: d.shardId })
      : undefined;
    this.membership = new Membership({
      kv: d.kv,
      memberId: d.shardId,
      leaseMs: d.leaseMs,
      clock: d.clock,
      info: { kind: "shard", ...d.info },
      // Through a short NATS outage the shard keeps its upstream connections and holds
      // what it receives (publisher.ts) rather than dropping every product at once.
      keepThroughErrors: true,
      onChange: () => this.reconcile(),
      onLost: (err) => this.lost(err),
    });
  }

  get id(): string {
    return this.d.shardId;
  }

  /** Join the membership and start owning products. */
  async start(): Promise<void> {
    for (const v of this.venues.values()) {
      v.books?.start();
      v.l2?.start();
    }
    await this.membership.start();
    this.reconcile();
    this.refresher?.start();
  }

  /** New product lists (listings, delistings): learn their bus symbols, then own and subscribe accordingly. */
  updateProducts(lists: Partial<Record<VenueName, string[]>>, symbols: Partial<Record<VenueName, ReadonlyMap<string, string>>> = {}): void {
    for (const [venue, v] of this.venues) {
      const ps = lists[venue];
      if (!ps) continue;
      const names = symbols[venue];
      if (names) v.protocol.addSymbols?.(names);
      this.d.products[venue] = ps;
    }
    this.reconcile();
  }

  /** All ownership keys, `venue:product`. */
  private keys(): string[] {
    const out: string[] = [];
    for (const [venue, ps] of Object.entries(this.d.products)) {
      if (this.venues.has(venue as VenueName)) for (const p of ps ?? []) out.push(`${venue}:${p}`);
    }
    return out;
  }

  /** Products owned right now, as ownership keys (sorted). */
  owned(): string[] {
    const out: string[] = [];
    for (const [venue, v] of this.venues) for (const p of v.sockets.products()) out.push(`${venue}:${p}`);
    return out.sort();
  }

  private ownedCount(): number {
    let n = 0;
    for (const v of this.venues.values()) n += v.sockets.products().length;
    return n;
  }

  /** Bring connections in line with what this member should own now. */
  reconcile(): void {
    if (this.stopping) return;
    const mine = this.membership.view().held ? this.membership.owned(this.keys()) : [];
    for (const [venue, v] of this.venues) {
      const prefix = `${venue}:`;
      const ps = mine.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      const { added, removed } = v.sockets.apply(ps);
      for (const p of removed) {
        this.checks.forget(venue, p);
        this.seqs.forget(prefix + p);
        this.gates.delete(prefix + p);
        v.books?.remove(p);
        v.l2?.remove(p);
      }
      for (const p of added) {
        v.books?.add(p);
        v.l2?.add(p);
        this.openGate(v, p);
      }
      if (added.length || removed.length) {
        this.log.info("{shard} {venue}: +{added} -{removed} products, {n} owned on {c} connections", {
          shard: this.d.shardId, venue, added: added.length, removed: removed.length, n: ps.length, c: v.sockets.connections().length,
        });
      }
    }
  }

  /** Lease renewal failed: another shard may own our products any moment, so drop everything now. */
  private lost(err: unknown): void {
    this.log.warn("{shard}: lease lost ({err}); closing all upstream connections", { shard: this.d.shardId, err: String(err) });
    for (const [venue, v] of this.venues) {
      for (const p of v.sockets.products()) {
        this.seqs.forget(`${venue}:${p}`);
        v.books?.remove(p);
        v.l2?.remove(p);
      }
      v.sockets.closeAll();
    }
    this.gates.clear();
  }

  /**
   * Look up the last tick already stored for a product (another shard may have owned it)
   * so frames it already published are not stored twice; its ticks wait meanwhile.
   */
  private openGate(v: Venue, product: string): void {
    const jsm = this.d.jsm;
    if (!jsm) return;
    const key = `${v.protocol.venue}:${product}`;
    const queue: FrameResult[] = [];
    this.gates.set(key, queue);
    const subject = subjects.tick(v.protocol.venue, v.protocol.symbolOf(product));
    jsm.streams
      .getMessage(STREAM.md, { last_by_subj: subject })
      .then((m) => {
        if (!m) return;
        const r = decode(TickBatch, m.data);
        if (!r.ok) return;
        const t = r.value.ticks[r.value.ticks.length - 1]!;
        this.seqs.raiseFloor(key, t.seq, t.exchTs);
      })
      .catch(() => { /* nothing stored yet */ })
      .finally(() => {
        if (this.gates.get(key) !== queue) return;
        this.gates.delete(key);
        for (const f of queue) if (f.kind === "tick") this.onTick(v, f.product, f);
      });
  }

  private onFrame(v: Venue, slot: Slot, raw: string): void {
    if (this.stopping) return;
    const venue = v.protocol.venue;
    const labels = v.labels;
    this.m.frames.inc(labels);
    this.freshness.frame(venue);
    this.onResult(v, slot, v.protocol.parse(raw, this.d.clock.now()));
  }

  private onResult(v: Venue, slot: Slot, r: FrameResult): void {
    const venue = v.protocol.venue;
    const labels = v.labels;
    switch (r.kind) {
      case "batch": {
        const jump = this.checks.connSeq(venue, slot.id, r.connSeq);
        // Lost messages on this connection: any of its products may have missed something.
        // With level2 books the lost message may have been a book update: each book waits
        // for the fresh snapshot its resubscribe brings.
        if (jump) {
          for (const p of slot.products) {
            v.l2?.resync(p);
            this.gap(v, p, jump.expected, jump.got, v.l2 !== undefined, "connection_sequence");
          }
        }
        for (const item of r.items) this.onResult(v, slot, item);
        return;
      }
      case "ack":
        return this.checks.acked(slot.id, r);
      case "tick": {
        if (!slot.products.has(r.product)) return this.m.unowned.inc(labels);
        const gate = this.gates.size ? this.gates.get(`${venue}:${r.product}`) : undefined;
        if (gate) gate.push(r);
        else this.onTick(v, r.product, r);
        return;
      }
      case "trade":
        if (!slot.products.has(r.product)) return this.m.unowned.inc(labels);
        this.m.trades.inc(labels);
        r.trade.exchTs = this.checks.time(venue, r.trade.exchTs, r.trade.recvTs);
        if (v.protocol.tradeIds) this.missedTrades(v, r.product, this.tradeIds.onTrade(`${venue}:${r.product}`, Number(r.trade.tradeId)));
        return this.trades.add(r.trade);
      case "heartbeat":
        if (r.lastTradeId !== undefined && v.protocol.tradeIds && this.d.settings.TRADES && slot.products.has(r.product)) {
          this.missedTrades(v, r.product, this.tradeIds.onHeartbeat(`${venue}:${r.product}`, r.lastTradeId));
        }
        return;
      case "l2":
        if (!slot.products.has(r.product)) return this.m.unowned.inc(labels);
        return v.l2?.onL2(r);
      case "depth":
        if (!slot.products.has(r.product)) return this.m.unowned.inc(labels);
        // Event time E within MAX_CLOCK_SKEW_MS of the receive time, as for ticks and trades.
        r.delta.ts = this.checks.time(venue, r.delta.ts, r.recvTs);
        v.books?.onDepth(r.product, r.event, r.delta);
        return;
      case "shutdown":
        // Binance will close this socket soon: move now (the docs: "establish a new connection as soon as possible").
        this.log.info("{venue} connection {id}: serverShutdown, reconnecting now", { venue, id: slot.id });
        return slot.transport.reconnect?.("serverShutdown");
      case "bad":
        return this.reports.badFrame(venue, r.error, r.sample);
      case "error":
        this.checks.errored(slot.id, r.id, r.message);
        this.m.errors.inc(labels);
        return this.reports.badFrame(venue, `upstream error: ${r.message}`, "");
      default:
        return;
    }
  }

  private onTick(v: Venue, product: string, r: Extract<FrameResult, { kind: "tick" }>): void {
    const venue = v.protocol.venue;
    const c = this.seqs.check(`${venue}:${product}`, r.tick.seq, v.protocol.gapCheck, r.tick.exchTs);
    if (c.type === "dup") return this.m.dups.inc(v.labels);
    if (c.type === "session") this.reports.newSession(venue, product, c.previous, c.got);
    if (c.type === "gap") this.gap(v, product, c.expected, c.got, true);
    r.tick.exchTs = this.checks.time(venue, r.tick.exchTs, r.tick.recvTs);
    this.freshness.tick(venue, product);
    this.publisher.tick(r.tick, r.dec);
  }

  /** Lost trades [from, to): counted, and a GapEvent naming the range. */
  private missedTrades(v: Venue, product: string, range: [number, number] | undefined): void {
    if (!range) return;
    this.m.missedTrades.inc({ venue: v.protocol.venue }, range[1] - range[0]);
    this.gap(v, product, range[0], range[1], false);
  }

  private gap(v: Venue, product: string, expected: number, got: number, resubscribe: boolean, reason?: string): void {
    const venue = v.protocol.venue;
    const symbol = v.protocol.symbolOf(product);
    this.m.gaps.inc({ venue });
    this.log.info("{venue} {symbol}: sequence gap, expected {expected} got {got}", { venue, symbol, expected, got });
    const ev: GapEvent = { v: 1, venue, symbol, expected, got, ts: this.d.clock.now(), ...(reason ? { reason } : {}) };
    // A connection's numbers start again with each connection: its gaps are named by time too.
    void this.publisher.publish(subjects.gap(venue, symbol), encode(ev), `g:${venue}:${symbol}:${expected}-${got}${reason ? `:${reason}:${ev.ts}` : ""}`);
    if (resubscribe) v.sockets.resubscribe(product);
  }

  private feedStatus(venue: string, state: FeedStatus["state"], reason: string): void {
    const msg: FeedStatus = { v: 1, venue, state, reason, ts: this.d.clock.now() };
    this.log.warn("{venue} feed {state}: {reason}", { venue, state, reason });
    void this.publisher.publish(subjects.feed(venue), encode(msg), `f:${venue}:${this.d.shardId}:${msg.ts}:${state}`);
  }

  /**
   * Stop in order: stop taking frames and unsubscribe (best effort within the token
   * budget), flush buffered ticks and wait for their acks (at most `flushMs`), close the
   * connections, then give the lease back so other shards take over at once.
   */
  async stop(flushMs = 5_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.flusher.stop();
    this.checks.stop();
    this.refresher?.stop();
    const take = (n = 1) => this.bucket.tryTake(n);
    for (const v of this.venues.values()) v.sockets.unsubscribeAll(take);
    this.trades.flush();
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.publisher.flush(), new Promise((r) => (t = setTimeout(r, flushMs)))]);
    clearTimeout(t);
    this.publisher.close();
    for (const v of this.venues.values()) {
      v.sockets.closeAll();
      v.books?.stop();
      v.l2?.stop();
    }
    for (const d of this.disposers) d.dispose();
    this.asyncJs?.close();
    await this.membership.stop();
  }

  status(): Record<string, unknown> {
    const out: Record<string, unknown> = { shard: this.d.shardId, owned: this.ownedCount(), members: this.membership.view().members.length };
    for (const [venue, v] of this.venues) {
      const conns = v.sockets.connections();
      out[venue] = { products: v.sockets.products().length, connections: conns.length, open: conns.filter((c) => c.open).length, breaker: breakerState(v.breaker.state) };
    }
    out.publishQueue = this.publisher.queued();
    out.refused = this.checks.refused();
    const owned = new Map<string, readonly string[]>();
    for (const [venue, v] of this.venues) owned.set(venue, v.sockets.products());
    out.freshness = this.freshness.report(owned, this.publisher.lastAckAt);
    return out;
  }
}
