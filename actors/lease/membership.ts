/**
 * Group membership by leases in a NATS KV bucket whose TTL is the lease length
 * (nats-server 2.9 has no per-key TTL, so each lease kind has its own bucket).
 *
 * Each member creates its key, renews it by revision every leaseMs/4, and lists the
 * bucket every pollMs to learn the live members. Work is split by rendezvous hashing.
 * A member gives a key up as soon as it sees a member that outranks it, but claims a
 * key only once it has held its own lease for joinGraceMs (longer than one poll), so
 * the old owner has let go before the new one starts: no double ownership during a
 * join. A crashed member's key expires within leaseMs and its work is claimed at the
 * next poll. With `keepThroughErrors`, a renewal that fails (NATS away, a KV read
 * error, a leader election) is retried while the lease is still valid by our own clock — measured from when the last
 * successful renewal was sent, so never later than the server's expiry — and the member
 * is told (`onLost`) and must stop its work as soon as the next retry could no longer
 * finish before that expiry: it stops well before anyone else can own its work. A
 * renewal refused because someone else wrote the key is lost at once. It then tries to
 * join again.
 */
import type { KV } from "@nats-io/kv";
import { getLogger } from "@logtape/logtape";
import { type Clock, sleep, systemClock } from "../runtime/mod.ts";
import { rendezvousOwner } from "./hash.ts";
import { afterIdleDeadline } from "./idle-deadline.ts";

export interface MembershipOptions {
  kv: KV;
  memberId: string;
  leaseMs: number;
  clock?: Clock;
  pollMs?: number;
  joinGraceMs?: number;
  info?: Record<string, unknown>;
  onChange?: (view: MembershipView) => void;
  onLost?: (err: unknown) => void;
  /**
   * Keep the lease through renewal errors while it is still valid (see the header).
   * Default false: the first failed renewal loses it, for members whose work does not
   * survive a NATS outage by itself (a coalescer's consumers are rebuilt on rejoin).
   */
  keepThroughErrors?: boolean;
}

export interface MembershipView {
  self: string;
  members: string[];
  settled: boolean;
  held: boolean;
}

