/**
 * Personal price alerts, kept in the browser (localStorage): "above X", "below X", or
 * "moves ±P % within N minutes", for any symbol. A rule fires once when its condition
 * becomes true and re-arms only after the condition has been false again, so a price
 * hovering at the line does not fire every tick. Prices are fed in with their exchange
 * time; a "% move" compares with the oldest price of the last N minutes.
 */
import type { StorageLike } from "./portfolio.ts";

export type AlertKind = "above" | "below" | "move";

export interface PriceRule {
  id: string;
  symbol: string;
  kind: AlertKind;
  /** Price for above/below; percent (> 0) for move. */
  value: number;
  /** Window in minutes for move. */
  minutes?: number;
}

export interface Fired {
  ruleId: string;
  symbol: string;
  message: string;
  price: number;
  at: number;
}

export const RULES_KEY = "tickflow.price-alerts.v1";

export class PriceAlerts {
  rules: PriceRule[] = [];
  readonly #armed = new Map<string, boolean>();
  readonly #history = new Map<string, { t: number; p: number }[]>();

  constructor(private readonly storage?: StorageLike) {
    try {
      const v = JSON.parse(storage?.getItem(RULES_KEY) ?? "[]") as unknown;
      if (Array.isArray(v)) this.rules = v.filter(isRule);
    } catch { /* a corrupt value is ignored */ }
  }

  add(r: Omit<PriceRule, "id">): PriceRule {
    const rule = { ...r, id: `${r.symbol}:${r.kind}:${r.value}:${Date.now().toString(36)}` };
    if (!isRule(rule)) throw new RangeError("a rule needs a symbol, a kind and a positive value (and minutes for a move)");
    this.rules = [...this.rules, rule];
    this.#save();
    return rule;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
    this.#armed.delete(id);
    this.#save();
  }

  symbols(): Set<string> {
    return new Set(this.rules.map((r) => r.symbol));
  }

  /** Feed a price; returns the rules that fired now. */
  offer(symbol: string, price: number, at: number): Fired[] {
    const mine = this.rules.filter((r) => r.symbol === symbol);
    if (!mine.length) return [];
    const h = this.#history.get(symbol) ?? [];
    h.push({ t: at, p: price });
    const maxWin = Math.max(0, ...mine.map((r) => (r.minutes ?? 0) * 60_000));
    while (h.length > 1 && h[0]!.t < at - maxWin) h.shift();
    this.#history.set(symbol, h);
    const out: Fired[] = [];
    for (const r of mine) {
      const cond = this.#holds(r, price, at, h);
      const armed = this.#armed.get(r.id) ?? true;
      if (cond && armed) {
        this.#armed.set(r.id, false);
        out.push({ ruleId: r.id, symbol, price, at, message: describeFired(r, price, cond) });
      } else if (!cond) this.#armed.set(r.id, true);
    }
    return out;
  }

  #holds(r: PriceRule, price: number, at: number, h: { t: number; p: number }[]): number | false {
    if (r.kind === "above") return price > r.value ? price : false;
    if (r.kind === "below") return price < r.value ? price : false;
    const from = at - (r.minutes ?? 0) * 60_000;
    const base = h.find((x) => x.t >= from);
    if (!base || base.t === at) return false;
    const pct = ((price - base.p) / base.p) * 100;
    return Math.abs(pct) >= r.value ? pct : false;
  }

  #save(): void {
    try { this.storage?.setItem(RULES_KEY, JSON.stringify(this.rules)); } catch { /* storage full or disabled */ }
  }
}

function isRule(v: unknown): v is PriceRule {
  const r = v as PriceRule;
  return typeof r === "object" && r !== null && typeof r.id === "string" && typeof r.symbol === "string" && r.symbol.length > 0 &&
    (r.kind === "above" || r.kind === "below" || r.kind === "move") && Number.isFinite(r.value) && r.value > 0 &&
    (r.kind !== "move" || (Number.isFinite(r.minutes) && (r.minutes ?? 0) >= 1));
}

export function describeRule(r: PriceRule): string {
  return r.kind === "move" ? `${r.symbol} moves ±${r.value}% within ${r.minutes} min` : `${r.symbol} ${r.kind} ${r.value}`;
}

function describeFired(r: PriceRule, price: number, v: number): string {
  if (r.kind === "move") return `${r.symbol} moved ${v > 0 ? "+" : ""}${v.toFixed(2)}% within ${r.minutes} min (now ${price})`;
  return `${r.symbol} is ${r.kind} ${r.value}: ${price}`;
}
