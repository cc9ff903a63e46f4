import { describe, expect, it } from "vitest";
import { PriceAlerts, RULES_KEY } from "./price-alerts.ts";

const mem = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
};

describe("personal price alerts", () => {
  it("fires above/below once when crossed and re-arms only after the price went back", () => {
    const a = new PriceAlerts();
    a.add({ symbol: "BTC-USD", kind: "above", value: 100 });
    expect(a.offer("BTC-USD", 99, 1)).toEqual([]);
    expect(a.offer("BTC-USD", 101, 2).map((f) => f.message)).toEqual(["BTC-USD is above 100: 101"]);
    expect(a.offer("BTC-USD", 102, 3)).toEqual([]);
    a.offer("BTC-USD", 98, 4);
    expect(a.offer("BTC-USD", 101, 5)).toHaveLength(1);
    expect(a.offer("ETH-USD", 1000, 6)).toEqual([]);
  });

  it("fires a % move within N minutes against the oldest price in the window", () => {
    const a = new PriceAlerts();
    a.add({ symbol: "SOL-USD", kind: "move", value: 5, minutes: 10 });
    a.offer("SOL-USD", 100, 0);
    expect(a.offer("SOL-USD", 104, 5 * 60_000)).toEqual([]);
    expect(a.offer("SOL-USD", 106, 9 * 60_000)[0]!.message).toMatch(/moved \+6\.00% within 10 min/);
    // 20 minutes later the window starts at 106: a fall to 101 is -4.7 %, below 5 %.
    a.offer("SOL-USD", 106, 20 * 60_000);
    expect(a.offer("SOL-USD", 101, 21 * 60_000)).toEqual([]);
  });

  it("keeps rules in storage and ignores corrupt or invalid ones", () => {
    const s = mem();
    const a = new PriceAlerts(s);
    const r = a.add({ symbol: "BTC-USD", kind: "below", value: 50 });
    expect(new PriceAlerts(s).rules).toEqual([r]);
    expect(() => a.add({ symbol: "BTC-USD", kind: "move", value: 5 })).toThrow(RangeError);
    s.m.set(RULES_KEY, "{not json");
    expect(new PriceAlerts(s).rules).toEqual([]);
    s.m.set(RULES_KEY, JSON.stringify([{ id: "x", symbol: "A", kind: "above", value: -1 }]));
    expect(new PriceAlerts(s).rules).toEqual([]);
  });
});
