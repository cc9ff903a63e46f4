// @ts-check
/**
 * Metrics shared by the scenarios (created in the init context, as k6 requires).
 *
 * - ws_delivery_latency: Date.now() − the message's producer `ts`, on probe sockets only;
 * - ws_connect_ok: share of sockets that opened;
 * - ws_msgs_lost: updates missing from a room's seq sequence, per socket and room;
 *   ws_seq_gaps: how many times a gap was seen; ws_seq_dups: seq ≤ last seen;
 * - ws_resyncs, ws_server_errors{code}, ws_unexpected_closes{code}.
 */
import { Counter, Rate, Trend } from 'k6/metrics';

export const latency = new Trend('ws_delivery_latency', true);
export const connectOk = new Rate('ws_connect_ok');
export const msgsLost = new Counter('ws_msgs_lost');
export const seqGaps = new Counter('ws_seq_gaps');
export const seqDups = new Counter('ws_seq_dups');
export const resyncs = new Counter('ws_resyncs');
export const serverErrors = new Counter('ws_server_errors');
export const unexpectedCloses = new Counter('ws_unexpected_closes');

/** Percentiles every scenario reports (k6's default stops at p(95)). */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'];
