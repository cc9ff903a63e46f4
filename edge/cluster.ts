/**
 * The primary of a multi-process edge: forks EDGE_WORKERS workers (node:cluster), each
 * a full edge listening on the same port (uWS binds with SO_REUSEPORT, so the kernel
 * spreads connections; the ws transport shares the primary's socket through cluster),
 * restarts a worker that dies with exponential backoff, keeps the host's per-address
 * connection count for all workers (edge/address-share.ts), and on SIGTERM stops all
 * workers and exits 0 within 10 s.
 *
 * One process may hold 20,000 open files here, so 50,000 clients need at least three
 * workers.
 */
import cluster, { type Worker } from "node:cluster";
import { getLogger } from "@logtape/logtape";
import { ExponentialBackoff, type IBackoff } from "cockatiel";
import { HostAddressCounts } from "./address-share.ts";

/** A worker that lived this long is considered healthy: its next crash restarts at once. */
const HEALTHY_AFTER_MS = 30_000;
const STOP_TIMEOUT_MS = 9_000;

export interface PrimaryOptions {
  workers: number;
  /** Base server id; workers are `<id>-w<n>`. */
  id: string;
  /** EDGE_MAX_CONNS_PER_IP: the primary keeps one per-address count for all workers. */
  maxConnsPerIp: number;
}

export function runPrimary(o: PrimaryOptions): void {
  const log = getLogger(["tickflow", "edge", "primary"]);
  const slots: Array<{ worker?: Worker; startedAt: number; backoff?: IBackoff<unknown> }> = [];
  const factory = new ExponentialBackoff({ initialDelay: 200, maxDelay: 5000 });
  let stopping = false;
  const addresses = new HostAddressCounts(o.maxConnsPerIp);

  const start = (i: number) => {
    const slot = (slots[i] ??= { startedAt: 0 });
    slot.startedAt = Date.now();
    const w = cluster.fork({ EDGE_ID: `${o.id}-w${i}`, EDGE_WORKER_INDEX: String(i), EDGE_WORKERS: "1" });
    slot.worker = w;
    w.on("message", (m: unknown) => {
      const reply = addresses.handle(w.id, m);
      if (reply && w.isConnected()) w.send(reply);
    });
    w.on("exit", (code, signal) => {
      slot.worker = undefined;
      addresses.dropWorker(w.id);
      if (stopping) return;
      const lived = Date.now() - slot.startedAt;
      slot.backoff = lived > HEALTHY_AFTER_MS || !slot.backoff ? factory.next() : slot.backoff.next(undefined);
      const delay = lived > HEALTHY_AFTER_MS ? 0 : slot.backoff.duration;
      log.warn("edge worker {i} (pid {pid}) exited ({code}/{signal}); restarting in {delay} ms", {
        i,
        pid: w.process.pid,
        code,
        signal,
        delay,
      });
      setTimeout(() => {
        if (!stopping) start(i);
      }, delay);
    });
  };
  for (let i = 0; i < o.workers; i++) start(i);
  log.info("edge primary {pid} started {n} workers", { pid: process.pid, n: o.workers });

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const alive = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && !w.isDead());
    log.info("edge primary stopping {n} workers", { n: alive.length });
    const exited = Promise.all(alive.map((w) => new Promise<void>((r) => w.isDead() ? r() : w.once("exit", () => r()))));
    for (const w of alive) w.process.kill("SIGTERM");
    const timer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill("SIGKILL");
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
