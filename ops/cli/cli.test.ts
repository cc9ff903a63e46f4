import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { startHost, type Host } from "../../actors/host.ts";
import { commands } from "./commands.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "bin", "tickflow.mjs");

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe("the ops CLI against real hosts", () => {
  let ns: NatsServerHandle;
  const hosts: Host[] = [];
  let env: Record<string, string>;
  beforeAll(async () => {
    ns = await startNatsServer();
    env = { NATS_URL: ns.url };
    for (const id of ["cli-a", "cli-b"]) {
      hosts.push(await startHost({ env: { NATS_URL: ns.url, HOST_ID: id, LEASE_MS: "1500", ACTORS: "stream-stats,coalescer" }, exitOnDrain: false, onGiveUp: () => {} }));
    }
  });
  afterAll(async () => {
    for (const h of hosts) await h.stop();
    await ns?.cleanup();
  });

  it("every command answers --help", async () => {
    const results = await Promise.all(commands.map((c) => cli([c.name, "--help"], env)));
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.name).toBe(0);
      expect(r.out).toMatch(/^Usage: tickflow /);
    });
    const bad = await cli(["warp"], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "warp"/);
  });

  it("status lists every actor on every host, as a table and as JSON", async () => {
    const table = await cli(["status"], env);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/cli-a\s+stream-stats\s+running/);
    expect(table.out).toMatch(/cli-b\s+stream-stats\s+running/);
    expect(table.out).toMatch(/2 host\(s\)/);
    const json = JSON.parse((await cli(["status", "--json"], env)).out) as Array<{ host: string; actors: unknown[] }>;
    expect(json.map((h) => h.host)).toEqual(["cli-a", "cli-b"]);
  });

  it("scale coalescers 3 settles with each instance on one host, and drain hands a host's instances over", async () => {
    const r = await cli(["scale", "coalescers", "3", "--timeout", "30"], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/coalescer: 3\/3 running/);
    const d = await cli(["drain", "cli-a", "--timeout", "30"], env);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/cli-a drained and stopped/);
    const again = await cli(["scale", "coalescers", "3", "--timeout", "30"], env);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/cli-b: coalescer-0, coalescer-1, coalescer-2/);
  });

  it("streams reports the streams; a bad setting stops with the variable's name", async () => {
    const s = JSON.parse((await cli(["streams", "--json"], env)).out) as Array<{ stream: string }>;
    expect(s.map((x) => x.stream).sort()).toEqual(["MD", "ROOMLOG", "ROOMS"]);
    const bad = await cli(["status"], { NATS_URL: ns.url, NATS_TLS: "maybe" });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/NATS_TLS="maybe"/);
  });
});
