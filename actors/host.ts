/**
 * An actor host: validates its configuration, connects to NATS, ensures streams and
 * buckets, starts the configured actors under a root supervisor, registers its NATS
 * service, and shuts down in reverse order. `actors/main.ts` runs one from the
 * command line; tests start hosts in-process with {@link startHost}.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Service } from "@nats-io/services";
import { getLogger, type Logger } from "@logtape/logtape";
import { z } from "zod";
import { busSettings, loadConfig, natsSettings, readEnv, v } from "../lib/platform/config.ts";
import { connectNats } from "../lib/platform/nats.ts";
import { ensureBuckets, ensureStreams } from "../lib/platform/streams.ts";
import { exitOnGiveUp, exitProcess, runRoot, systemClock, type Supervisor } from "./runtime/mod.ts";
import type { ChildSpec } from "./runtime/mod.ts";
import type { HostContext } from "./host-context.ts";
import { Metrics } from "../lib/platform/metrics.ts";
import { serveMetrics } from "../lib/platform/metrics-server.ts";
import { defaultActors, knownActors, pools, registry } from "./registry.ts";
import { type PoolKind, placementActor } from "./placement.ts";
import { registerHostService, VERSION } from "./service.ts";
import type { HostStatus } from "../lib/contracts/host-protocol.ts";
import { freshnessMetrics, watchNatsLink } from "./host-freshness.ts";

export const hostSettings = {
  ...natsSettings,
  ...busSettings,
  HOST_ID: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only").optional()
    .describe("unique per host process (default host-<random>)"),
  ACTORS: v.list().default(defaultActors).pipe(
    z.array(z.string()).refine((xs) => xs.every((x) => knownActors.includes(x)), {
      message: `a comma-separated list of: ${knownActors.join(", ")}`,
    }),
  ).describe(`comma list of the actors this host runs: ${knownActors.join(", ")}`),
  SUPERVISOR_MAX_RESTARTS: v.int(0).default(5).describe("restarts allowed within SUPERVISOR_PERIOD before a supervisor gives up"),
  SUPERVISOR_PERIOD: v.duration().default(60_000).describe("window of the restart intensity"),
  SHUTDOWN_TIMEOUT: v.duration().default(8_000).describe("SIGTERM budget"),
  /** An actor with no input (or output) this long reports itself stale (shards use STALE_MS). */
  STALE_AFTER: v.duration().pipe(z.number().int().min(100)).default(10_000)
    .describe("an actor with no input (or output) this long reports itself stale (shards: STALE_MS)"),
  /** Port of the Prometheus endpoint (GET /metrics); 0 picks a free one, unset disables it. */
  METRICS_PORT: v.int(0, 65535).optional().describe("port of the Prometheus GET /metrics endpoint (0 = any free port; unset = off)"),
  METRICS_HOST: z.string().default("0.0.0.0").describe("address the metrics endpoint listens on"),
};
export type HostSettings = z.infer<z.ZodObject<typeof hostSettings>>;

export interface Host {
  readonly id: string;
  readonly nc: NatsConnection;
  readonly root: Supervisor;
  readonly metrics: Metrics;
  /** Port of the metrics endpoint, when METRICS_PORT is set. */
  readonly metricsPort?: number;
  status(): HostStatus;
  /** Stop actors in reverse order, stop the service, drain NATS. Idempotent. */
  stop(): Promise<void>;
}

export interface StartHostOptions {
  env?: Record<string, string | undefined>;
  /** Extra children, after the configured actors (tests, embedding). */
  extraChildren?: (host: HostContext) => ChildSpec[];
  /** Exit the process after `ops drain` (default true; tests set false). */
  exitOnDrain?: boolean;
  /** Extra pooled kinds (tests); they are run whatever ACTORS says. */
  extraPools?: PoolKind[];
  /** Called when the root supervisor gives up (default: exit 1). */
  onGiveUp?: (err: unknown) => void;
}

function runtimeName(): string {
  const g = globalThis as unknown as { Deno?: { version: { deno: string } }; process?: { version: string } };
  return g.Deno ? `deno ${g.Deno.version.deno}` : `node ${g.process?.version ?? "?"}`;
}

function pid(): number | undefined {
  const g = globalThis as unknown as { Deno?: { pid: number }; process?: { pid: number } };
  return g.Deno?.pid ?? g.process?.pid;
}

/** Connect to NATS and ensure the streams (with the configured limits) and the KV buckets. */
async function connectBus(cfg: HostSettings, id: string, log: Logger) {
  const nc = await connectNats(cfg, `tickflow ${id}`);
  log.info("connected to NATS at {server}", { server: nc.getServer() });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, {
    mdMaxAgeMs: cfg.MD_MAX_AGE,
    mdMaxBytes: cfg.MD_MAX_BYTES,
    roomLogMaxAgeMs: cfg.ROOMLOG_MAX_AGE,
    roomLogMaxBytes: cfg.ROOMLOG_MAX_BYTES,
    replicas: cfg.STREAM_REPLICAS,
  });
  log.info("storage limits: MD {mdBytes} bytes / {mdAge} ms, ROOMLOG {rlBytes} bytes / {rlAge} ms (MD_MAX_BYTES, ROOMLOG_MAX_BYTES; -1 = none), {replicas} replica(s)", {
    mdBytes: cfg.MD_MAX_BYTES, mdAge: cfg.MD_MAX_AGE, rlBytes: cfg.ROOMLOG_MAX_BYTES, rlAge: cfg.ROOMLOG_MAX_AGE, replicas: cfg.STREAM_REPLICAS,
  });
  const kv = await ensureBuckets(nc, { leaseMs: cfg.LEASE_MS, replicas: cfg.STREAM_REPLICAS });
  return { nc, jsm, kv };
}

