/**
 * The fake edge's synthetic market (market-sim.ts), published onto a real NATS for a
 * real edge to serve: `ticker.<SYM>` and `ticker.all` at `hz` (as the coalescer does),
 * movers / topcoins / markets / pulse / alerts on the fake edge's timers, the current
 * candle of `candleSymbols` every second, and `cmd.candles.history` answered with each
 * symbol's backfilled candles (as the ranker answers it). Room messages are
 * encodeRoomUpdate's bytes with the room seq header, published with core NATS (the
 * ROOMS and ROOMLOG streams capture them, as they do the producers').
 */
import { headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { encodeRoomUpdate, ROOM_SEQ_HEADER } from "../../lib/contracts/rooms.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import type { CandleData } from "../../lib/contracts/protocol.ts";
import { MarketSim } from "./market-sim.ts";

export interface NatsMarketOptions {
  symbols?: number;
  hz?: number;
  seed?: number;
  /** Symbols whose forming candle is published every second (the coin views a run opens). */
  candleSymbols?: string[];
}

export class NatsMarket {
  readonly sim: MarketSim;
  /** Room messages published. */
  published = 0;
  private readonly seqs = new Map<string, number>();
  private readonly history = new Map<string, CandleData[]>();
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private sub: Subscription | undefined;
  private pulseStart = Date.now();

  constructor(private readonly nc: NatsConnection, private readonly opts: NatsMarketOptions = {}) {
    this.sim = new MarketSim(opts.symbols ?? 500, opts.seed ?? 42);
    this.sim.backfill((c) => {
      let list = this.history.get(c.symbol);
      if (!list) this.history.set(c.symbol, (list = []));
      list.push(c);
    });
  }

  private publish(room: string, data: unknown, ts = Date.now()): void {
    const seq = (this.seqs.get(room) ?? 0) + 1;
    this.seqs.set(room, seq);
    const h = headers();
    h.set(ROOM_SEQ_HEADER, String(seq));
    this.nc.publish(subjects.room(room), encodeRoomUpdate(room, seq, ts, data), { headers: h });
    this.published++;
  }

  private tick(): void {
    const now = Date.now();
    const { tickers, closed } = this.sim.step(now);
    for (const t of tickers) this.publish(rooms.ticker(t.symbol), t, now);
    this.publish(rooms.tickerAll, { tickers }, now);
    for (const c of closed) {
      this.history.get(c.symbol)?.push(c);
      if (this.opts.candleSymbols?.includes(c.symbol)) this.publish(rooms.candles(c.symbol), c, now);
    }
  }

  start(): void {
    const now = Date.now();
    this.tick();
    this.publish(rooms.movers, this.sim.movers(now));
    this.publish(rooms.topcoins, this.sim.topcoins(now));
    this.publish(rooms.markets, this.sim.markets(now));
    this.publish(rooms.pulse, this.sim.pulse(this.pulseStart - 5000, this.pulseStart));
    for (let i = 0; i < 5; i++) this.publish(rooms.alerts, this.sim.alert(now - (5 - i) * 1000));
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms));
    every(1000 / (this.opts.hz ?? 10), () => this.tick());
    every(1000, () => this.publish(rooms.movers, this.sim.movers(Date.now())));
    every(2000, () => this.publish(rooms.topcoins, this.sim.topcoins(Date.now())));
    every(60_000, () => this.publish(rooms.markets, this.sim.markets(Date.now())));
    every(5000, () => {
      const t = Date.now();
      this.publish(rooms.pulse, this.sim.pulse(this.pulseStart, t));
      this.pulseStart = t;
    });
    every(2000, () => this.publish(rooms.alerts, this.sim.alert(Date.now())));
    every(1000, () => {
      for (const s of this.opts.candleSymbols ?? []) {
        const c = this.sim.current(s);
        if (c && !c.empty) this.publish(rooms.candles(s), { ...c });
      }
    });
    // The ranker's history answer: `{"candles":[…]}`, oldest first, before `before`, at most `limit`.
    this.sub = this.nc.subscribe(subjects.candleHistory, {
      callback: (_e, m) => {
        const q = JSON.parse(new TextDecoder().decode(m.data)) as { symbol: string; tf: string; limit?: number; before?: number };
        const all = q.tf === "1m" ? (this.history.get(q.symbol) ?? []) : [];
        const older = q.before === undefined ? all : all.filter((c) => c.start < q.before!);
        m.respond(new TextEncoder().encode(JSON.stringify({ candles: older.slice(-(q.limit ?? 1440)) })));
      },
    });
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sub?.unsubscribe();
  }
}
