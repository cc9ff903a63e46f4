/**
 * Plain counters the hot path bumps (numbers, no label maps, no allocation); the
 * metrics endpoint (http/metrics.ts) turns them into Prometheus series when scraped.
 */
export class EdgeStats {
  connectionsOpened = 0;
  /** Room messages from NATS and their bytes. */
  msgsIn = 0;
  bytesIn = 0;
  /** Frames handed to sockets (publishes × subscribers + direct sends) and their bytes. */
  msgsOut = 0;
  bytesOut = 0;
  /** Bus messages dropped because they were not room updates. */
  badBusMessages = 0;
  /** Client frames received. */
  framesIn = 0;
  /** Client frames rejected, by error code. */
  readonly rejected = new Map<string, number>();
  /** Connections closed by the edge, by reason. */
  readonly closes = new Map<string, number>();
  /** WebSocket upgrades refused with an HTTP status before the 101, by reason. */
  readonly refusedUpgrades = new Map<string, number>();
  /** Sweeps that found a socket over the backpressure threshold (publishes skip it meanwhile). */
  slowObservations = 0;
  /** Replays by outcome: replayed, gap, too_old, unavailable. */
  readonly replays = new Map<string, number>();
  replayedMessages = 0;

  bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}
