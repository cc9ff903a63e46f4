/**
 * A lake written the real way, for replay tests: tick batches published to the MD
 * stream of a real nats-server, archived by the real archiver process (run.ts) into a
 * local lake, and the published ticks returned so tests can compute what a replay must
 * show without reading the lake themselves.
 */
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Tick } from "../lib/contracts/messages.ts";
import type { TickerData } from "../lib/contracts/protocol.ts";
import { ensureStreams } from "../lib/platform/streams.ts";
import { publishTicks, spawnArchiver, waitForDrained } from "../actors/archiver/testing.ts";

export interface ArchivedLake {
  lake: string;
  ticks: Tick[];
}

/** Publish `o` (see publishTicks), archive it into `<dir>/lake` and stop the archiver. */
export async function archiveTicks(
  nc: NatsConnection,
  natsUrl: string,
  dir: string,
  o: { symbols: string[]; messages: number; perMessage: number; start: number; spanMs: number; venue?: string },
): Promise<ArchivedLake> {
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  const ticks = await publishTicks(jetstream(nc), o);
  const lake = join(dir, "lake");
  const archiver = spawnArchiver({
    NATS_URL: natsUrl,
    ARCHIVE_URL: lake,
    ARCHIVE_STAGING_DIR: join(dir, "staging"),
    ARCHIVE_CACHE_DIR: join(dir, "cache"),
    ARCHIVE_DURABLE: "replay-fixture",
    ARCHIVE_DATASETS: "ticks",
    ARCHIVE_FLUSH_INTERVAL: "300ms",
    ARCHIVE_DUCKDB_THREADS: "1",
    ARCHIVE_DECODE_WORKERS: "0",
  });
  try {
    await archiver.waitFor("READY", 60_000);
    await waitForDrained(jsm, ["replay-fixture-ticks"], 60_000);
  } finally {
    await archiver.stop();
  }
  return { lake, ticks };
}

/**
 * What a replay of `ticks` must show, computed from the published ticks alone: per
 * window of `windowMs` from `from`, the last tick of each symbol (by exchange time),
 * sorted by symbol, as `[windowEnd, symbol, price, exchTs][]`.
 */
export function expectedWindows(ticks: Tick[], from: number, to: number, windowMs: number, symbols?: string[]): Array<[number, Array<[string, number, number]>]> {
  const byWindow = new Map<number, Map<string, Tick>>();
  for (const t of [...ticks].sort((a, b) => a.exchTs - b.exchTs)) {
    if (t.exchTs < from || t.exchTs >= to || (symbols && !symbols.includes(t.symbol))) continue;
    const w = Math.floor((t.exchTs - from) / windowMs);
    let m = byWindow.get(w);
    if (!m) byWindow.set(w, (m = new Map()));
    m.set(t.symbol, t);
  }
  return [...byWindow].sort((a, b) => a[0] - b[0]).map(([w, m]) => [
    from + (w + 1) * windowMs,
    [...m.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1)).map((t) => [t.symbol, t.price, t.exchTs]),
  ]);
}

/** The same shape from replayed `ticker.all` payloads. */
export function windowsOf(frames: Array<{ end: number; tickers: TickerData[] }>): Array<[number, Array<[string, number, number]>]> {
  return frames.map((f) => [f.end, f.tickers.map((t) => [t.symbol, t.price, t.exchTs])]);
}
