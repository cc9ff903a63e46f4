/**
 * CoinGecko poller: one leader at a time (LeaderLease in BUCKET.leaders) polls
 * `/coins/markets` every interval, through a rate limiter (token bucket per minute) and
 * a cockatiel policy: retries with backoff 5/10/20 s that honours `Retry-After` on 429,
 * around a circuit breaker. Each coin becomes a MarketSnapshot on `md.market.<coin>`.
 * While an exchange feed reports "down" (FeedStatus on md.feed.*), prices are also
 * published as degraded ticks (venue "coingecko") so dashboards stay alive.
 */
import { Freshness } from "../../freshness.ts";
import type { JetStreamClient } from "@nats-io/jetstream";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { getLogger } from "@logtape/logtape";
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  retry,
  wrap,
} from "cockatiel";
import { decode, encode } from "../../../lib/contracts/codec.ts";
import { FeedStatus } from "../../../lib/contracts/messages.ts";
import { msgIds, STREAM } from "../../../lib/platform/streams.ts";
import { subjects } from "../../../lib/contracts/subjects.ts";
import { LeaderLease } from "../../lease/mod.ts";
import { Metrics } from "../../../lib/platform/metrics.ts";
import { type Clock, sleep } from "../../runtime/mod.ts";
import { breakerState } from "../connection.ts";
import { Publisher } from "../publisher.ts";
import type { IngestSettings } from "../settings.ts";
import { TokenBucket } from "../../../lib/platform/token-bucket.ts";
import { CoinGeckoMarket, CoinGeckoMarkets, degradedTick, isTokenSafe, marketSnapshot } from "./frames.ts";

export class CoinGeckoHttpError extends Error {
  override name = "CoinGeckoHttpError";
  constructor(message: string, readonly status: number, readonly retryAfterMs?: number) {
    super(message);
  }
}
export const isCoinGeckoHttpError = (e: unknown): e is CoinGeckoHttpError => e instanceof Error && e.name === "CoinGeckoHttpError";

/** `Retry-After` as delta-seconds or an HTTP date → ms from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

/** Exponential backoff (base, 2×base, 4×base...) that waits at least what the server's Retry-After asked. */
export class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(private readonly baseMs: number, private readonly attempt = 0, readonly duration = 0) {}
  next(ctx: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const err = "error" in ctx.result ? ctx.result.error : undefined;
    const asked = isCoinGeckoHttpError(err) ? err.retryAfterMs ?? 0 : 0;
    const d = Math.max(this.baseMs * 2 ** this.attempt, asked);
    return new RetryAfterBackoff(this.baseMs, this.attempt + 1, d);
  }
}

export interface PollerDeps {
  holderId: string;
  js: JetStreamClient;
  kv: KV;
  leaseMs: number;
  clock: Clock;
  settings: IngestSettings;
  url: string;
  metrics?: Metrics;
  fetch?: typeof fetch;
  /** Background work died (the md.feed.* watch): the actor wrapper reports it to the supervisor. */
  onError?: (err: unknown) => void;
}

export class PollerService {
  readonly leader: LeaderLease;
  readonly publisher: Publisher;
  /** Feed state per venue, from the latest FeedStatus. */
  readonly feeds = new Map<string, FeedStatus["state"]>();
  private readonly bucket: TokenBucket;
  private readonly policy;
  readonly breaker;
  private loopAbort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  private readonly log = getLogger(["tickflow", "ingest", "coingecko"]);
  private readonly m;
  polls = 0;
  requests = 0;
  /** Input: the newest complete poll; output: the newest ack. Expected while leading (3 poll periods). */
  private readonly freshness: Freshness;

