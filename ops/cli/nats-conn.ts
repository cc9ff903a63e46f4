/** The ops CLI's NATS connection: the same settings (and credentials) as the actors. */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { loadConfig, natsSettings } from "../../lib/platform/config.ts";
import { natsOptions } from "../../lib/platform/nats.ts";

/**
 * Connect with the standard settings, run, close. Unlike the long-running processes,
 * the CLI does not wait for a server: an unreachable server or refused credentials
 * fail at once with the server's reason.
 */
export async function withNats<T>(fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const cfg = loadConfig(natsSettings);
  const opts = { ...(await natsOptions(cfg, "tickflow ops")), waitOnFirstConnect: false, maxReconnectAttempts: 0, timeout: 5000 };
  let nc: NatsConnection;
  try {
    nc = await connect(opts);
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${cfg.NATS_URL}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}
