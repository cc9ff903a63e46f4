/**
 * Order-book arithmetic for the ladder and the depth chart, DOM-free: levels grouped to
 * a price step chosen by the client (bids round down, asks round up, so a group never
 * crosses the spread), cumulative sizes, and the step choices for a price.
 */
export type Level = readonly [price: number, size: number];

/** Group levels to `step`: bids floor, asks ceil; best first. */
export function group(levels: readonly Level[], step: number, side: "bid" | "ask"): Level[] {
  if (!(step > 0)) return [...levels];
  const m = new Map<number, number>();
  for (const [p, q] of levels) {
    const k = side === "bid" ? Math.floor(p / step + 1e-9) * step : Math.ceil(p / step - 1e-9) * step;
    const key = Number(k.toPrecision(12));
    m.set(key, (m.get(key) ?? 0) + q);
  }
  return [...m].sort((a, b) => (side === "bid" ? b[0] - a[0] : a[0] - b[0]));
}

/** Running totals of size from the best level outwards. */
export function cumulative(levels: readonly Level[]): Level[] {
  let t = 0;
  return levels.map(([p, q]) => [p, (t += q)] as const);
}

/** Price steps worth offering for a price: the tick order of magnitude and three coarser ones. */
export function stepChoices(price: number): number[] {
  if (!(price > 0)) return [];
  const base = 10 ** (Math.floor(Math.log10(price)) - 4);
  return [base, base * 10, base * 100, base * 1000].map((x) => Number(x.toPrecision(1)));
}