  constructor(private readonly d: PollerDeps) {
    const s = d.settings;
    const metrics = d.metrics ?? new Metrics();
    this.m = {
      requests: metrics.counter("coingecko_requests_total", "HTTP requests to CoinGecko by status"),
      coins: metrics.counter("coingecko_coins_published_total", "market snapshots published"),
      bad: metrics.counter("coingecko_bad_items_total", "items that failed validation (skipped)"),
      degraded: metrics.counter("coingecko_degraded_ticks_total", "degraded ticks published while a feed was down"),
    };
    this.freshness = new Freshness("poller", d.clock, 3 * s.COINGECKO_INTERVAL_MS);
    this.bucket = new TokenBucket(s.COINGECKO_RATE_PER_MIN / 60, 1, d.clock);
    this.breaker = circuitBreaker(handleWhen((e) => !(e instanceof BrokenCircuitError)), {
      halfOpenAfter: s.COINGECKO_BREAKER_HALF_OPEN_MS,
      breaker: new ConsecutiveBreaker(s.COINGECKO_BREAKER_FAILURES),
    });
    const retrying = retry(handleWhen((e) => !(e instanceof BrokenCircuitError)), {
      maxAttempts: s.COINGECKO_ATTEMPTS,
      backoff: new RetryAfterBackoff(s.COINGECKO_BACKOFF_MS),
    }).dangerouslyUnref();
    this.policy = wrap(retrying, this.breaker);
    this.breaker.onBreak(() => this.status("down", "circuit breaker open"));
    this.breaker.onReset(() => this.status("up", "circuit breaker closed"));
    this.publisher = new Publisher(d.js, { lingerMs: 0, maxBatch: 1, maxInFlight: 256, clock: d.clock, metrics, labels: { actor: "coingecko" } });
    this.leader = new LeaderLease({
      kv: d.kv,
      name: "coingecko-poller",
      holderId: d.holderId,
      leaseMs: d.leaseMs,
      clock: d.clock,
      onElected: () => this.startLoop(),
      onDeposed: () => this.stopLoop(),
    });
  }

  async start(): Promise<void> {
    await this.watchFeeds();
    await this.leader.start(this.stopped.signal);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.leader.stop();
    this.stopLoop();
    // A retry delay in flight is not abortable (cockatiel); do not let it hold shutdown.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 2_000).unref?.())]);
    await Promise.race([this.publisher.flush(), new Promise((r) => setTimeout(r, 3_000).unref?.())]);
  }

  /** True while any exchange feed reports "down". */
  feedDown(): boolean {
    for (const [venue, st] of this.feeds) if (venue !== "coingecko" && st === "down") return true;
    return false;
  }

