/**
 * Asynchronous JetStream publishing without a request per message: each message is a
 * core publish with a `Nats-Msg-Id` header and a reply subject under one inbox, and a
 * single subscription on that inbox receives every PubAck. nats.js `js.publish()`
 * creates a request (promise + timer) per message; this path is 2–3× faster, which is
 * what lets one shard reach its throughput target. Acks that do not arrive within
 * `timeoutMs` are failed by one sweep timer, not one timer per message.
 *
 * It has the shape of `js.publish()` (the subset the Publisher uses), so the Publisher
 * runs on either.
 */
import { createInbox, headers, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import type { PubAck } from "@nats-io/jetstream";

/** Header naming the publisher of a market-data message (the shard's lease member id). */
export const PUBLISHER_HEADER = "Tf-Publisher";

/** nats-server writes `"duplicate": true` (with a space); accept either spelling. */
const DUPLICATE = /"duplicate":\s*true/;

export class PublishAckError extends Error {
  override name = "PublishAckError";
}
export const isPublishAckError = (e: unknown): e is PublishAckError => e instanceof Error && e.name === "PublishAckError";

interface Pending {
  resolve: (a: PubAck) => void;
  reject: (e: Error) => void;
  at: number;
}

export class AsyncJetStream {
  private readonly prefix = createInbox();
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private readonly sub: Subscription;
  private readonly sweep: ReturnType<typeof setInterval>;

  /**
   * @param timeoutMs how long an ack may take before the publish fails (default 5000).
   * @param publisherId written into every message as the `Tf-Publisher` header (who
   *   published it: a shard's lease member id), so two publishers of one product at once
   *   can be seen in MD.
   */
  constructor(private readonly nc: NatsConnection, private readonly timeoutMs = 5_000, private readonly publisherId?: string) {
    const cut = this.prefix.length + 1;
    this.sub = nc.subscribe(`${this.prefix}.*`, {
      callback: (_err, m) => {
        const id = Number(m.subject.slice(cut));
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (m.headers && m.headers.code >= 300) {
          return p.reject(new PublishAckError(`JetStream publish failed: ${m.headers.code} ${m.headers.description}`));
        }
        // Acks are tiny JSON objects; look for what matters instead of parsing each one.
        const text = m.string();
        if (text.includes('"error"')) {
          let err = text;
          try {
            const e = (JSON.parse(text) as { error?: { code?: number; description?: string } }).error;
            err = `${e?.code} ${e?.description}`;
          } catch { /* keep the raw text */ }
          return p.reject(new PublishAckError(`JetStream publish failed: ${err}`));
        }
        const seq = /"seq":\s*(\d+)/.exec(text);
        if (!seq) return p.reject(new PublishAckError(`unexpected JetStream ack: ${text.slice(0, 80)}`));
        const stream = /"stream":\s*"([^"]*)"/.exec(text);
        p.resolve({ stream: stream?.[1] ?? "", seq: Number(seq[1]), duplicate: DUPLICATE.test(text), domain: "" } as PubAck);
      },
    });
    this.sweep = setInterval(() => this.expire(), Math.max(100, Math.floor(timeoutMs / 4)));
    (this.sweep as { unref?: () => void }).unref?.();
    // After a reconnect, what was awaiting an ack was sent before the break or into a server
    // that was still starting: fail it now, so it is retried at once, instead of after the timeout.
    void (async () => {
      for await (const st of nc.status()) if (st.type === "reconnect") this.failPending("connection re-established before its ack came");
    })().catch(() => {});
  }

  /** Reject every publish awaiting its ack (the caller retries with the same msgID: stored once). */
  private failPending(why: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new PublishAckError(`JetStream publish failed: ${why}`));
  }

  /** Publish and resolve with the PubAck; rejects with PublishAckError on a JetStream error or timeout. */
  publish(subject: string, data?: Uint8Array, opts?: { msgID?: string }): Promise<PubAck> {
    const id = this.next++;
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, at: Date.now() });
      try {
        const h = opts?.msgID || this.publisherId ? headers() : undefined;
        if (opts?.msgID) h!.set("Nats-Msg-Id", opts.msgID);
        if (this.publisherId) h!.set(PUBLISHER_HEADER, this.publisherId);
        this.nc.publish(subject, data, { reply: `${this.prefix}.${id}`, ...(h ? { headers: h } : {}) });
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  inFlight(): number {
    return this.pending.size;
  }

  private expire(): void {
    const limit = Date.now() - this.timeoutMs;
    for (const [id, p] of this.pending) {
      if (p.at > limit) break; // insertion order = send order
      this.pending.delete(id);
      p.reject(new PublishAckError(`no JetStream ack within ${this.timeoutMs} ms`));
    }
  }

  /** Fail what is pending and stop listening. */
  close(): void {
    clearInterval(this.sweep);
    this.sub.unsubscribe();
    for (const p of this.pending.values()) p.reject(new PublishAckError("publisher closed"));
    this.pending.clear();
  }
}
