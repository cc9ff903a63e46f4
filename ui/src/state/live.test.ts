import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createEffect, createRoot } from "solid-js";
import { MarketStore } from "../core/market.ts";
import { createLiveMarket } from "./live.ts";

const tick = (symbol: string, price: number, exchTs: number) => ({ symbol, venue: "sim", price, exchTs });

describe("createLiveMarket (100 ms render throttle)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("flushes at most once per 100 ms however many frames arrive", () => {
    createRoot((dispose) => {
      const store = new MarketStore();
      const live = createLiveMarket(store, 100);
      for (let i = 0; i < 50; i++) {
        store.apply(tick("A-USD", 1 + i, i));
        live.request();
        vi.advanceTimersByTime(10);
      }
      // 500 ms of frames every 10 ms → 5 flushes, not 50.
      expect(live.flushes()).toBe(5);
      dispose();
    });
  });

  it("re-runs only the computations of symbols that changed", () => {
    const store = new MarketStore();
    const runs = { a: 0, b: 0 };
    const { live, dispose } = createRoot((dispose) => {
      const live = createLiveMarket(store, 100);
      createEffect(() => { live.version("A-USD"); runs.a++; });
      createEffect(() => { live.version("B-USD"); runs.b++; });
      return { live, dispose };
    });
    expect(runs).toEqual({ a: 1, b: 1 });
    store.apply(tick("A-USD", 1, 1));
    store.apply(tick("B-USD", 1, 1));
    live.request();
    vi.advanceTimersByTime(100);
    expect(runs).toEqual({ a: 2, b: 2 });
    store.apply(tick("A-USD", 2, 2));
    live.request();
    vi.advanceTimersByTime(100);
    expect(runs).toEqual({ a: 3, b: 2 });
    dispose();
  });

  it("publishes a new symbol list only when symbols were added", () => {
    createRoot((dispose) => {
      const store = new MarketStore();
      const live = createLiveMarket(store, 100);
      store.apply(tick("A-USD", 1, 1));
      live.request();
      vi.advanceTimersByTime(100);
      const first = live.symbols();
      expect(first).toEqual(["A-USD"]);
      store.apply(tick("A-USD", 2, 2));
      live.request();
      vi.advanceTimersByTime(100);
      expect(live.symbols()).toBe(first);
      dispose();
    });
  });

  it("cancels a pending flush when its owner is disposed", () => {
    let live!: ReturnType<typeof createLiveMarket>;
    const store = new MarketStore();
    createRoot((dispose) => {
      live = createLiveMarket(store, 100);
      store.apply(tick("A-USD", 1, 1));
      live.request();
      dispose();
    });
    vi.advanceTimersByTime(200);
    expect(live.flushes()).toBe(0);
  });

  it("flushNow() applies pending changes at once and cancels the scheduled flush", () => {
    const store = new MarketStore();
    let seen = 0;
    const { live, dispose } = createRoot((dispose) => {
      const live = createLiveMarket(store, 100);
      createEffect(() => { seen = live.version("A-USD"); });
      return { live, dispose };
    });
    store.apply(tick("A-USD", 1, 1));
    live.request();
    live.flushNow();
    expect(seen).toBe(1);
    vi.advanceTimersByTime(200);
    expect(live.flushes()).toBe(1); // the throttled flush did not run a second time
    store.apply(tick("A-USD", 2, 2));
    live.request();
    vi.advanceTimersByTime(100);
    expect(seen).toBe(2);
    dispose();
  });
});

describe("createLiveMarket freshness (Delayed after 3 × the expected interval)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("says nothing before the first update and stays live while updates keep coming", () => {
    createRoot((dispose) => {
      const live = createLiveMarket(new MarketStore(), 100, { expectedIntervalMs: 1000 });
      vi.advanceTimersByTime(10_000);
      expect(live.delayedFor()).toBeUndefined();
      for (let i = 0; i < 20; i++) {
        live.request();
        vi.advanceTimersByTime(900);
      }
      expect(live.delayedFor()).toBeUndefined();
      dispose();
    });
  });

  it("reports Delayed with the seconds of silence once no update came for 3 intervals, counting up", () => {
    createRoot((dispose) => {
      const live = createLiveMarket(new MarketStore(), 100, { expectedIntervalMs: 1000 });
      live.request();
      vi.advanceTimersByTime(2_900);
      expect(live.delayedFor()).toBeUndefined();
      vi.advanceTimersByTime(600);
      expect(live.delayedFor()).toBe(3);
      vi.advanceTimersByTime(5_000);
      expect(live.delayedFor()).toBe(8);
      dispose();
    });
  });

  it("returns to live by itself with the first update after a silence", () => {
    createRoot((dispose) => {
      const live = createLiveMarket(new MarketStore(), 100, { expectedIntervalMs: 1000 });
      live.request();
      vi.advanceTimersByTime(10_000);
      expect(live.delayedFor()).toBe(10);
      live.request();
      expect(live.delayedFor()).toBeUndefined();
      dispose();
    });
  });
});
