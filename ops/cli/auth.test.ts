/**
 * NATS authentication and TLS for real: for each mode a nats-server configured for it
 * (token, user/password, nkey, creds in operator mode with JWTs made here, TLS with
 * certificates made here by openssl, mutual TLS),
 * an actor host and an edge started through their own start-up code with the NATS_*
 * settings, and the ops CLI as a separate process. Each must connect with the right
 * credentials (the CLI sees the host; room data flows to the edge) and be refused
 * without them, and no secret may appear in output or status.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nkeys } from "@nats-io/nats-core";
import { type Host, startHost } from "../../actors/host.ts";
import { encodeRoomUpdate } from "../../lib/contracts/rooms.ts";
import { rooms, subjects } from "../../lib/contracts/subjects.ts";
import { type EdgeHandle, startEdge } from "../../edge/server.ts";
import { type NatsServerHandle, type NatsServerOptions, startNatsServer } from "../../test/nats-server.ts";
import { makeCertificates } from "../../test/tls.ts";
import { makeOperatorSetup } from "../../test/nats-jwt.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "bin", "tickflow.mjs");
const dir = mkdtempSync(join(tmpdir(), "tf-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "t0ken-for-the-test-9f1c";
const PASS = "pa55-for-the-test-77ab";
const user = nkeys.createUser();
const stranger = nkeys.createUser();
const seedFile = (name: string, kp: ReturnType<typeof nkeys.createUser>) => {
  const p = join(dir, name);
  writeFileSync(p, new TextDecoder().decode(kp.getSeed()), { mode: 0o600 });
  return p;
};
const certs = makeCertificates(dir);
const operator = makeOperatorSetup(dir);
/** Every NATS_* the CLI might inherit from the test's own environment is cleared first. */
const CLEAR = { NATS_USER: "", NATS_PASS: "", NATS_TOKEN: "", NATS_CREDS: "", NATS_NKEY: "", NATS_TLS: "", NATS_TLS_CA: "", NATS_TLS_CERT: "", NATS_TLS_KEY: "" };

interface Mode {
  name: string;
  server: NatsServerOptions;
  /** Settings that connect. */
  good: Record<string, string>;
  /** Settings the server must refuse, and what the refusal says. */
  bad: Record<string, string>;
  refused: RegExp;
  secret?: string;
}

const modes: Mode[] = [
  {
    name: "token",
    server: { config: `authorization { token: "${TOKEN}" }` },
    good: { NATS_TOKEN: TOKEN },
    bad: { NATS_TOKEN: "not-the-token" },
    refused: /authoriz/i,
    secret: TOKEN,
  },
  {
    name: "user and password",
    server: { config: `authorization { user: tickflow, password: "${PASS}" }` },
    good: { NATS_USER: "tickflow", NATS_PASS: PASS },
    bad: { NATS_USER: "tickflow", NATS_PASS: "wrong" },
    refused: /authoriz/i,
    secret: PASS,
  },
  {
    name: "nkey",
    server: { config: `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }` },
    good: { NATS_NKEY: seedFile("user.nk", user) },
    bad: { NATS_NKEY: seedFile("stranger.nk", stranger) },
    refused: /authoriz/i,
    secret: new TextDecoder().decode(user.getSeed()),
  },
  {
    name: "creds (operator mode: JWTs signed with nkeys, memory resolver)",
    server: { config: operator.serverConfig },
    good: { NATS_CREDS: operator.credsFile },
    bad: { NATS_CREDS: operator.strangerCredsFile }, // its account is not known to the operator
    refused: /authoriz/i,
    secret: operator.seed,
  },
  {
    name: "TLS (server certificate from a test CA)",
    server: { tls: { certFile: certs.serverCert, keyFile: certs.serverKey } },
    good: { NATS_TLS: "true", NATS_TLS_CA: certs.ca },
    bad: { NATS_TLS: "true" }, // the system trust store does not know the test CA
    refused: /certificate|self.signed|unable to verify/i,
  },
  {
    name: "mutual TLS (client certificate required)",
    server: { tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verify: true } },
    good: { NATS_TLS: "true", NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey },
    bad: { NATS_TLS: "true", NATS_TLS_CA: certs.ca },
    refused: /certificate|handshake|closed|tls|disconnect|timeout/i,
  },
];

async function cli(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...CLEAR, ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: `${x.stdout}${x.stderr}` };
  }
}

// The six modes are independent (each its own nats-server, host, edge and CLI processes, and
// its own host id), so they run side by side, as do the two cases of one mode: 90 s -> ~35 s
// on the loaded machine, with the same processes and checks.
describe.concurrent.each(modes)("NATS with $name", (mode) => {
  let ns: NatsServerHandle;
  let host: Host;
  let edge: EdgeHandle;
  const hostId = `auth-${mode.name.replace(/[^a-z]+/gi, "-").replace(/-+$/, "")}`.slice(0, 40);

  beforeAll(async () => {
    ns = await startNatsServer(mode.server);
    const env = { ...CLEAR, NATS_URL: ns.url, ...mode.good };
    host = await startHost({ env: { ...env, HOST_ID: hostId, ACTORS: "stream-stats" }, onGiveUp: () => {} });
    edge = await startEdge({ env: { ...env, EDGE_PORT: "0", EDGE_HOST: "127.0.0.1", EDGE_TRANSPORT: "ws", UI_DIST: "/nonexistent", EDGE_STALE_AFTER: "30s" } });
  }, 60_000);

  afterAll(async () => {
    await edge?.stop(0);
    await host?.stop();
    await ns?.cleanup();
  });

  it("connects a host, an edge and the ops CLI, and room data reaches the edge", async ({ expect }) => {
    // The CLI process starts while the edge is checked (both only read).
    const cliDone = cli(["status", "--json"], { NATS_URL: ns.url, ...mode.good });
    const health = await (await fetch(`http://127.0.0.1:${edge.port}/healthz`)).json() as { nats: string };
    expect(health.nats).toBe("connected");
    // A ticker.all message published by the host's connection makes the edge ready.
    host.nc.publish(subjects.room(rooms.tickerAll), encodeRoomUpdate(rooms.tickerAll, 1, Date.now(), { tickers: [] }));
    await host.nc.flush();
    const deadline = Date.now() + 5000;
    let ready = 0;
    while ((ready = (await fetch(`http://127.0.0.1:${edge.port}/readyz`)).status) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ready).toBe(200);
    const ok = await cliDone;
    expect(ok.out).toContain(hostId);
    expect(ok.code).toBe(0);
    if (mode.secret) {
      expect(ok.out).not.toContain(mode.secret);
      expect(JSON.stringify(host.status())).not.toContain(mode.secret);
    }
  }, 90_000);

  it("refuses the ops CLI with the wrong credentials, with a clear error", async ({ expect }) => {
    const denied = await cli(["status"], { NATS_URL: ns.url, ...mode.bad });
    expect(denied.code).not.toBe(0);
    expect(denied.out).toMatch(/cannot connect to NATS/);
    expect(denied.out).toMatch(mode.refused);
    if (mode.secret) expect(denied.out).not.toContain(mode.secret);
  }, 90_000);
});
