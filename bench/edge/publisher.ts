/**
 * The benchmark's producer: room messages at a realistic rate, in the exact wire
 * format (encodeRoomUpdate), published with core NATS like the coalescer and ranker
 * (the ROOMS/ROOMLOG streams still capture them).
 *
 * Every `1000 / hz` ms, each of `rooms` ticker rooms changes with probability `active`
 * (a coalesced tick per symbol), plus a `ticker.all` with the changed tickers; movers
 * and pulse once a second, an alert every 5 s.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { rooms as R, subjects } from "../../lib/contracts/subjects.ts";

export interface PublisherOptions {
  symbols: string[];
  hz: number;
  active: number;
}

export function symbolsFor(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `S${String(i).padStart(4, "0")}-USD`);
}

export class BenchPublisher {
  published = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly seq = new Map<string, number>();
  private readonly price = new Map<string, number>();

  constructor(private readonly nc: NatsConnection, private readonly o: PublisherOptions) {}

  private pub(room: string, data: unknown): void {
    const s = (this.seq.get(room) ?? 0) + 1;
    this.seq.set(room, s);
    this.nc.publish(subjects.room(room), encodeRoomUpdate(room, s, Date.now(), data));
    this.published++;
  }

  start(): void {
    this.timers.push(setInterval(() => this.tick(), 1000 / this.o.hz));
    this.timers.push(setInterval(() => this.second(), 1000));
    this.timers.push(setInterval(() => this.pub(R.alerts, {
      id: `a${Date.now()}`,
      symbol: this.o.symbols[0],
      kind: "move",
      message: "bench alert",
      at: Date.now(),
    }), 5000));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private tick(): void {
    const changed: unknown[] = [];
    const now = Date.now();
    for (const sym of this.o.symbols) {
      if (Math.random() >= this.o.active) continue;
      const p = (this.price.get(sym) ?? 100) * (1 + (Math.random() - 0.5) / 500);
      this.price.set(sym, p);
      const t = {
        symbol: sym,
        venue: "coinbase",
        price: +p.toFixed(4),
        bid: +(p * 0.9999).toFixed(4),
        ask: +(p * 1.0001).toFixed(4),
        volume24h: 123456.78,
        change24hPct: +((p / 100 - 1) * 100).toFixed(3),
        exchTs: now,
      };
      changed.push(t);
      this.pub(R.ticker(sym), t);
    }
    if (changed.length) this.pub(R.tickerAll, { tickers: changed });
  }

  private second(): void {
    const rows = this.o.symbols.slice(0, 10).map((s) => ({ symbol: s, price: this.price.get(s) ?? 100, change24hPct: 1.5 }));
    this.pub(R.movers, { gainers: rows, losers: rows, asOf: Date.now() });
    this.pub(R.pulse, {
      windowStart: Date.now() - 30_000,
      windowEnd: Date.now(),
      coins: rows.map((r) => ({ symbol: r.symbol, avgPrice: r.price, avgChange24hPct: 1, maxVolume24h: 1, volatility: "Stable", trend: "Stable", ticks: 30 })),
    });
  }
}
