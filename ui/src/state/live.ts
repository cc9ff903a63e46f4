/**
 * Turns the plain stores into Solid signals at a bounded rate: frames mark things
 * dirty, and at most once per `RENDER_MS` one batched flush bumps a version signal
 * per changed symbol (so only rows showing that symbol re-render) plus a global tick.
 */
import { batch, createSignal, type Accessor, type Setter } from "solid-js";
import { throttle } from "@solid-primitives/scheduled";
import type { MarketStore } from "../core/market.ts";

export const RENDER_MS = 100;

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
}

/** Must be called under a Solid owner (createRoot) so the pending flush is cleared on dispose. */
export function createLiveMarket(store: MarketStore, ms = RENDER_MS): LiveMarket {
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

  return {
    version: (symbol) => signalOf(symbol)[0](),
    tick,
    symbols,
    request: () => request(),
    flushNow: () => {
      request.clear();
      flush();
    },
    onFlush: (fn) => void hooks.push(fn),
    flushes: () => count,
  };
}
