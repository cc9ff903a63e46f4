/**
 * The shard's Binance order books: one {@link OrderBook} per owned product, REST
 * snapshots fetched through cockatiel (bulkhead for concurrency, timeout, retry with
 * backoff), raw diffs published as BookDelta, and the top levels published as a
 * BookSnapshot every interval when the book moved.
 */
import { getLogger } from "@logtape/logtape";
import { bulkhead, ExponentialBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from "cockatiel";
import type { BookDelta, BookSnapshot } from "../../../lib/contracts/messages.ts";
import { encode } from "../../../lib/contracts/codec.ts";
import { msgIds } from "../../../lib/platform/streams.ts";
import { subjects } from "../../../lib/contracts/subjects.ts";
import type { Clock, TimerHandle } from "../../runtime/mod.ts";
import type { Publisher } from "../publisher.ts";
import { type DepthEvent, OrderBook } from "./book.ts";
import { BinanceDepthSnapshot } from "./frames.ts";
import { numericSnapshot } from "./normalise.ts";
import { depthWeight, RateLimitedError, RestAbortedError, RestBudget } from "./rest-budget.ts";

export interface BooksOptions {
  venue: string;
  /** `spot` (GET /api/v3/depth, U = previous u + 1) or `usdm` (GET /fapi/v1/depth, the pu chain). */
  market?: "spot" | "usdm";
  restUrl: string;
  snapshotLimit: number;
  concurrency: number;
  intervalMs: number;
  depth: number;
  clock: Clock;
  publisher: Publisher;
  symbolOf: (product: string) => string;
  onGap: (product: string, expected: number, got: number) => void;
  /** REST weight per minute this shard may use (default: 80 % of the venue's documented limit). */
  weightPerMinute?: number;
  /** Back-off after a 418 ban when Retry-After asks for less. */
  minBanMs?: number;
  fetch?: typeof fetch;
}

/** GET /fapi/v1/depth accepts only these limits (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Order-Book). */
const FUTURES_LIMITS = [5, 10, 20, 50, 100, 500, 1000] as const;
export function futuresDepthLimit(n: number): number {
  return FUTURES_LIMITS.find((l) => l >= n) ?? 1000;
}

export class SnapshotError extends Error {
  override name = "SnapshotError";
}

interface Entry {
  book: OrderBook;
  fetching: boolean;
  published: number;
  /** Incremented on reset/removal so a late snapshot for an old incarnation is ignored. */
  epoch: number;
  /** After a failed fetch, no new one before this time (diffs arrive 10×/s). */
  retryAt: number;
}

export class BinanceBooks {
  private readonly books = new Map<string, Entry>();
  private timer: TimerHandle | undefined;
  private readonly policy;
  private readonly timeout = timeout(10_000, TimeoutStrategy.Aggressive);
  private readonly log = getLogger(["tickflow", "ingest", "books"]);
  private readonly abort = new AbortController();
  snapshotsFetched = 0;
  resyncs = 0;
  private readonly market: "spot" | "usdm";
  readonly budget: RestBudget;

  constructor(private readonly o: BooksOptions) {
    this.market = o.market ?? "spot";
    // Documented limits: Spot 6,000 weight/min, USD-M futures 2,400; keep 20 % headroom.
    this.budget = new RestBudget({ venue: o.venue, clock: o.clock, weightPerMinute: o.weightPerMinute ?? (this.market === "usdm" ? 1920 : 4800),
      ...(o.minBanMs !== undefined ? { minBanMs: o.minBanMs } : {}),
    });
    this.policy = wrap(
      bulkhead(o.concurrency, 10_000),
      // A 429/418 is not retried here: the budget holds every request until Retry-After.
      retry(handleWhen((e) => !(e instanceof RateLimitedError) && !(e instanceof RestAbortedError)), { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }) }).dangerouslyUnref(),
    );
  }

  start(): void {
    const loop = () => {
      this.publishSnapshots();
      this.timer = this.o.clock.setTimeout(loop, this.o.intervalMs);
    };
    this.timer = this.o.clock.setTimeout(loop, this.o.intervalMs);
  }

  stop(): void {
    this.abort.abort();
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  add(product: string): void {
    if (!this.books.has(product)) {
      this.books.set(product, { book: new OrderBook(5000, this.market), fetching: false, published: 0, epoch: 0, retryAt: 0 });
    }
  }

  remove(product: string): void {
    const e = this.books.get(product);
    if (e) e.epoch++;
    this.books.delete(product);
  }

  /** Forget the state of a product's book (its stream was re-subscribed); it resyncs from the next diff. */
  reset(product: string): void {
    const e = this.books.get(product);
    if (!e) return;
    e.epoch++;
    e.fetching = false;
    e.book.reset();
  }

  get(product: string): OrderBook | undefined {
    return this.books.get(product)?.book;
  }

  onDepth(product: string, ev: DepthEvent, delta: BookDelta): void {
    const e = this.books.get(product);
    if (!e) return;
    void this.o.publisher.publish(
      subjects.bookDelta(delta.venue, delta.symbol),
      encode(delta),
      msgIds.bookDelta(delta.venue, delta.symbol, delta.firstUpdateId, delta.lastUpdateId),
    );
    const r = e.book.onDiff(ev);
    if (r.type === "gap") {
      this.resyncs++;
      this.o.onGap(product, r.expected, r.got);
    }
    if ((r.type === "gap" || r.type === "buffered") && !e.fetching && this.o.clock.now() >= e.retryAt) void this.fetch(product, e);
  }

  private async fetch(product: string, e: Entry): Promise<void> {
    e.fetching = true;
    const epoch = e.epoch;
    const path = this.market === "usdm" ? "/fapi/v1/depth" : "/api/v3/depth";
    const limit = this.market === "usdm" ? futuresDepthLimit(this.o.snapshotLimit) : this.o.snapshotLimit;
    const url = `${this.o.restUrl.replace(/\/$/, "")}${path}?symbol=${encodeURIComponent(product)}&limit=${limit}`;
    const f = this.o.fetch ?? fetch;
    try {
      const weight = depthWeight(this.market, limit);
      const snap = await this.policy.execute(async ({ signal }) => {
        // Every attempt is queued against the weight budget inside the bulkhead (so none is
        // already waiting to go out when a 429/418 arrives) and before the timeout starts
        // (waiting for the next minute or the end of a ban is not a slow response).
        await this.budget.acquire(weight, signal);
        return await this.timeout.execute(async ({ signal: s }) => {
          const res = await f(url, { signal: s });
          this.budget.onResponse(res, url);
          if (!res.ok) throw new SnapshotError(`GET ${url}: HTTP ${res.status}`);
          const parsed = BinanceDepthSnapshot.safeParse(await res.json());
          if (!parsed.success) throw new SnapshotError(`GET ${url}: unexpected body: ${parsed.error.issues[0]?.message}`);
          return numericSnapshot(parsed.data);
        }, signal);
      }, this.abort.signal);
      if (e.epoch !== epoch || this.books.get(product) !== e) return;
      this.snapshotsFetched++;
      const r = e.book.onSnapshot(snap);
      e.fetching = false;
      if (r.type === "too-old") {
        this.log.debug("{product}: snapshot {id} older than buffered diffs; fetching again", { product, id: snap.lastUpdateId });
        this.o.clock.setTimeout(() => {
          if (this.books.get(product) === e && e.epoch === epoch && !e.fetching) void this.fetch(product, e);
        }, 100);
      }
    } catch (err) {
      if (e.epoch === epoch) {
        e.fetching = false;
        e.retryAt = Math.max(this.o.clock.now() + 2_000, this.budget.blockedUntil);
      }
      if (this.abort.signal.aborted) return;
      if (err instanceof RateLimitedError) return; // logged by the budget
      this.log.warn("{product}: depth snapshot failed: {err}", { product, err: String(err) });
      // The next diff event after retryAt triggers another attempt.
    }
  }

  /** Publish the top levels of every synced book that moved since its last snapshot. */
  publishSnapshots(): void {
    const ts = this.o.clock.now();
    for (const [product, e] of this.books) {
      if (e.book.state !== "synced" || e.book.lastUpdateId === e.published) continue;
      e.published = e.book.lastUpdateId;
      const symbol = this.o.symbolOf(product);
      const msg: BookSnapshot = {
        v: 1,
        venue: this.o.venue,
        market: this.market,
        symbol,
        ts,
        lastUpdateId: e.book.lastUpdateId,
        levels: e.book.levels(this.o.depth),
      };
      void this.o.publisher.publish(subjects.book(this.o.venue, symbol), encode(msg), msgIds.book(this.o.venue, symbol, msg.lastUpdateId, ts));
    }
  }
}
