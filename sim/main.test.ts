import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "./testkit.ts";
import { spawnTsx } from "../test/tsx-child.ts";

const children: ChildProcess[] = [];

/** Start main.ts as a child process; resolves with it and the KEY=value lines it printed. */
function startMain(env: Record<string, string>): Promise<{ child: ChildProcess; urls: Record<string, string>; exit: Promise<number | null>; stderr: () => string }> {
  const child = spawnTsx("sim/main.ts", { env: { SIM_PORT: "0", SIM_SYMBOLS: "30", SIM_TICK_RATE: "100", ...env } });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    const urls: Record<string, string> = {};
    child.stdout!.on("data", (d) => {
      out += d;
      for (const line of out.split("\n")) {
        const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
        if (m) urls[m[1]!] = m[2]!;
      }
      if (urls.SIM_CONTROL_URL) resolve({ child, urls, exit, stderr: () => err });
    });
    void exit.then((code) => reject(new Error(`exited with ${code} before printing URLs: ${err}`)));
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("main.ts", () => {
  it("prints the URLs, and on SIGTERM closes sockets with 1001 and exits 0", async () => {
    const { child, urls, exit } = await startMain({});
    expect(urls.COINBASE_WS_URL).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/coinbase$/);
    expect(urls.BINANCE_WS_URL).toMatch(/\/stream$/);
    expect(urls.BINANCE_REST_URL).toMatch(/^http:\/\//);
    expect(urls.COINGECKO_URL).toMatch(/\/api\/v3$/);
    const c = await Client.open(urls.COINBASE_WS_URL!);
    c.send({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["ticker"] });
    await c.waitFor((m) => m.type === "ticker");
    child.kill("SIGTERM");
    expect(await c.closed).toBe(1001);
    expect(await exit).toBe(0);
  });

  it("refuses a bad setting with a message naming the variable and exit code 2", async () => {
    const child = spawnTsx("sim/main.ts", { env: { SIM_PORT: "0", SIM_TICK_RATE: "lots" } });
    children.push(child);
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(err).toContain("SIM_TICK_RATE");
  });
});