/**
 * Start the root supervisor: the configured singletons, then `placed` and `placement`
 * (pooled kinds), then the extra children. Throws (after closing `ctx.nc`) when the root
 * gives up while starting; a later give-up goes to `opts.onGiveUp` (default: exit 1).
 */
async function startRoot(cfg: HostSettings, ctx: HostContext, opts: StartHostOptions): Promise<Supervisor> {
  const singletons = cfg.ACTORS.filter((name) => name in registry).map((name) => registry[name]!(ctx));
  const hostPools = [...cfg.ACTORS.filter((name) => name in pools).map((name) => pools[name]!), ...(opts.extraPools ?? [])];
  // Pooled instances run under `placed`; the placement actor adds and removes them. It
  // starts after `placed` and stops before it, so a stopping host first gives its
  // slots away (its host lease goes), then stops its instances.
  let rootRef: Supervisor | undefined;
  const placement: ChildSpec[] = [
    // Placed instances depend on things outside the host (upstream venues, S3); they
    // retry with backoff (capped at 30 s) rather than escalate and take the host down.
    {
      id: "placed",
      supervisor: { strategy: "one_for_one", maxRestarts: 1000, periodMs: cfg.SUPERVISOR_PERIOD, backoff: { baseMs: 500, maxMs: 30_000 }, children: [] },
    },
    { id: "placement", actor: () => placementActor({ host: ctx, pools: hostPools, placed: () => rootRef?.supervisorAt("root/placed") }) },
  ];
  const children = [...singletons, ...placement, ...(opts.extraChildren?.(ctx) ?? [])];
  // A root that gives up while starting is a start-up failure (thrown), not an exit.
  let starting = true;
  let startError: unknown;
  const giveUp = opts.onGiveUp ?? exitOnGiveUp();
  const root = await runRoot(
    {
      strategy: "one_for_one",
      maxRestarts: cfg.SUPERVISOR_MAX_RESTARTS,
      periodMs: cfg.SUPERVISOR_PERIOD,
      children,
    },
    {
      id: "root",
      onGiveUp: (err) => {
        if (starting) startError = err;
        else giveUp(err);
      },
    },
  );
  rootRef = root;
  starting = false;
  if (startError !== undefined) {
    await ctx.nc.close();
    throw new Error(`actors failed to start: ${startError instanceof Error ? startError.message : String(startError)}`, { cause: startError });
  }
  return root;
}

/** The host's status report; each call also refreshes the per-actor gauges. */
function hostStatus(root: Supervisor, metrics: Metrics, nc: NatsConnection, id: string, startedAt: number): () => HostStatus {
  const restarts = metrics.gauge("tickflow_actor_restarts", "Restarts of an actor since the host started");
  const mailbox = metrics.gauge("tickflow_actor_mailbox_depth", "Messages waiting in an actor's mailbox");
  const freshness = freshnessMetrics(metrics);
  const natsLink = watchNatsLink(nc, metrics);
  return (): HostStatus => {
    const actors = root.status();
    for (const a of actors) {
      restarts.set(a.restarts, { actor: a.path });
      mailbox.set(a.mailboxDepth, { actor: a.path });
    }
    freshness.update(actors);
    return {
      v: 1,
      host: id,
      pid: pid(),
      runtime: runtimeName(),
      version: VERSION,
      startedAt,
      uptimeMs: Date.now() - startedAt,
      natsConnected: natsLink.connected(),
      actors,
    };
  };
}

export async function startHost(opts: StartHostOptions = {}): Promise<Host> {
  const env = opts.env ?? readEnv();
  const cfg = loadConfig(hostSettings, env);
  const id = cfg.HOST_ID ?? `host-${crypto.randomUUID().slice(0, 8)}`;
  const log = getLogger(["tickflow", "host", id]);
  const startedAt = Date.now();

  const { nc, jsm, kv } = await connectBus(cfg, id, log);
  const metrics = new Metrics();
  const ctx: HostContext = {
    hostId: id,
    nc,
    js: jetstream(nc),
    jsm,
    kv,
    clock: systemClock,
    metrics,
    env,
    leaseMs: cfg.LEASE_MS,
    staleAfterMs: cfg.STALE_AFTER,
  };

  const root = await startRoot(cfg, ctx, opts);
  const status = hostStatus(root, metrics, nc, id, startedAt);

  const metricsServer =
    cfg.METRICS_PORT === undefined ? undefined : await serveMetrics(metrics, cfg.METRICS_PORT, cfg.METRICS_HOST, () => !nc.isClosed(), () => void status());
  metrics.gauge("tickflow_host_up", "1 while the host runs").set(() => {
    status(); // refreshes the per-actor gauges at scrape time
    return 1;
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("stopping: actors in reverse order, then the service and NATS");
      await root.stop();
      await service?.stop().catch(() => {});
      await metricsServer?.close();
      await nc.drain().catch(() => {});
      log.info("stopped");
    })());

  const service: Service = await registerHostService(nc, id, {
    status,
    stopActor: (path) => root.stopChild(path),
    restartActor: (path) => root.restartChild(path),
    drain: async () => {
      await stop();
      if (opts.exitOnDrain ?? true) exitProcess(0);
    },
  });
  log.info("host {id} ready with actors {actors}", { id, actors: cfg.ACTORS.join(", ") });
  return { id, nc, root, metrics, metricsPort: metricsServer?.port, status, stop };
}
