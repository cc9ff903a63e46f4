import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopTiers, Supervised } from "./procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), "tf-procs-"));
const started: Supervised[] = [];
/** Names whose current process has printed "ready" (its SIGTERM handler is installed). */
const ready = new Map<string, number>();
const waitReady = async (...names: string[]) => {
  for (let i = 0; i < 400 && !names.every((n) => (ready.get(n) ?? 0) > 0); i++) await sleep(25);
  for (const n of names) ready.set(n, 0);
};

/** A node child running `code`; its SIGTERM handler appends "<name> <epoch ms>" to the file `stops`. */
function child(name: string, code: string, extra: Record<string, string> = {}): Supervised {
  const stops = join(dir, "stops");
  const script = `
    const fs = require("node:fs");
    process.on("SIGTERM", () => { setTimeout(() => { fs.appendFileSync(${JSON.stringify(stops)}, "${name} " + Date.now() + "\\n"); process.exit(0); }, Number(process.env.STOP_MS ?? 0)); });
    ${code}
    console.log("ready");
    setInterval(() => {}, 1000);`;
  const s = new Supervised(
    { name, cmd: process.execPath, args: ["-e", script], env: extra, opts: { quiet: true, onLine: (l) => l === "ready" && ready.set(name, (ready.get(name) ?? 0) + 1) } },
    { backoff: { baseMs: 50, maxMs: 200, jitter: 0 } },
  );
  started.push(s);
  return s;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  await stopTiers([started.splice(0)], 3000);
});

describe("supervised children of the local stack", () => {
  it("a child that is killed with SIGKILL is started again, and counted", async () => {
    const s = child("victim", "");
    await waitReady("victim");
    const first = s.proc.child.pid!;
    process.kill(first, "SIGKILL");
    for (let i = 0; i < 200 && s.restarts === 0; i++) await sleep(50);
    expect(s.restarts).toBe(1);
    expect(s.proc.child.pid).not.toBe(first);
    expect(s.running).toBe(true);
  });

  it("stops tier after tier, each waited for, and never restarts what it stopped", async () => {
    const edge = child("edge", "", { STOP_MS: "300" });
    const host = child("host", "");
    const nats = child("nats", "");
    await waitReady("edge", "host", "nats");
    await stopTiers([[edge], [host], [nats]], 5000);
    const lines = readFileSync(join(dir, "stops"), "utf8").trim().split("\n").map((l) => l.split(" "));
    expect(lines.map(([n]) => n)).toEqual(["edge", "host", "nats"]);
    expect(Number(lines[1]![1])).toBeGreaterThanOrEqual(Number(lines[0]![1]));
    await sleep(300);
    expect([edge, host, nats].map((s) => s.running)).toEqual([false, false, false]);
    expect([edge, host, nats].map((s) => s.restarts)).toEqual([0, 0, 0]);
  });

  it("runs each child in its own process group, so a stop reaches its grandchildren too", async () => {
    const pidFile = join(dir, "grandchild");
    const s = child(
      "parent",
      `const g = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
       fs.writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));`,
    );
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(50);
    await waitReady("parent");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    // Its own group: the child's pgid is its pid, not ours.
    expect(s.proc.child.pid).toBeGreaterThan(0);
    expect(alive(-s.proc.child.pid!)).toBe(true);
    expect(alive(grandchild)).toBe(true);
    // The grandchild has no SIGTERM handler: only a signal to the whole group ends it.
    await stopTiers([[s]], 3000);
    for (let i = 0; i < 40 && alive(grandchild); i++) await sleep(50);
    expect(alive(grandchild)).toBe(false);
  });

  it("kills a child that does not stop by the deadline", async () => {
    const s = child("stuck", "", { STOP_MS: "60000" });
    await waitReady("stuck");
    const t0 = Date.now();
    expect(await stopTiers([[s]], 500)).toEqual(["stuck"]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(s.running).toBe(false);
  });
});
