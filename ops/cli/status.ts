/**
 * `ops status`: discovers every actor host through its NATS service ($SRV.INFO of the
 * tickflow-host service), asks each for its status, and prints one table of all
 * actors on all hosts (`--json` for scripts).
 */
import type { NatsConnection, RequestManyOptions } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { HOST_SERVICE, HostStatus, hostSubjects } from "../../actors/host-protocol.ts";
import { decode } from "../../actors/bus/codec.ts";
import { duration, renderTable } from "./table.ts";

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
    .filter(([k]) => !["strategy", "restarts", "escalations", "stops"].includes(k))
    .map(([k, val]) => `${k}=${typeof val === "object" ? JSON.stringify(val) : String(val)}`)
    .join(" ")
    .slice(0, 80);
}

export function formatStatus(statuses: Awaited<ReturnType<typeof collectStatus>>): string {
  if (statuses.length === 0) return "no actor hosts answered (is anything running against this NATS_URL?)";
  const rows: Array<Array<string | number>> = [];
  for (const s of statuses) {
    if ("error" in s) {
      rows.push([s.host, "-", "unreachable", 0, 0, "-", s.error]);
      continue;
    }
    for (const a of s.actors) {
      if (a.kind === "supervisor" && a.path === "root") continue;
      const up = a.startedAt ? duration(Date.now() - a.startedAt) : "-";
      rows.push([s.host, a.path.replace(/^root\//, ""), a.state, a.restarts, a.mailboxDepth, up, a.lastError ? `error: ${a.lastError}`.slice(0, 80) : summarise(a.extra)]);
    }
  }
  const hosts = statuses.map((s) => ("error" in s ? `${s.host} (unreachable)` : `${s.host} (${s.runtime}, up ${duration(s.uptimeMs)})`));
  return `${renderTable(["HOST", "ACTOR", "STATE", "RESTARTS", "MAILBOX", "UPTIME", "DETAIL"], rows)}\n\n${statuses.length} host(s): ${hosts.join(", ")}`;
}
