/**
 * Listings and delistings without a restart: every `intervalMs` the venues' product
 * lists are read again (products.ts `resolveProducts`) and handed to the shard, which
 * subscribes what was listed and unsubscribes what was delisted (its reconcile).
 *
 * Every shard reads the same upstream lists, so all of them converge on the same key
 * set within one interval; until then a new product may be unowned for a while, never
 * owned twice (ownership is rendezvous hashing over each shard's own key list). A list
 * that fails to load, or comes back empty for a venue that had products, is ignored
 * (logged): a venue's hiccup must not unsubscribe everything.
 */
import { getLogger } from "@logtape/logtape";
import type { Clock, TimerHandle } from "../runtime/mod.ts";
import { type ProductLists, symbolsOf } from "./products.ts";
import type { VenueName } from "./venues.ts";

export interface ProductRefreshOptions {
  intervalMs: number;
  clock: Clock;
  list: () => Promise<ProductLists>;
  current: () => ProductLists;
  apply: (lists: ProductLists, symbols: Partial<Record<VenueName, ReadonlyMap<string, string>>>) => void;
  name: string;
}

export class ProductRefresher {
  private readonly log = getLogger(["tickflow", "ingest", "products"]);
  private timer: TimerHandle | undefined;
  private stopped = false;
  refreshes = 0;

  constructor(private readonly o: ProductRefreshOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Read the lists once now and apply what changed; resolves when done (never rejects). */
  async refresh(): Promise<void> {
    let lists: ProductLists;
    try {
      lists = await this.o.list();
    } catch (e) {
      this.log.warn("{name}: product lists could not be read ({err}); keeping the current ones", { name: this.o.name, err: String(e) });
      return;
    }
    if (this.stopped) return;
    const now = this.o.current();
    const keep: ProductLists = {};
    for (const [venue, ps] of Object.entries(lists) as Array<[VenueName, string[] | undefined]>) {
      const before = now[venue] ?? [];
      if (!ps || (ps.length === 0 && before.length > 0)) {
        this.log.warn("{name}: {venue} listed no products (had {n}); keeping the current list", { name: this.o.name, venue, n: before.length });
        continue;
      }
      const had = new Set(before);
      const has = new Set(ps);
      const listed = ps.filter((p) => !had.has(p));
      const delisted = before.filter((p) => !has.has(p));
      if (listed.length === 0 && delisted.length === 0) continue;
      this.log.info("{name}: {venue} +{listed} listed, -{delisted} delisted (e.g. {examples})", {
        name: this.o.name, venue, listed: listed.length, delisted: delisted.length, examples: [...listed.slice(0, 3), ...delisted.slice(0, 3).map((p) => `-${p}`)].join(" "),
      });
      keep[venue] = ps;
    }
    this.refreshes++;
    if (Object.keys(keep).length > 0) this.o.apply(keep, symbolsOf(lists));
  }

  private schedule(): void {
    if (this.stopped || this.o.intervalMs <= 0) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refresh().finally(() => this.schedule());
    }, this.o.intervalMs);
  }
}
