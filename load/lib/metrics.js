// @ts-check
/**
 * Metrics shared by the scenarios (created in the init context, as k6 requires).
 *
 * - ws_delivery_latency: Date.now() − the message's producer `ts`, on probe sockets only;
 * - ws_connect_ok: share of sockets that opened;
 * - ws_msgs_expected: updates the producer published while each socket was subscribed
 *   (published × subscribers; lib/accounting.js), ws_msgs_counted: those received,
 *   ws_msgs_lost = expected − received (added when a socket's accounting closes),
 *   ws_msgs_trailing_lost: the part of it after the last seq a socket saw;
 * - ws_seq_gaps: how many times a hole was seen; ws_seq_dups: raw repeats (seq ≤ last seen);
 * - ws_silent_sockets: silences longer than 3 × ROOM_INTERVAL on an open socket;
 * - ws_resyncs, ws_server_errors{code}, ws_unexpected_closes{code}, ws_ledger_errors.
 */
import { Counter, Rate, Trend } from 'k6/metrics';
import { envInt } from './env.js';

export const latency = new Trend('ws_delivery_latency', true);
export const connectOk = new Rate('ws_connect_ok');
export const msgsExpected = new Counter('ws_msgs_expected');
export const msgsReceivedCounted = new Counter('ws_msgs_counted');
export const msgsLost = new Counter('ws_msgs_lost');
export const msgsTrailingLost = new Counter('ws_msgs_trailing_lost');
export const silentSockets = new Counter('ws_silent_sockets');
export const ledgerErrors = new Counter('ws_ledger_errors');
export const seqGaps = new Counter('ws_seq_gaps');
export const seqDups = new Counter('ws_seq_dups');
export const resyncs = new Counter('ws_resyncs');
export const serverErrors = new Counter('ws_server_errors');
export const unexpectedCloses = new Counter('ws_unexpected_closes');

/** Percentiles every scenario reports (k6's default stops at p(95)). */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'];

/**
 * The delivery thresholds of the holding scenarios (fanout, soak): nothing lost
 * (expected − received, MAX_LOST), no raw repeats (MAX_DUPS), no socket closed by the
 * other side (MAX_CLOSES), none silent (MAX_SILENT), and the ledger answered.
 */
export function deliveryThresholds() {
  return {
    ws_msgs_lost: [`count<=${envInt('MAX_LOST', 0)}`],
    ws_seq_dups: [`count<=${envInt('MAX_DUPS', 0)}`],
    ws_unexpected_closes: [`count<=${envInt('MAX_CLOSES', 0)}`],
    ws_silent_sockets: [`count<=${envInt('MAX_SILENT', 0)}`],
    ws_ledger_errors: ['count<1'],
  };
}
