/**
 * Alerts for extreme moves.
 *
 * A pair's 24 h change (from open24h) entering the extreme zone, c ≥ +T ("surge")
 * or c ≤ −T ("plunge") with T = ALERT_THRESHOLD_PCT, raises one alert for its coin
 * (the base: BTC-USD on Coinbase and BTC-USDT on Binance are one coin), naming the
 * venue and pair that crossed; the coin's other pairs entering the same zone while it
 * is in it raise nothing. It is raised again only after every pair of the coin has
 * left the zone (fallen back below 0.9 × T in size: hysteresis, so a price hovering at
 * the threshold does not alert on every tick) and the cool-down (ALERT_COOLDOWN, per
 * coin and kind, on exchange time) has passed. So one move gives one alert, not ten
 * per second, nor one per venue.
 */
import type { AlertData } from "../../lib/contracts/protocol.ts";
import type { Tick } from "../../lib/contracts/messages.ts";
import { change24hPct } from "../coalescer/ticker.ts";
import { baseOf } from "./movers.ts";

export type AlertKind = "surge" | "plunge";

export interface AlertOptions {
  /** ALERT_THRESHOLD_PCT; default 10. */
  thresholdPct?: number;
  /** ALERT_COOLDOWN in ms; default 5 minutes. */
  cooldownMs?: number;
}

export const HYSTERESIS = 0.9;

export class AlertDetector {
  readonly thresholdPct: number;
  readonly cooldownMs: number;
  /** Zone per pair (symbol). */
  readonly #zone = new Map<string, AlertKind | null>();
  /** Pairs in a zone, per coin and kind (`BTC|surge` → {BTC-USD}). */
  readonly #inZone = new Map<string, Set<string>>();
  readonly #lastAt = new Map<string, number>();
  /** Ids of alerts published before a restart (a replayed tick must not raise them again). */
  readonly #restored = new Set<string>();

  /** Throws RangeError unless the threshold is > 0 and the cool-down ≥ 0. */
  constructor(o: AlertOptions = {}) {
    this.thresholdPct = o.thresholdPct ?? 10;
    this.cooldownMs = o.cooldownMs ?? 300_000;
    if (!(this.thresholdPct > 0)) throw new RangeError(`thresholdPct must be > 0, got ${this.thresholdPct}`);
    if (!(this.cooldownMs >= 0)) throw new RangeError(`cooldownMs must be >= 0, got ${this.cooldownMs}`);
  }

  /** Remember an alert published before a restart, so its cool-down still holds. */
  restore(a: Pick<AlertData, "symbol" | "kind" | "at"> & { id?: string }): void {
    if (a.id !== undefined) this.#restored.add(a.id);
    if (a.kind !== "surge" && a.kind !== "plunge") return;
    const key = `${baseOf(a.symbol)}|${a.kind}`;
    if ((this.#lastAt.get(key) ?? -Infinity) < a.at) this.#lastAt.set(key, a.at);
    this.#setZone(a.symbol, a.kind);
  }

  /** Set a pair's zone; returns how many pairs of its coin were already in the new zone. */
  #setZone(symbol: string, zone: AlertKind | null): number {
    const base = baseOf(symbol);
    const old = this.#zone.get(symbol) ?? null;
    if (old !== null) this.#inZone.get(`${base}|${old}`)?.delete(symbol);
    this.#zone.set(symbol, zone);
    if (zone === null) return 0;
    let set = this.#inZone.get(`${base}|${zone}`);
    if (!set) this.#inZone.set(`${base}|${zone}`, (set = new Set()));
    const before = set.size;
    set.add(symbol);
    return before;
  }

  /** The alert this tick raises, if any. */
  offer(t: Tick): AlertData | undefined {
    const ch = change24hPct(t.price, t.open24h);
    if (ch === undefined) return undefined;
    const T = this.thresholdPct;
    const cur = this.#zone.get(t.symbol) ?? null;
    let zone: AlertKind | null;
    if (ch >= T) zone = "surge";
    else if (ch <= -T) zone = "plunge";
    else if (cur !== null && Math.abs(ch) >= T * HYSTERESIS && (ch > 0) === (cur === "surge")) zone = cur; // still in the band
    else zone = null;
    if (zone === cur) return undefined;
    const others = this.#setZone(t.symbol, zone);
    if (zone === null || others > 0) return undefined;
    const base = baseOf(t.symbol);
    const key = `${base}|${zone}`;
    if (t.exchTs - (this.#lastAt.get(key) ?? -Infinity) < this.cooldownMs) return undefined;
    this.#lastAt.set(key, t.exchTs);
    const id = `${t.symbol}:${zone}:${t.exchTs}`;
    if (this.#restored.has(id)) return undefined;
    const pct = `${ch >= 0 ? "+" : ""}${ch.toFixed(2)}%`;
    return {
      id,
      symbol: t.symbol,
      venue: t.venue,
      kind: zone,
      message: `${base} ${zone === "surge" ? "surged" : "plunged"} ${pct} in 24 h on ${t.venue} (threshold ${T}%)`,
      change24hPct: ch,
      price: t.price,
      at: t.exchTs,
    };
  }
}
