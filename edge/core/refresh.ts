/**
 * Client-triggered refresh commands (`{"op":"refresh","room":"movers"}`), coalesced:
 * at most one NATS request per room per window however many clients ask; everybody
 * gets the result through the room itself.
 */
export type RefreshRoom = "movers" | "topcoins";

export class RefreshCoalescer {
  private readonly last = new Map<RefreshRoom, number>();
  sent = 0;
  coalesced = 0;

  constructor(
    private readonly windowMs: number,
    private readonly send: (room: RefreshRoom) => void,
    private readonly now: () => number,
  ) {}

  /** Ask for a refresh; true if a request went out, false if one did within the window. */
  request(room: RefreshRoom): boolean {
    const t = this.now();
    const l = this.last.get(room);
    if (l !== undefined && t - l < this.windowMs) {
      this.coalesced++;
      return false;
    }
    this.last.set(room, t);
    this.sent++;
    this.send(room);
    return true;
  }
}
