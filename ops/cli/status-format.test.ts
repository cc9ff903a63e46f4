import { describe, expect, it } from "vitest";
import { formatStatus } from "./status.ts";
import type { HostStatus } from "../../lib/contracts/host-protocol.ts";

const host = (freshness: Record<string, unknown>): HostStatus => ({
  v: 1,
  host: "h1",
  runtime: "node",
  version: "0",
  startedAt: 0,
  uptimeMs: 1000,
  actors: [
    { path: "root", id: "root", kind: "supervisor", state: "running", restarts: 0, mailboxDepth: 0 },
    { path: "root/placed/shard-0", id: "shard-0", kind: "actor", state: "running", restarts: 0, mailboxDepth: 0, startedAt: Date.now(), extra: { owned: 3, freshness } },
  ],
});

describe("formatStatus()", () => {
  it("shows a running actor with fresh data as running, with the ages of its inputs and outputs", () => {
    const out = formatStatus([host({ stage: "shard", staleAfterMs: 10_000, stale: false, ages: { "in:coinbase": 120, out: 300 } })]);
    expect(out).toMatch(/shard-0\s+running\s.*age in:coinbase=0\.1s out=0\.3s \| owned=3/);
  });

  it("shows a running actor whose data is too old as stale, with the reason", () => {
    const out = formatStatus([host({ stage: "shard", staleAfterMs: 10_000, stale: true, reasons: ["in:coinbase no data for 25 s (limit 10 s)"], ages: { "in:coinbase": 25_000 } })]);
    expect(out).toMatch(/shard-0\s+stale\s.*stale: in:coinbase no data for 25 s/);
    expect(out).not.toContain("\x1b[");
  });

  it("colours the stale state yellow when asked, keeping the columns aligned", () => {
    const out = formatStatus([host({ stage: "shard", staleAfterMs: 10_000, stale: true, reasons: ["x"], ages: {} })], { color: true });
    expect(out).toContain("\x1b[33mstale\x1b[0m");
    const [header, , row] = out.split("\n");
    const visible = row!.replace(/\x1b\[[0-9;]*m/g, "");
    expect(visible.indexOf("stale")).toBe(header!.indexOf("STATE"));
  });
});
