/**
 * One per-address connection count for the whole host when the edge runs as several
 * worker processes (EDGE_WORKERS > 1). SO_REUSEPORT spreads one address's
 * connections over all workers, so a count per worker would let N × the cap in; the
 * primary keeps the count and each worker asks it over the cluster IPC channel before
 * it upgrades (one round trip, ~0.1 ms, on the upgrade only, never per message).
 *
 * - {@link HostAddressCounts}: the primary's count, per worker, so a dead worker's
 *   connections are given back at once.
 * - {@link SharedAddressLimiter}: a worker's {@link AddressLimiter} over IPC.
 */
import { z } from "zod";
import type { AddressLimiter } from "./core/limits.ts";

/** IPC messages between an edge worker and the primary (cross a process boundary). */
export const AddressIpc = z.discriminatedUnion("t", [
  z.object({ t: z.literal("tf-addr-acquire"), id: z.number().int(), ip: z.string().max(64) }),
  z.object({ t: z.literal("tf-addr-release"), ip: z.string().max(64) }),
  z.object({ t: z.literal("tf-addr-answer"), id: z.number().int(), ok: z.boolean() }),
]);
export type AddressIpc = z.infer<typeof AddressIpc>;

export class AddressLimiterUnavailableError extends Error {
  override name = "AddressLimiterUnavailableError";
}
export const isAddressLimiterUnavailableError = (e: unknown): e is AddressLimiterUnavailableError =>
  e instanceof Error && e.name === "AddressLimiterUnavailableError";

/** The primary's count: open connections per address over all workers, against `max`. */
export class HostAddressCounts {
  private readonly total = new Map<string, number>();
  private readonly byWorker = new Map<number, Map<string, number>>();
  constructor(private readonly max: number) {}

  acquire(worker: number, ip: string): boolean {
    const n = this.total.get(ip) ?? 0;
    if (n >= this.max) return false;
    this.total.set(ip, n + 1);
    let w = this.byWorker.get(worker);
    if (!w) this.byWorker.set(worker, (w = new Map()));
    w.set(ip, (w.get(ip) ?? 0) + 1);
    return true;
  }

  release(worker: number, ip: string): void {
    const w = this.byWorker.get(worker);
    const mine = w?.get(ip) ?? 0;
    if (mine === 0) return; // not this worker's: never let one worker free another's slots
    if (mine === 1) w!.delete(ip);
    else w!.set(ip, mine - 1);
    this.dec(ip, 1);
  }

  /** A worker is gone: its connections died with it. */
  dropWorker(worker: number): void {
    const w = this.byWorker.get(worker);
    if (!w) return;
    for (const [ip, n] of w) this.dec(ip, n);
    this.byWorker.delete(worker);
  }

  count(ip: string): number {
    return this.total.get(ip) ?? 0;
  }

  private dec(ip: string, n: number): void {
    const left = (this.total.get(ip) ?? 0) - n;
    if (left <= 0) this.total.delete(ip);
    else this.total.set(ip, left);
  }

  /** Answer one IPC message from `worker`; returns the reply to send, if any. Malformed messages are ignored. */
  handle(worker: number, raw: unknown): AddressIpc | undefined {
    const m = AddressIpc.safeParse(raw);
    if (!m.success) return undefined;
    if (m.data.t === "tf-addr-acquire") return { t: "tf-addr-answer", id: m.data.id, ok: this.acquire(worker, m.data.ip) };
    if (m.data.t === "tf-addr-release") this.release(worker, m.data.ip);
    return undefined;
  }
}

/** How a worker reaches the primary: `process.send` and `process.on("message")` in a cluster worker. */
export interface IpcChannel {
  send(m: AddressIpc): void;
  onMessage(fn: (raw: unknown) => void): void;
}

export interface SharedLimiterOptions {
  /** How long an answer may take before the upgrade is refused with 503 (default 2000 ms). */
  timeoutMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

/** A worker's view: acquire asks the primary; release tells it. */
export class SharedAddressLimiter implements AddressLimiter {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (ok: boolean) => void; timer: unknown }>();
  /** Requests that timed out, by id → address: a late "yes" is handed straight back. */
  private readonly expired = new Map<number, string>();
  private readonly timeoutMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly ch: IpcChannel, o: SharedLimiterOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = o.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
    ch.onMessage((raw) => {
      const m = AddressIpc.safeParse(raw);
      if (!m.success || m.data.t !== "tf-addr-answer") return;
      const w = this.waiting.get(m.data.id);
      if (!w) {
        // Timed out already: the primary counted a slot nobody holds, so give it back.
        const ip = this.expired.get(m.data.id);
        this.expired.delete(m.data.id);
        if (ip !== undefined && m.data.ok) this.release(ip);
        return;
      }
      this.waiting.delete(m.data.id);
      this.clearTimer(w.timer);
      w.resolve(m.data.ok);
    });
  }

  acquire(ip: string): Promise<boolean> {
    const id = this.nextId++;
    return new Promise<boolean>((resolve, reject) => {
      const timer = this.setTimer(() => {
        this.waiting.delete(id);
        this.expired.set(id, ip);
        reject(new AddressLimiterUnavailableError(`the edge primary did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, timer });
      try {
        this.ch.send({ t: "tf-addr-acquire", id, ip });
      } catch (e) {
        this.waiting.delete(id);
        this.clearTimer(timer);
        reject(new AddressLimiterUnavailableError("the edge primary cannot be reached", { cause: e }));
      }
    });
  }

  release(ip: string): void {
    try {
      this.ch.send({ t: "tf-addr-release", ip });
    } catch {
      // Primary gone: the worker is shutting down (it exits on disconnect) and its counts go with it.
    }
  }
}

/** The channel of a node:cluster worker process. */
export function clusterWorkerChannel(proc: NodeJS.Process = process): IpcChannel {
  return {
    send: (m) => {
      if (!proc.send || !proc.connected) throw new Error("no IPC channel to the primary");
      proc.send(m);
    },
    onMessage: (fn) => {
      proc.on("message", fn);
    },
  };
}
