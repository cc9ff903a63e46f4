import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../test/nats-server.ts";
import { startHost, type Host } from "../../actors/host.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "bin", "tickflow.mjs");
const SECRET = "s3cr3t-pa55-word";

async function cli(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout + x.stderr };
  }
}

// The three CLI processes only read, so they run side by side (~1 s of tsx start-up CPU
// each; sequential they were most of the file's 11 s on the loaded machine).
describe.concurrent("NATS authentication end to end", () => {
  let ns: NatsServerHandle;
  let host: Host;
  beforeAll(async () => {
    ns = await startNatsServer({ config: `authorization { user: tickflow, password: "${SECRET}" }` });
    host = await startHost({ env: { NATS_URL: ns.url, NATS_USER: "tickflow", NATS_PASS: SECRET, HOST_ID: "secure-1", ACTORS: "stream-stats" }, onGiveUp: () => {} });
  });
  afterAll(async () => {
    await host?.stop();
    await ns?.cleanup();
  });

  it("a host and the ops CLI connect with user and password, and the secret is never shown", async ({ expect }) => {
    const ok = await cli(["status", "--json"], { NATS_URL: ns.url, NATS_USER: "tickflow", NATS_PASS: SECRET });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("secure-1");
    expect(ok.out).not.toContain(SECRET);
    expect(JSON.stringify(host.status())).not.toContain(SECRET);
  });

  it("the CLI without credentials is refused by the server", async ({ expect }) => {
    const denied = await cli(["status"], { NATS_URL: ns.url, NATS_USER: "", NATS_PASS: "" });
    expect(denied.code).not.toBe(0);
    expect(denied.out).toMatch(/cannot connect to NATS.*authoriz/i);
  });

  it("a bad credential setting is reported without echoing the secret", async ({ expect }) => {
    const bad = await cli(["status"], { NATS_URL: ns.url, NATS_USER: "tickflow", NATS_TOKEN: SECRET });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/exclusive/);
    expect(bad.out).not.toContain(SECRET);
  });
});
