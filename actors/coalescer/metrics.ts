/** The coalescer service's metrics, registered on the host's registry. */
import type { Metrics } from "../../lib/platform/metrics.ts";

export function coalescerMetrics(m: Metrics) {
  return {
    ticks: m.counter("tickflow_coalescer_ticks_total", "Ticks applied by the coalescer"),
    rooms: m.counter("tickflow_coalescer_room_messages_total", "Room messages published by the coalescer"),
    bad: m.counter("tickflow_coalescer_bad_messages_total", "Tick messages that failed validation"),
    latency: m.histogram("tickflow_coalescer_tick_to_publish_ms", "Tick receipt to room PubAck, ms"),
    owned: m.gauge("tickflow_coalescer_partitions_owned", "Partitions this coalescer publishes"),
  };
}

export type CoalescerMetrics = ReturnType<typeof coalescerMetrics>;
