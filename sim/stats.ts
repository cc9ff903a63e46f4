/**
 * Counters reported by GET /_sim/stats. Plain mutable objects: the hot path bumps
 * fields, the stats endpoint copies them out.
 */

export class VenueStats {
  connections = 0;
  accepted = 0;
  framesSent = 0;
  bytesSent = 0;
  ticksSent = 0;
  messagesIn = 0;
  errorsSent = 0;
  restRequests = 0;
  restThrottled = 0;
  /** Coinbase: the longest time from a socket's open to its first subscribe. */
  firstSubscribeMaxMs = 0;
  /** Coinbase Advanced Trade: subscribes whose JWT was good / refused. */
  jwtAccepted = 0;
  jwtRefused = 0;
  readonly disconnects = { subscribeTimeout: 0, rateLimit: 0, slowConsumer: 0, pongTimeout: 0, faultDrop: 0, serverShutdown: 0, sessionLimit: 0 };
  /** Frames per second over the last stats interval. */
  framesPerSec = 0;
  private lastFrames = 0;

  sample(dtMs: number): void {
    this.framesPerSec = Math.round(((this.framesSent - this.lastFrames) * 1000) / Math.max(1, dtMs));
    this.lastFrames = this.framesSent;
  }

  toJSON(): Record<string, unknown> {
    const { lastFrames: _, ...rest } = this as unknown as Record<string, unknown>;
    return rest;
  }
}
