/**
 * placement actor: runs on every host and decides which pooled actor instances
 * (connection shards, coalescers) this host runs.
 *
 * Operators write desired counts to the `tf_desired` KV bucket (`ops scale shards 3`).
 * Hosts hold leases in `tf_hosts`; instance slots `shard-0 … shard-(N-1)` are spread
 * over the live hosts that accept that kind by rendezvous hashing, so a host joining
 * or leaving moves only the slots it wins or held. Each host starts and stops its
 * slots as children of the `placed` supervisor. (Which *products* an instance owns is
 * decided one level down, by the instance's own lease; a slot briefly running on two
 * hosts during a move is therefore harmless.)
 */
import type { KV } from "@nats-io/kv";
import type { Actor, ActorContext, ChildSpec } from "./runtime/mod.ts";
import type { Supervisor } from "./runtime/mod.ts";
import type { HostContext } from "./host-context.ts";
import { DesiredCount } from "../lib/contracts/messages.ts";
import { BUCKET } from "../lib/platform/streams.ts";
import { decode } from "../lib/contracts/codec.ts";
import { Membership, type MembershipView, rendezvousOwner } from "./lease/mod.ts";

/** A kind of actor that runs as N instances spread over the hosts. */
export interface PoolKind {
  /** Slot prefix and desired-state key, e.g. "shard" → slots shard-0…, key "shard". */
  kind: string;
  /** Count used when nobody has written a desired count yet. */
  defaultCount: number;
  /** One instance for a slot. */
  instance: (host: HostContext, slot: string) => ChildSpec;
}

type Msg = { type: "reconcile" };

export interface PlacementOptions {
  host: HostContext;
  pools: PoolKind[];
  /** The supervisor the instances run under (resolved lazily: it starts after us). */
  placed: () => Supervisor | undefined;
  everyMs?: number;
}

/** Slots of `kind` that `self` should run, given the desired count and the live hosts that accept the kind. */
export function slotsFor(kind: string, count: number, hosts: readonly string[], self: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const slot = `${kind}-${i}`;
    if (rendezvousOwner(slot, hosts) === self) out.push(slot);
  }
  return out;
}

export async function readDesired(kv: KV, kind: string): Promise<number | undefined> {
  const e = await kv.get(kind);
  if (!e || e.operation !== "PUT") return undefined;
  const r = decode(DesiredCount, e.value);
  return r.ok ? r.value.count : undefined;
}

export function placementActor(opts: PlacementOptions): Actor<Msg> {
  const { host } = opts;
  const desiredKv = host.kv[BUCKET.desired]!;
  const hostsKv = host.kv[BUCKET.hosts]!;
  const kinds = opts.pools.map((p) => p.kind);
  let membership: Membership | undefined;
  let timer: unknown;
  let mine: string[] = [];
  let liveHosts: string[] = [];
  const everyMs = opts.everyMs ?? Math.max(200, Math.floor(host.leaseMs / 5));

  /** The slots this host should run; rejects when a KV read fails (no answer is not "nobody"). */
  const desiredSlots = async (view: MembershipView): Promise<Array<{ pool: PoolKind; slot: string }>> => {
    if (!view.held) return [];
    // Hosts that accept each kind, from their lease values. A missing key is a host whose
    // lease just went; a read error rejects.
    const accepts = new Map<string, string[]>();
    for (const h of view.members) {
      const e = await hostsKv.get(h);
      const info = e?.operation === "PUT" ? (JSON.parse(e.string()) as { kinds?: string[] }) : undefined;
      for (const k of info?.kinds ?? []) accepts.set(k, [...(accepts.get(k) ?? []), h]);
    }
    const out: Array<{ pool: PoolKind; slot: string }> = [];
    for (const pool of opts.pools) {
      const count = (await readDesired(desiredKv, pool.kind)) ?? pool.defaultCount;
      for (const slot of slotsFor(pool.kind, count, accepts.get(pool.kind) ?? [], host.hostId)) out.push({ pool, slot });
    }
    return out;
  };

  const reconcile = async (ctx: ActorContext<Msg>) => {
    const placed = opts.placed();
    if (!placed || !membership) return;
    const view = membership.view();
    let want: Array<{ pool: PoolKind; slot: string }>;
    try {
      want = await desiredSlots(view);
    } catch (err) {
      // A KV read error (NATS away, a leader election) says nothing about who is alive:
      // keep the slots we run while our own lease is valid, and decide again next round.
      ctx.log.debug("KV read failed, keeping slots {slots}: {err}", { slots: mine.join(","), err: String(err) });
      return;
    }
    const wanted = new Set(want.map((w) => w.slot));
    const running = new Set(placed.childIds());
    // A slot that cannot be added now (its supervisor restarting) is retried next round.
    const attempt = async (what: string, slot: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        ctx.log.warn("could not {what} slot {slot}: {err}", { what, slot, err: String(err) });
      }
    };
    for (const id of running) {
      if (!wanted.has(id)) {
        ctx.log.info("slot {slot} moves away from {host}", { slot: id, host: host.hostId });
        await attempt("remove", id, () => placed.removeChild(id));
      }
    }
    for (const w of want) {
      if (!running.has(w.slot)) {
        ctx.log.info("slot {slot} placed on {host}", { slot: w.slot, host: host.hostId });
        await attempt("add", w.slot, () => placed.addChild(w.pool.instance(host, w.slot)));
      }
    }
    mine = [...wanted].sort();
    liveHosts = view.members;
  };

  return {
    async start(ctx) {
      membership = new Membership({
        kv: hostsKv,
        memberId: host.hostId,
        leaseMs: host.leaseMs,
        clock: ctx.clock,
        info: { kinds },
        // Through a KV leader election or a short NATS outage the host keeps its slots
        // while its lease is valid by its own clock (membership.ts), instead of dropping
        // its shards and coalescers at the first failed renewal.
        keepThroughErrors: true,
        onChange: () => ctx.self.tell({ type: "reconcile" }),
        onLost: () => ctx.self.tell({ type: "reconcile" }),
      });
      await membership.start(ctx.signal);
      ctx.self.tell({ type: "reconcile" });
    },
    async receive(_msg, ctx) {
      ctx.clock.clearTimeout(timer);
      await reconcile(ctx);
      if (!ctx.signal.aborted) timer = ctx.clock.setTimeout(() => ctx.self.tell({ type: "reconcile" }), everyMs);
    },
    async stop(ctx) {
      ctx.clock.clearTimeout(timer);
      await membership?.stop();
    },
    status: () => ({ slots: mine, hosts: liveHosts.length }),
  };
}
