/**
 * The market engine: moves prices of the products someone is subscribed to, at a
 * target total tick rate, and hands every tick to the venues.
 *
 * A timer turn every `batchMs` converts elapsed time into a tick budget and spends it
 * round-robin over the active products, so 50,000 ticks/s is a few hundred ticks per
 * turn rather than 50,000 timers. Each product's walk uses its own seeded PRNG, so its
 * n-th tick has the same price in every run with the same seed.
 */
import { fixed, fixed8 } from "./fmt.ts";
import type { Product, Universe } from "./universe.ts";

/** Something that wants every tick (a venue). */
export interface TickListener {
  onTick(p: Product, now: number): void;
}

/** Chance per tick of a jump of 2-8 %, so 24 h changes sweep across ±20 % over a run. */
const JUMP_P = 0.003;
/** Beyond this log 24 h change the walk is pulled back, keeping changes near ±20 %. */
const BAND = 0.2;

export interface MarketOptions {
  tickRate: number;
  batchMs: number;
  now?: () => number;
}

export class Market {
  readonly active: Product[] = [];
  ticks = 0;
  /** Ticks per second over the last stats interval. */
  achieved = 0;
  tickRate: number;
  private cursor = 0;
  private carry = 0;
  private last = 0;
  private lastTicks = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners: TickListener[] = [];
  private readonly now: () => number;

  constructor(
    readonly universe: Universe,
    private readonly opts: MarketOptions,
  ) {
    this.tickRate = opts.tickRate;
    this.now = opts.now ?? Date.now;
  }

  listen(l: TickListener): void {
    this.listeners.push(l);
  }

  /** One more subscription on `p`; the first one makes it tick. */
  retain(p: Product): void {
    if (p.refs++ === 0) {
      p.activeAt = this.active.length;
      this.active.push(p);
    }
  }

  /** One subscription fewer on `p`; the last one stops its ticks. */
  release(p: Product): void {
    if (p.refs <= 0) return;
    if (--p.refs === 0) {
      const last = this.active.pop()!;
      if (last !== p) {
        this.active[p.activeAt] = last;
        last.activeAt = p.activeAt;
      }
      p.activeAt = -1;
    }
  }

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.turn(), this.opts.batchMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Update the achieved rate; called once per stats interval. */
  sample(dtMs: number): void {
    this.achieved = Math.round(((this.ticks - this.lastTicks) * 1000) / Math.max(1, dtMs));
    this.lastTicks = this.ticks;
  }

  /** One timer turn: spend the tick budget accumulated since the last turn. */
  turn(): void {
    const t = performance.now();
    const dt = t - this.last;
    this.last = t;
    const n0 = this.active.length;
    if (n0 === 0) {
      this.carry = 0;
      return;
    }
    let budget = this.carry + (this.tickRate * dt) / 1000;
    // After a long pause (GC, debugger) do not try to catch up with a burst.
    const cap = Math.max(1, this.tickRate / 4);
    if (budget > cap) budget = cap;
    let n = Math.floor(budget);
    this.carry = budget - n;
    const now = this.now();
    let tries = n + this.active.length;
    while (n > 0 && tries-- > 0 && this.active.length > 0) {
      if (this.cursor >= this.active.length) this.cursor = 0;
      const p = this.active[this.cursor++]!;
      if (p.stalledUntil > now) continue;
      this.tick(p, now);
      n--;
    }
  }

  /** Move `p` one trade and tell the venues. */
  tick(p: Product, now: number): void {
    step(p, now);
    p.book.move(p.px);
    if (p.hasFutBook) p.futBook.move(p.px);
    p.cbSeq++;
    this.ticks++;
    for (const l of this.listeners) l.onTick(p, now);
  }
}

/** One step of the random walk, plus the trade's size, side and the 24 h statistics. */
export function step(p: Product, now: number): void {
  const r = p.walk;
  let ret = p.sigma * r.gauss();
  if (r.next() < JUMP_P) ret += (r.next() < 0.5 ? -1 : 1) * r.range(0.02, 0.08);
  const lc = Math.log(p.price * p.scale / p.open);
  if (lc > BAND) ret -= 0.05 * (lc - BAND) + p.sigma;
  else if (lc < -BAND) ret += 0.05 * (-BAND - lc) + p.sigma;
  p.price *= Math.exp(ret);
  const px = Math.max(1, Math.round(p.price * p.scale));
  p.side = px > p.px ? "buy" : px < p.px ? "sell" : r.next() < 0.5 ? "buy" : "sell";
  if (px !== p.px) {
    p.px = px;
    p.pxStr = fixed(px, p.dec);
    p.px8 = fixed8(px, p.dec);
    if (px > p.high) {
      p.high = px;
      p.highStr = p.pxStr;
      p.high8 = p.px8;
    } else if (px < p.low) {
      p.low = px;
      p.lowStr = p.pxStr;
      p.low8 = p.px8;
    }
  }
  const q = Math.max(1, Math.round(p.typQty * r.logRange(0.01, 2)));
  p.lastQty = q;
  p.vol24 += q;
  p.vol30d += q;
  p.quoteVol24 += (q / p.qtyScale) * p.price;
  p.tradeId++;
  p.updatedAt = now;
}
