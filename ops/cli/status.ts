/**
 * `ops status`: discovers every actor host through its NATS service ($SRV.INFO of the
 * tickflow-host service), asks each for its status, and prints one table of all
 * actors on all hosts (`--json` for scripts).
 */
import type { NatsConnection, RequestManyOptions } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { HOST_SERVICE, HostStatus, hostSubjects } from "../../lib/contracts/host-protocol.ts";
import { decode } from "../../lib/contracts/codec.ts";
import { duration, renderTable } from "./table.ts";
import { freshnessOf } from "../../actors/host-freshness.ts";
import type { FreshnessReport } from "../../lib/contracts/host-protocol.ts";

/** Every host that answers discovery within `timeoutMs`, with its status (hosts that fail the status call are reported with an error). */
export async function collectStatus(nc: NatsConnection, timeoutMs = 1500): Promise<Array<HostStatus | { host: string; error: string }>> {
  const client = new Svcm(nc).client({ strategy: "timer", maxWait: timeoutMs } as RequestManyOptions);
  const hosts: string[] = [];
  try {
    for await (const info of await client.info(HOST_SERVICE)) {
      const host = info.metadata?.host;
      if (host) hosts.push(host);
    }
  } catch (e) {
    // "no responders" simply means no host is running.
    if (!/no responders/i.test(String((e as Error)?.message ?? e))) throw e;
  }
  hosts.sort();
  return await Promise.all(
    hosts.map(async (host) => {
      try {
        const m = await nc.request(hostSubjects.status(host), "", { timeout: timeoutMs });
        const r = decode(HostStatus, m.data);
        return r.ok ? r.value : { host, error: `bad status reply: ${r.error}` };
      } catch (e) {
        return { host, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}

function summarise(extra: Record<string, unknown> | undefined): string {
  if (!extra) return "";
  return Object.entries(extra)
    .filter(([k]) => !["strategy", "restarts", "escalations", "stops", "freshness"].includes(k))
    .map(([k, val]) => `${k}=${typeof val === "object" ? JSON.stringify(val) : String(val)}`)
    .join(" ")
    .slice(0, 80);
}

const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : duration(ms));

/** "stale: <reasons>" for a stale actor, else the ages of its inputs and outputs ("age in=0.1s out=0.2s"). */
export function freshnessText(f: FreshnessReport): string {
  if (f.stale) return `stale: ${(f.reasons ?? []).join("; ")}`;
  const ages = Object.entries(f.ages).map(([k, ms]) => `${k}=${seconds(ms)}`);
  return ages.length ? `age ${ages.join(" ")}` : "";
}

export interface FormatOptions {
  /** ANSI colours (stale yellow, failed red); default off. */
  color?: boolean;
}

const paint = (on: boolean | undefined, code: number, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** The STATE cell: "stale" for a running actor whose data is too old. */
function stateCell(state: string, f: FreshnessReport | undefined, color?: boolean): string {
  if (state === "running" && f?.stale) return paint(color, 33, "stale");
  if (state === "failed" || state === "restarting") return paint(color, 31, state);
  return state;
}

export function formatStatus(statuses: Awaited<ReturnType<typeof collectStatus>>, opts: FormatOptions = {}): string {
  if (statuses.length === 0) return "no actor hosts answered (is anything running against this NATS_URL?)";
  const rows: Array<Array<string | number>> = [];
  for (const s of statuses) {
    if ("error" in s) {
      rows.push([s.host, "-", paint(opts.color, 31, "unreachable"), 0, 0, "-", s.error]);
      continue;
    }
    for (const a of s.actors) {
      if (a.kind === "supervisor" && a.path === "root") continue;
      const up = a.startedAt ? duration(Date.now() - a.startedAt) : "-";
      const f = freshnessOf(a.extra);
      const fresh = f ? freshnessText(f) : "";
      const detail = a.lastError ? `error: ${a.lastError}`.slice(0, 80) : [fresh, summarise(a.extra)].filter(Boolean).join(" | ").slice(0, 160);
      rows.push([s.host, a.path.replace(/^root\//, ""), stateCell(a.state, f, opts.color), a.restarts, a.mailboxDepth, up, detail]);
    }
  }
  const hosts = statuses.map((s) => ("error" in s ? `${s.host} (unreachable)` : `${s.host} (${s.runtime}, up ${duration(s.uptimeMs)})`));
  return `${renderTable(["HOST", "ACTOR", "STATE", "RESTARTS", "MAILBOX", "UPTIME", "DETAIL"], rows)}\n\n${statuses.length} host(s): ${hosts.join(", ")}`;
}
