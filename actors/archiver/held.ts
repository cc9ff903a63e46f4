/**
 * Deliveries and the bookkeeping that acks a message only when every part of it is
 * durable at the target.
 *
 * A {@link Delivery} is the archiver's view of a JetStream message (so the logic runs in
 * tests without NATS). A {@link Held} message counts the partition files still owing
 * its rows; when the count reaches zero every delivery of it is acked.
 */

export interface Delivery {
  /** Stream sequence (unique across the MD stream). */
  readonly seq: number;
  /** 1 on first delivery; more means it may already be in a durable file. */
  readonly deliveryCount: number;
  readonly subject: string;
  /** The message body; the archiver replaces it with an empty array once decoded. */
  data: Uint8Array;
  ack(): void;
  /** Never deliver again (malformed). */
  term(reason?: string): void;
  /** Deliver again now (not processed). */
  nak(): void;
  /** Reset the ack timer: still working on it. */
  working(): void;
}

export class Held {
  readonly deliveries: Delivery[];
  /** Files (buffers, staged or uploading) that still hold rows of this message. */
  remaining = 0;
  /** Last time the ack timer was reset (clock ms). */
  touched: number;
  settled = false;

  constructor(readonly seq: number, first: Delivery, now: number, private readonly onSettled: (h: Held) => void) {
    this.deliveries = [first];
    this.touched = now;
  }

  /** One more file owes rows of this message. */
  hold(): void {
    this.remaining++;
  }

  /** A file holding rows of this message became durable at the target; acks when none remain. */
  release(): void {
    if (this.settled) return;
    if (--this.remaining <= 0) this.settle();
  }

  /** Ack every delivery now (all rows durable, or none to write). */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const d of this.deliveries) d.ack();
    this.onSettled(this);
  }

  /** Reset the ack timer of every delivery so JetStream does not redeliver while we hold it. */
  keepAlive(now: number): void {
    this.touched = now;
    for (const d of this.deliveries) d.working();
  }
}
