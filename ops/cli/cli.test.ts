import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { startHost, type Host } from "../../actors/host.ts";
import { commands } from "./commands.ts";
import { main } from "../main.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "bin", "tickflow.mjs");

/** The real binary (bin/tickflow.mjs through tsx) as a child process. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

/**
 * The same command through main() in this process (NATS settings from process.env, set in
 * beforeAll), its console output captured. One at a time: the console spy is global.
 */
async function inproc(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    return { code: await main(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

// The commands' logic (help, status, streams, scale, drain) runs in-process through main();
// the binary itself is spawned twice, side by side with in-process work: `status --json`
// (start-up through tsx, NATS, stdout, exit 0) and a bad setting (its config-error exit 2).
// Spawning every command through tsx (16 processes, ~1 s of CPU each) took 60-107 s on the
// loaded machine and timed out.
describe("the ops CLI against real hosts", () => {
  let ns: NatsServerHandle;
  const hosts: Host[] = [];
  let env: Record<string, string>;
  const saved = process.env.NATS_URL;
  beforeAll(async () => {
    ns = await startNatsServer();
    env = { NATS_URL: ns.url };
    process.env.NATS_URL = ns.url;
    for (const id of ["cli-a", "cli-b"]) {
      hosts.push(await startHost({ env: { NATS_URL: ns.url, HOST_ID: id, LEASE_MS: "1500", ACTORS: "stream-stats,coalescer" }, exitOnDrain: false, onGiveUp: () => {} }));
    }
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.NATS_URL;
    else process.env.NATS_URL = saved;
    for (const h of hosts) await h.stop();
    await ns?.cleanup();
  });

  it("every command answers --help", async () => {
    for (const c of commands) {
      const r = await inproc([c.name, "--help"]);
      expect(r.code, c.name).toBe(0);
      expect(r.out, c.name).toMatch(/^Usage: tickflow /);
    }
    const bad = await inproc(["warp"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "warp"/);
  });

  it("status lists every actor on every host, as a table and as JSON", async () => {
    const spawned = cli(["status", "--json"], env); // the binary, while the table is made in-process
    const table = await inproc(["status"]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/cli-a\s+stream-stats\s+running/);
    expect(table.out).toMatch(/cli-b\s+stream-stats\s+running/);
    expect(table.out).toMatch(/2 host\(s\)/);
    const j = await spawned;
    expect(j.code, j.err).toBe(0);
    const json = JSON.parse(j.out) as Array<{ host: string; actors: unknown[] }>;
    expect(json.map((h) => h.host)).toEqual(["cli-a", "cli-b"]);
  });

  it("streams reports the streams; a bad setting stops with the variable's name", async () => {
    const spawned = cli(["status"], { NATS_URL: ns.url, NATS_TLS: "maybe" });
    const s = JSON.parse((await inproc(["streams", "--json"])).out) as Array<{ stream: string }>;
    expect(s.map((x) => x.stream).sort()).toEqual(["MD", "ROOMLOG", "ROOMS"]);
    const bad = await spawned;
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/NATS_TLS="maybe"/);
  });

  it("scale coalescers 3 settles with each instance on one host, and drain hands a host's instances over", async () => {
    const r = await inproc(["scale", "coalescers", "3", "--timeout", "30"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/coalescer: 3\/3 running/);
    const d = await inproc(["drain", "cli-a", "--timeout", "30"]);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/cli-a drained and stopped/);
    const again = await inproc(["scale", "coalescers", "3", "--timeout", "30"]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/cli-b: coalescer-0, coalescer-1, coalescer-2/);
  });
});
