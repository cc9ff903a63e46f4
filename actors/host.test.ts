import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { startNatsServer, type NatsServerHandle } from "../test/nats-server.ts";
import { startHost, type Host } from "./host.ts";
import { collectStatus, formatStatus } from "../ops/cli/status.ts";
import { hostSubjects } from "../lib/contracts/host-protocol.ts";
import type { Actor } from "./runtime/mod.ts";

/** A test actor that answers requests on `echo.<id>` through NATS: proves an actor is alive end to end. */
function echoActor(nc: () => NatsConnection, id: string): Actor<never> {
  let sub: Subscription | undefined;
  let served = 0;
  return {
    start() {
      sub = nc().subscribe(`echo.${id}`, { callback: (_e, m) => { served++; m.respond(m.data); } });
    },
    stop() {
      sub?.unsubscribe();
    },
    status: () => ({ served }),
  };
}

describe("actor host on a real nats-server", () => {
  let ns: NatsServerHandle;
  let host: Host;
  let client: NatsConnection;
  beforeAll(async () => {
    ns = await startNatsServer();
    host = await startHost({
      env: { NATS_URL: ns.url, HOST_ID: "h1", LEASE_MS: "2000", METRICS_PORT: "0", METRICS_HOST: "127.0.0.1" },
      extraChildren: (ctx) => [{ id: "echo", actor: () => echoActor(() => ctx.nc, "h1") }],
    });
    client = await connect({ servers: ns.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterAll(async () => {
    await host?.stop();
    await client?.close();
    await ns?.cleanup();
  });

  it("registers a status service that a second connection discovers", async () => {
    const statuses = await collectStatus(client, 1000);
    expect(statuses).toHaveLength(1);
    const s = statuses[0]!;
    if ("error" in s) throw new Error(s.error);
    expect(s.host).toBe("h1");
    const paths = s.actors.map((a) => a.path);
    expect(paths).toContain("root/stream-stats");
    expect(paths).toContain("root/echo");
    expect(s.actors.find((a) => a.path === "root/echo")!.state).toBe("running");
    expect(formatStatus(statuses)).toMatch(/h1\s+echo\s+running/);
  });

  it("restarts and stops one actor on an operator's request", async () => {
    const reply = await client.request(hostSubjects.restart("h1"), JSON.stringify({ path: "root/echo" }), { timeout: 5000 });
    expect(reply.json()).toEqual({ ok: true, path: "root/echo" });
    const echo = host.status().actors.find((a) => a.path === "root/echo")!;
    expect(echo.restarts).toBe(1);
    expect(echo.state).toBe("running");
    const bad = await client.request(hostSubjects.stop("h1"), JSON.stringify({ path: "root/nope" }), { timeout: 5000 });
    expect(bad.json<{ ok: boolean }>().ok).toBe(false);
    const garbage = await client.request(hostSubjects.stop("h1"), "not json", { timeout: 5000 });
    expect(garbage.json<{ error: string }>().error).toMatch(/bad request/);
  });

  it("keeps its actors working after the nats-server is killed and restarted", async () => {
    expect((await client.request("echo.h1", "before", { timeout: 2000 })).string()).toBe("before");
    await ns.kill();
    await ns.restart();
    const deadline = Date.now() + 15_000;
    let answer = "";
    while (Date.now() < deadline) {
      try {
        answer = (await client.request("echo.h1", "after", { timeout: 500 })).string();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(answer).toBe("after");
    const statuses = await collectStatus(client, 1000);
    expect(statuses.map((s) => s.host)).toEqual(["h1"]);
  });

  it("serves Prometheus metrics with per-actor restarts and mailbox depth", async () => {
    const res = await fetch(`http://127.0.0.1:${host.metricsPort}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/^tickflow_host_up 1$/m);
    expect(text).toMatch(/^tickflow_actor_restarts\{actor="root\/echo"\} \d+$/m);
    expect(text).toMatch(/^tickflow_actor_mailbox_depth\{actor="root\/stream-stats"\} 0$/m);
  });

  it("refuses to start with a bad setting and names the variable", async () => {
    await expect(startHost({ env: { NATS_URL: ns.url, LEASE_MS: "soon" } })).rejects.toThrow(/LEASE_MS="soon"/);
    await expect(startHost({ env: { NATS_URL: ns.url, ACTORS: "stream-stats,warp-drive" } })).rejects.toThrow(/ACTORS/);
  });
});