export class Membership {
  private readonly log;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly joinGraceMs: number;
  private revision = 0;
  private heldSince = 0;
  /** Clock time at which the last successful create/renewal was sent (the lease runs from no earlier). */
  private renewedAt = 0;
  private failingSince = 0;
  private members: string[] = [];
  private stopped = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: MembershipOptions) {
    if (!(opts.leaseMs > 0)) throw new RangeError(`leaseMs must be > 0, got ${opts.leaseMs}`);
    this.clock = opts.clock ?? systemClock;
    this.pollMs = opts.pollMs ?? Math.max(50, Math.floor(opts.leaseMs / 5));
    this.joinGraceMs = opts.joinGraceMs ?? this.pollMs * 2;
    this.log = getLogger(["tickflow", "lease", opts.memberId]);
  }

  get id(): string {
    return this.opts.memberId;
  }

  /** Acquire the lease and start the renew and poll loops. Resolves once the lease is held and members are known. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener("abort", () => this.stopped.abort(), { once: true });
    await this.acquire();
    await this.poll();
    this.loops.push(this.renewLoop(), this.pollLoop());
  }

  view(): MembershipView {
    const held = this.revision > 0;
    return {
      self: this.opts.memberId,
      members: this.members,
      held,
      settled: held && this.clock.now() - this.heldSince >= this.joinGraceMs,
    };
  }

  owns(key: string): boolean {
    const v = this.view();
    return v.settled && rendezvousOwner(key, v.members) === v.self;
  }

  owned<K extends string>(keys: Iterable<K>): K[] {
    const v = this.view();
    if (!v.settled) return [];
    const out: K[] = [];
    for (const k of keys) if (rendezvousOwner(k, v.members) === v.self) out.push(k);
    return out;
  }

  /** Delete the lease so the others take over at their next poll. */
  async stop(): Promise<void> {
    this.stopped.abort();
    await Promise.allSettled(this.loops);
    if (this.revision > 0) {
      this.revision = 0;
      try {
        await this.opts.kv.delete(this.opts.memberId);
      } catch (err) {
        this.log.warn("could not delete lease on stop: {err}", { err: String(err) });
      }
    }
  }

  private value(): string {
    const now = this.clock.now();
    return JSON.stringify({ v: 1, holder: this.opts.memberId, acquiredAt: this.heldSince || now, renewedAt: now, ...this.opts.info });
  }

  private async acquire(): Promise<void> {
    const sent = this.clock.now();
    this.heldSince = sent;
    try {
      this.revision = await this.bounded(this.opts.kv.create(this.opts.memberId, this.value()));
    } catch (err) {
      const stale = isWrongRevision(err) ? await this.staleOwnKey() : undefined;
      if (stale === undefined) throw err;
      const now = this.clock.now();
      // Settled at once: our key never left the bucket, so nobody took our work meanwhile.
      this.heldSince = now - this.joinGraceMs;
      this.revision = await this.opts.kv.update(this.opts.memberId, this.value(), stale, this.renewTimeoutMs());
      this.renewedAt = now;
      this.log.info("joined as {id}, taking over the key a previous run left (not renewed for a renewal period)", { id: this.opts.memberId });
      return;
    }
    this.renewedAt = sent;
    this.log.info("joined as {id}", { id: this.opts.memberId });
  }

  /**
   * A create sent while NATS is away waits for the client's request timeout (5 s) before
   * it fails, and the next join attempt waits behind it: bound it like a renewal. If it
   * is stored after all, the next attempt finds our own unrenewed key and takes it over.
   */
  private async bounded<T>(p: Promise<T>): Promise<T> {
    let timer: unknown;
    const ms = Math.max(500, this.renewTimeoutMs());
    const late = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new Error(`no answer from the lease bucket within ${ms} ms`)), ms);
    });
    p.catch(() => {});
    try {
      return await Promise.race([p, late]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /**
   * Our key exists already (a host restarted after kill -9 keeps its id, and its old key
   * lives until the bucket's TTL). If it names us and nobody renews it for a renewal
   * period and a bit, its writer is gone: its revision, to take it over at once rather
   * than wait up to a whole lease for it to expire. Undefined when it is renewed (a live
   * process with our id) or is not ours.
   */
  private async staleOwnKey(): Promise<number | undefined> {
    const read = async () => {
      const e = await this.opts.kv.get(this.opts.memberId);
      if (!e || e.operation !== "PUT") return undefined;
      const holder = (JSON.parse(e.string()) as { holder?: string }).holder;
      return holder === this.opts.memberId ? e.revision : undefined;
    };
    const first = await read();
    if (first === undefined) return undefined;
    await sleep(this.clock, this.renewEveryMs() + Math.max(100, Math.floor(this.opts.leaseMs / 20)), this.stopped.signal);
    if (this.stopped.signal.aborted) return undefined;
    return (await read()) === first ? first : undefined;
  }

  private renewEveryMs(): number {
    return Math.max(20, Math.floor(this.opts.leaseMs / 4));
  }

  private renewTimeoutMs(): number {
    // Short against the lease, so that after a failed renewal there is time left to retry.
    return Math.max(200, Math.min(5000, Math.floor(this.opts.leaseMs / 8)));
  }

  /**
   * One renewal, failed after `renewTimeoutMs` — but counted on an idle event loop. A
   * shard under overload runs long frame-processing turns; when one ends, Node runs
   * expired timers *before* it reads the sockets, so a plain request timer fires while
   * the PubAck of the renewal is already waiting in the socket (bench:ingest lost its
   * lease that way). nats.js gets the lease's whole remaining validity as its timeout,
   * and our deadline, once due, lets pending I/O run before it gives up.
   */
  private renew(sent: number): Promise<number> {
    const natsTimeout = Math.max(this.renewTimeoutMs(), this.renewedAt + this.opts.leaseMs - sent);
    const update = this.opts.kv.update(this.opts.memberId, this.value(), this.revision, natsTimeout);
    return afterIdleDeadline(this.clock, update, this.renewTimeoutMs(), () => new LeaseRenewTimeoutError(`lease renewal not acknowledged within ${this.renewTimeoutMs()} ms of idle time`));
  }

  private async renewLoop(): Promise<void> {
    const every = this.renewEveryMs();
    const retryMs = Math.max(10, Math.floor(every / 4));
    let wait = every;
    while (!this.stopped.signal.aborted) {
      await sleep(this.clock, wait, this.stopped.signal);
      if (this.stopped.signal.aborted) return;
      wait = every;
      try {
        if (this.revision === 0) {
          await this.acquire();
          this.emit();
        } else {
          // A renewal must fail fast (well inside the lease) when the server is away, so
          // the member stops its work before someone else can take it, and rejoins sooner.
          const sent = this.clock.now();
          this.revision = await this.renew(sent);
          this.renewedAt = sent;
          if (this.failingSince) this.log.info("lease {id} renewed again after {ms} ms of failures", { id: this.opts.memberId, ms: sent - this.failingSince });
          this.failingSince = 0;
        }
      } catch (err) {
        if (this.revision === 0) continue; // The key may still exist with our stale revision until it expires; retry joining next round.
        if (await this.stillOurs(err)) continue;
        const now = this.clock.now();
        const stillValid = this.opts.keepThroughErrors === true && !isWrongRevision(err) && now + retryMs + this.renewTimeoutMs() < this.renewedAt + this.opts.leaseMs;
        if (stillValid) {
          if (!this.failingSince) {
            this.failingSince = now;
            this.log.warn("lease {id}: renewal failed ({err}); still valid for {ms} ms, retrying", {
              id: this.opts.memberId, err: String(err), ms: this.renewedAt + this.opts.leaseMs - now,
            });
          }
          wait = retryMs;
          continue;
        }
        this.revision = 0;
        this.failingSince = 0;
        this.log.warn("lease {id} lost: {err}", { id: this.opts.memberId, err: String(err) });
        this.opts.onLost?.(err);
        this.emit();
      }
    }
  }

  /**
   * A renewal that timed out may still have been written; the next one then fails on
   * the revision. If the key still names us, carry on with its revision.
   */
  private async stillOurs(err: unknown): Promise<boolean> {
    if (!isWrongRevision(err)) return false;
    try {
      const e = await this.opts.kv.get(this.opts.memberId);
      if (!e || e.operation !== "PUT") return false;
      const holder = (JSON.parse(e.string()) as { holder?: string }).holder;
      if (holder !== this.opts.memberId || e.revision <= this.revision) return false;
      this.revision = e.revision;
      return true;
    } catch {
      return false;
    }
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      await sleep(this.clock, this.pollMs, this.stopped.signal);
      if (this.stopped.signal.aborted) return;
      try {
        await this.poll();
      } catch (err) {
        this.log.debug("member poll failed: {err}", { err: String(err) });
      }
    }
  }

  private wasSettled = false;

  private async poll(): Promise<void> {
    const keys = await this.listKeys();
    if (!keys) return; // listing stalled; keep the last view and try again next poll
    keys.sort();
    const changed = keys.join("\n") !== this.members.join("\n");
    this.members = keys;
    const settled = this.view().settled;
    if (changed || settled !== this.wasSettled) {
      this.wasSettled = settled;
      this.emit();
    }
  }

  /**
   * The bucket's keys, or undefined when listing takes longer than a lease. kv.keys()
   * runs an ordered consumer, which can wait for its idle heartbeat when a key is
   * deleted mid-listing; a stalled poll must not freeze the view for 30 s.
   */
  private async listKeys(): Promise<string[] | undefined> {
    const keys: string[] = [];
    const listing = (async () => {
      for await (const k of await this.opts.kv.keys()) keys.push(k);
      return keys;
    })();
    let timer: unknown;
    const timeout = new Promise<undefined>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(undefined), Math.max(500, this.opts.leaseMs / 2));
    });
    try {
      return await Promise.race([listing, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
      listing.catch(() => {});
    }
  }

  private emit(): void {
    // What the observer last saw: a lease lost and won again must emit "settled" once the
    // join grace has passed, even when the member list never changed (same id rejoining).
    const view = this.view();
    this.wasSettled = view.settled;
    try {
      this.opts.onChange?.(view);
    } catch (err) {
      this.log.error("onChange threw: {err}", { err: String(err) });
    }
  }
}

export class LeaseRenewTimeoutError extends Error {
  override name = "LeaseRenewTimeoutError";
}
export const isLeaseRenewTimeoutError = (e: unknown): e is LeaseRenewTimeoutError => e instanceof Error && e.name === "LeaseRenewTimeoutError";

/** JetStream's answer when the key's revision is not the one we last wrote. */
function isWrongRevision(err: unknown): boolean {
  return /wrong last sequence/i.test(String((err as Error)?.message ?? err));
}
