/**
 * `tickflow replay`: argument parsing, the NATS connection and the printed report
 * around ops/lake/replay.ts. Returns the exit code: 0 done, 1 failed, 2 bad usage.
 */
import { REPLAY_HELP } from "./help.ts";
import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import { isConfigError, readEnv } from "../../lib/platform/config.ts";
import { REPLAY_ID } from "../../lib/lake/replay.ts";
import { openLake } from "./lake.ts";
import { newReplayId, runReplay } from "./replay.ts";


class UsageError extends Error {
  override name = "UsageError";
}

function time(flag: string, v: string | undefined): Date {
  if (v === undefined) throw new UsageError(`${flag} is required`);
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag} must be an ISO time like 2025-11-22T06:00Z, got ${JSON.stringify(v)}`);
  return d;
}

function ms(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new UsageError(`${flag} must be a duration like 100ms or 2s, got ${JSON.stringify(v)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? "ms") as "ms"];
}

export interface ReplayIo {
  out(text: string): void;
  err(text: string): void;
  env?: Record<string, string | undefined>;
  /** Runs `fn` with a NATS connection (the CLI's withNats). */
  withNats<T>(fn: (nc: NatsConnection) => Promise<T>): Promise<T>;
}

export async function replayCommand(argv: string[], io: ReplayIo): Promise<number> {
  let parsed;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        from: { type: "string" }, to: { type: "string" }, symbols: { type: "string" }, speed: { type: "string" },
        id: { type: "string" }, interval: { type: "string" }, delay: { type: "string" }, lake: { type: "string" },
      },
    });
    const speed = values.speed === undefined ? 1 : Number(values.speed);
    if (!(speed > 0 && speed <= 10_000)) throw new UsageError(`--speed must be a number in (0, 10000], got ${JSON.stringify(values.speed)}`);
    const id = values.id ?? newReplayId();
    if (!REPLAY_ID.test(id)) throw new UsageError(`--id must match ${REPLAY_ID}, got ${JSON.stringify(id)}`);
    const intervalMs = ms("--interval", values.interval, 100);
    if (intervalMs < 10) throw new UsageError("--interval must be at least 10ms");
    const symbols = values.symbols?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
    parsed = {
      q: { from: time("--from", values.from), to: time("--to", values.to), symbols },
      o: { id, speed, intervalMs, delayMs: ms("--delay", values.delay, 0) },
      lake: values.lake,
    };
  } catch (e) {
    if (!(e instanceof UsageError) && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw e;
    io.err(`tickflow replay: ${(e as Error).message}\n\n${REPLAY_HELP}`);
    return 2;
  }
  try {
    const lake = openLake(io.env ?? readEnv(), parsed.lake);
    const { q, o } = parsed;
    io.out(`replay ${o.id}: ${q.from.toISOString()} → ${q.to.toISOString()} at ×${o.speed}` +
      `${q.symbols.length ? ` (${q.symbols.join(", ")})` : ""}; rooms replay.${o.id}.ticker.*; open the dashboard with ?replay=${o.id}`);
    const r = await io.withNats((nc) => runReplay(lake, nc, q, o));
    io.out(`replay ${r.id} done: ${r.windows} intervals, ${r.tickers} ticker updates, ${r.symbols} symbols in ${(r.wallMs / 1000).toFixed(1)} s` +
      (r.lastEnd === undefined ? " (no ticks in the lake for that range)" : ""));
    return 0;
  } catch (e) {
    if (isConfigError(e) || e instanceof RangeError || (e as Error).name === "LakeUrlError") {
      io.err(`tickflow replay: ${(e as Error).message}`);
      return 2;
    }
    io.err(`tickflow replay failed: ${(e as Error).message}`);
    return 1;
  }
}