  private startLoop(): void {
    this.stopLoop();
    const abort = (this.loopAbort = new AbortController());
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.pollOnce(abort.signal);
        } catch (err) {
          if (err instanceof BrokenCircuitError) this.log.info("CoinGecko breaker open; poll skipped");
          else if (!abort.signal.aborted) this.log.warn("CoinGecko poll failed: {err}", { err: String(err) });
        }
        await sleep(this.d.clock, this.d.settings.COINGECKO_INTERVAL_MS, abort.signal);
      }
    })();
  }

  private stopLoop(): void {
    this.loopAbort?.abort();
  }

  /** One poll: every page, then publish. Throws when a page could not be had. */
  async pollOnce(signal?: AbortSignal): Promise<number> {
    const s = this.d.settings;
    const now = this.d.clock.now();
    let published = 0;
    const degraded = this.feedDown();
    for (let page = 1; page <= s.COINGECKO_PAGES; page++) {
      const items = await this.policy.execute(() => this.fetchPage(page, signal), signal);
      for (const raw of items) {
        const r = CoinGeckoMarket.safeParse(raw);
        if (!r.success || !isTokenSafe(r.data.id)) {
          this.m.bad.inc();
          continue;
        }
        const snap = marketSnapshot(r.data, now);
        void this.publisher.publish(subjects.market(snap.coin), encode(snap), msgIds.market(snap.coin, snap.ts));
        published++;
        if (degraded) {
          const t = degradedTick(r.data, s.COINGECKO_VS, now);
          if (t) {
            this.publisher.tick(t);
            this.m.degraded.inc();
          }
        }
      }
      if (items.length < s.COINGECKO_PER_PAGE) break;
    }
    this.m.coins.inc(undefined, published);
    this.polls++;
    this.freshness.mark("in");
    await this.publisher.flush();
    return published;
  }

  private async fetchPage(page: number, signal?: AbortSignal): Promise<unknown[]> {
    const s = this.d.settings;
    // Rate limiter: wait for a token (every attempt, retries included, counts against the plan).
    for (let wait = this.bucket.msUntil(1); wait > 0; wait = this.bucket.msUntil(1)) await sleep(this.d.clock, wait, signal);
    this.bucket.tryTake();
    const q = new URLSearchParams({
      vs_currency: s.COINGECKO_VS,
      order: "market_cap_desc",
      per_page: String(s.COINGECKO_PER_PAGE),
      page: String(page),
      sparkline: "true",
      price_change_percentage: "24h",
    });
    const url = `${this.d.url.replace(/\/$/, "")}/coins/markets?${q}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (s.COINGECKO_API_KEY) headers["x-cg-demo-api-key"] = s.COINGECKO_API_KEY;
    this.requests++;
    const res = await (this.d.fetch ?? fetch)(url, { headers, ...(signal ? { signal } : {}) });
    this.m.requests.inc({ status: String(res.status) });
    if (!res.ok) {
      // 429 bodies are sometimes HTML: never parse them, just honour Retry-After.
      await res.body?.cancel().catch(() => {});
      const after = parseRetryAfter(res.headers.get("retry-after"), Date.now());
      throw new CoinGeckoHttpError(`GET ${url}: HTTP ${res.status}`, res.status, after);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CoinGeckoHttpError(`GET ${url}: body is not JSON (${text.slice(0, 60)})`, res.status);
    }
    const arr = CoinGeckoMarkets.safeParse(body);
    if (!arr.success) throw new CoinGeckoHttpError(`GET ${url}: expected an array of coins`, res.status);
    return arr.data;
  }

  /** Follow md.feed.* from the last status of each venue on (ordered consumer). */
  private async watchFeeds(): Promise<void> {
    try {
      const c = await this.d.js.consumers.get(STREAM.md, {
        filter_subjects: subjects.allFeeds,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      const msgs = await c.consume();
      this.stopped.signal.addEventListener("abort", () => void msgs.close(), { once: true });
      void (async () => {
        for await (const m of msgs) {
          const r = decode(FeedStatus, m.data);
          if (r.ok) this.feeds.set(r.value.venue, r.value.state);
        }
      })().catch((err) => {
        this.log.warn("feed watch ended: {err}", { err: String(err) });
        if (!this.stopped.signal.aborted) this.d.onError?.(err);
      });
    } catch (err) {
      this.log.warn("cannot watch feed status (degraded ticks disabled): {err}", { err: String(err) });
    }
  }

  private status(state: FeedStatus["state"], reason: string): void {
    const msg: FeedStatus = { v: 1, venue: "coingecko", state, reason, ts: this.d.clock.now() };
    void this.publisher.publish(subjects.feed("coingecko"), encode(msg), `f:coingecko:${this.d.holderId}:${msg.ts}:${state}`);
  }

  statusReport(): Record<string, unknown> {
    const f = this.freshness;
    if (this.publisher.lastAckAt !== undefined) f.mark("out", this.publisher.lastAckAt);
    if (this.leader.isLeader()) for (const k of ["in", "out"]) f.expect(k);
    else for (const k of ["in", "out"]) f.unexpect(k);
    return { leader: this.leader.isLeader(), polls: this.polls, breaker: breakerState(this.breaker.state), feeds: Object.fromEntries(this.feeds), freshness: f.report() };
  }
}
