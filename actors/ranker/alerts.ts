/**
 * Alerts for extreme moves.
 *
 * A symbol's 24 h change (from open24h) entering the extreme zone, c ≥ +T ("surge")
 * or c ≤ −T ("plunge") with T = ALERT_THRESHOLD_PCT, raises one alert. It is raised
 * again only after the change has left the zone (fallen back below 0.9 × T in size:
 * hysteresis, so a price hovering at the threshold does not alert on every tick) and
 * the cool-down (ALERT_COOLDOWN, per symbol and kind, on exchange time) has passed.
 * So one move gives one alert, not ten per second.
 */
import type { AlertData } from "../../lib/contracts/protocol.ts";
import type { Tick } from "../../lib/contracts/messages.ts";
import { change24hPct } from "../coalescer/ticker.ts";

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
  readonly #zone = new Map<string, AlertKind | null>();
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
    const key = `${a.symbol}|${a.kind}`;
    if ((this.#lastAt.get(key) ?? -Infinity) < a.at) this.#lastAt.set(key, a.at);
    this.#zone.set(a.symbol, a.kind);
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
    this.#zone.set(t.symbol, zone);
    if (zone === null || zone === cur) return undefined;
    const key = `${t.symbol}|${zone}`;
    if (t.exchTs - (this.#lastAt.get(key) ?? -Infinity) < this.cooldownMs) return undefined;
    this.#lastAt.set(key, t.exchTs);
    const id = `${t.symbol}:${zone}:${t.exchTs}`;
    if (this.#restored.has(id)) return undefined;
    const pct = `${ch >= 0 ? "+" : ""}${ch.toFixed(2)}%`;
    return {
      id,
      symbol: t.symbol,
      kind: zone,
      message: `${t.symbol} ${zone === "surge" ? "surged" : "plunged"} ${pct} in 24 h (threshold ${T}%)`,
      change24hPct: ch,
      price: t.price,
      at: t.exchTs,
    };
  }
}
