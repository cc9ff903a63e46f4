/**
 * Opens a NATS connection from {@link natsSettings}: servers, user/password, token,
 * creds file or nkey seed file, and TLS. Every process (actor hosts, edges, ops CLI, simulator tools)
 * connects through here, so authentication and TLS work the same everywhere.
 *
 * `@nats-io/transport-node` runs on Node 20 and on Deno 2 (through Deno's Node
 * compatibility), so this one adapter serves both runtimes.
 */
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { z } from "zod";
import type { natsSettings } from "./config.ts";

export type NatsSettings = z.infer<z.ZodObject<typeof natsSettings>>;

/** Builds connection options; throws a TypeError when settings conflict. Never logs secrets. */
export async function natsOptions(cfg: NatsSettings, name: string): Promise<ConnectionOptions> {
  const opts: ConnectionOptions = {
    servers: cfg.NATS_URL.split(",").map((s) => s.trim()).filter(Boolean),
    name: cfg.NATS_NAME ?? name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: 10_000,
    waitOnFirstConnect: true,
    // Async stack traces cost an Error per request (every JetStream publish ack); off in production.
    noAsyncTraces: true,
  };
  const modes = [cfg.NATS_TOKEN ? "token" : "", cfg.NATS_USER ? "user" : "", cfg.NATS_CREDS ? "creds" : "", cfg.NATS_NKEY ? "nkey" : ""].filter(Boolean);
  if (modes.length > 1) throw new TypeError(`NATS_TOKEN, NATS_USER, NATS_CREDS and NATS_NKEY are exclusive; got ${modes.join(" + ")}`);
  if (cfg.NATS_TOKEN) opts.token = cfg.NATS_TOKEN;
  if (cfg.NATS_USER) {
    opts.user = cfg.NATS_USER;
    opts.pass = cfg.NATS_PASS ?? "";
  }
  if (cfg.NATS_CREDS) opts.authenticator = credsAuthenticator(new TextEncoder().encode(await readText(cfg.NATS_CREDS)));
  if (cfg.NATS_NKEY) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode((await readText(cfg.NATS_NKEY)).trim()));
  if (cfg.NATS_TLS || cfg.NATS_TLS_CA || cfg.NATS_TLS_CERT) {
    opts.tls = {
      ...(cfg.NATS_TLS_CA ? { caFile: cfg.NATS_TLS_CA } : {}),
      ...(cfg.NATS_TLS_CERT ? { certFile: cfg.NATS_TLS_CERT } : {}),
      ...(cfg.NATS_TLS_KEY ? { keyFile: cfg.NATS_TLS_KEY } : {}),
    };
  }
  return opts;
}

export async function connectNats(cfg: NatsSettings, name: string): Promise<NatsConnection> {
  return await connect(await natsOptions(cfg, name));
}

async function readText(path: string): Promise<string> {
  const g = globalThis as unknown as {
    Deno?: { readTextFile(p: string): Promise<string> };
    process?: { getBuiltinModule?: (m: string) => unknown };
  };
  if (g.Deno) return await g.Deno.readTextFile(path);
  const fs = g.process?.getBuiltinModule?.("fs/promises") as { readFile(p: string, e: string): Promise<string> };
  return await fs.readFile(path, "utf8");
}
