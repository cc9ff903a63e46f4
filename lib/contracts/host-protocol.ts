/**
 * The contract between actor hosts and the ops CLI: the NATS service every host
 * registers, its endpoints and the status it reports.
 */
import { z } from "zod";

export const HOST_SERVICE = "tickflow-host";

/** Endpoint subjects of one host's service. */
export const hostSubjects = {
  status: (hostId: string) => `tickflow.host.${hostId}.status`,
  stop: (hostId: string) => `tickflow.host.${hostId}.stop`,
  restart: (hostId: string) => `tickflow.host.${hostId}.restart`,
  drain: (hostId: string) => `tickflow.host.${hostId}.drain`,
} as const;

/**
 * An actor's freshness, reported as `extra.freshness` of its status row (see
 * actors/freshness.ts): ages in ms of its newest input and output by key (`in`, `out`,
 * `in:<venue>`, `out:<computation>`), whether any expected key is older than its limit,
 * and actor-specific facts (stale products, consumer lag).
 */
export const FreshnessReport = z.object({
  stage: z.string(),
  staleAfterMs: z.number(),
  stale: z.boolean(),
  reasons: z.array(z.string()).optional(),
  ages: z.record(z.string(), z.number()),
  /** Keys that have seen nothing yet (their age counts from when tracking began). */
  waiting: z.array(z.string()).optional(),
}).loose();
export type FreshnessReport = z.infer<typeof FreshnessReport>;

export const ActorRow = z.object({
  path: z.string(),
  id: z.string(),
  kind: z.enum(["actor", "supervisor"]),
  state: z.string(),
  restarts: z.number(),
  mailboxDepth: z.number(),
  droppedMessages: z.number().optional(),
  lastError: z.string().optional(),
  startedAt: z.number().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ActorRow = z.infer<typeof ActorRow>;

export const HostStatus = z.object({
  v: z.literal(1),
  host: z.string(),
  pid: z.number().optional(),
  runtime: z.string(),
  version: z.string(),
  startedAt: z.number(),
  uptimeMs: z.number(),
  /** The host's own NATS link (it answers through it, so false is rare: a reply after a reconnect). */
  natsConnected: z.boolean().optional(),
  actors: z.array(ActorRow),
});
export type HostStatus = z.infer<typeof HostStatus>;

/** Body of stop/restart requests. */
export const ActorCommand = z.object({ path: z.string().min(1) });

export const CommandReply = z.union([
  z.object({ ok: z.literal(true), path: z.string() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type CommandReply = z.infer<typeof CommandReply>;
