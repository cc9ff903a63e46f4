/**
 * Turns the plain stores into Solid signals at a bounded rate: frames mark things
 * dirty, and at most once per `RENDER_MS` one batched flush bumps a version signal
 * per changed symbol (so only rows showing that symbol re-render) plus a global tick.
 *
 * It also knows whether data is live: every price, candle or alert frame requests a
 * flush, so the time of the newest request is the time of the newest update. When none
 * came for 3 × the expected interval, `delayedFor()` says for how long (whole seconds),
 * and goes back to undefined with the next update. Non-price rooms (movers, pulse) do
 * not count: they can keep changing while prices are frozen.
 */
import { batch, createSignal, onCleanup, type Accessor, type Setter } from "solid-js";
import { throttle } from "@solid-primitives/scheduled";
import type { MarketStore } from "../core/market.ts";

export const RENDER_MS = 100;
/**
 * How often a connected dashboard expects a price update. The coalescer sends every
 * 100 ms while prices move, but the edge may thin a slow client's ticker.all and rooms
 * may be asked at `@1s`, so a second is the slowest cadence that is still live.
 */
export const EXPECTED_INTERVAL_MS = 1_000;
/** Silence longer than this many expected intervals is "Delayed". */
export const DELAYED_AFTER_INTERVALS = 3;

export interface FreshnessOptions {
  expectedIntervalMs?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
  /** How often silence is re-checked; default 500 ms. */
  checkEveryMs?: number;
}

export interface LiveMarket {
  /** Changes whenever `symbol`'s quote changed (read it to track the quote). */
  version(symbol: string): number;
  /** Bumps on every flush that changed anything. */
  tick: Accessor<number>;
  /** All known symbols, discovery order; a new array only when symbols were added. */
  symbols: Accessor<readonly string[]>;
  /** Ask for a flush within RENDER_MS (cheap to call per frame). */
  request(): void;
  /** Apply whatever is pending now, cancelling the scheduled flush (e.g. when the feed stops). */
  flushNow(): void;
  /** Extra work to run inside each flush's batch (alerts, candles). */
  onFlush(fn: () => void): void;
  /** Flushes run so far (for tests and the bench). */
  flushes(): number;
  /**
   * Seconds without any update, once that exceeds DELAYED_AFTER_INTERVALS × the
   * expected interval; undefined while updates arrive (and before the first one).
   */
  delayedFor: Accessor<number | undefined>;
}

/** Must be called under a Solid owner (createRoot) so the pending flush is cleared on dispose. */
export function createLiveMarket(store: MarketStore, ms = RENDER_MS, fresh: FreshnessOptions = {}): LiveMarket {
  const versions = new Map<string, [Accessor<number>, Setter<number>]>();
  const [tick, setTick] = createSignal(0);
  const [symbols, setSymbols] = createSignal<readonly string[]>([]);
  const hooks: Array<() => void> = [];
  let count = 0;

  const signalOf = (symbol: string) => {
    let s = versions.get(symbol);
    if (!s) {
      s = createSignal(0);
      versions.set(symbol, s);
    }
    return s;
  };

  const flush = () => {
    count++;
    const { symbols: dirty, added } = store.takeDirty();
    batch(() => {
      for (const sym of dirty) {
        const s = versions.get(sym);
        if (s) s[1]((v) => v + 1);
      }
      if (added) setSymbols([...store.symbols]);
      for (const h of hooks) h();
      setTick((t) => t + 1);
    });
  };
  const request = throttle(flush, ms);

  const now = fresh.now ?? Date.now;
  const limitMs = DELAYED_AFTER_INTERVALS * (fresh.expectedIntervalMs ?? EXPECTED_INTERVAL_MS);
  const [delayedFor, setDelayedFor] = createSignal<number | undefined>();
  let lastUpdate: number | undefined;
  let delayed = false;
  const check = () => {
    if (lastUpdate === undefined) return;
    const silent = now() - lastUpdate;
    delayed = silent > limitMs;
    setDelayedFor(delayed ? Math.floor(silent / 1000) : undefined);
  };
  const timer = setInterval(check, fresh.checkEveryMs ?? 500);
  onCleanup(() => clearInterval(timer));

  return {
    version: (symbol) => signalOf(symbol)[0](),
    tick,
    symbols,
    delayedFor,
    request: () => {
      lastUpdate = now();
      if (delayed) check(); // back to "Live" with the first update, not at the next check
      request();
    },
    flushNow: () => {
      request.clear();
      flush();
    },
    onFlush: (fn) => void hooks.push(fn),
    flushes: () => count,
  };
}
