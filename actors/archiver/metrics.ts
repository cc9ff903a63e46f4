/** The archiver's metrics, registered on the host's registry. */
import type { Counter, Gauge, Metrics } from "../../lib/platform/metrics.ts";

export interface ArchiverMetrics {
  messagesIn: Counter;
  rowsIn: Counter;
  malformed: Counter;
  duplicates: Counter;
  filesWritten: Counter;
  bytesWritten: Counter;
  filesUploaded: Counter;
  uploadFailures: Counter;
  pendingUploads: Gauge;
  stagingBytes: Gauge;
  bufferedRows: Gauge;
  bufferedBytes: Gauge;
  unacked: Gauge;
  backpressure: Gauge;
}

export function archiverMetrics(m: Metrics): ArchiverMetrics {
  return {
    messagesIn: m.counter("archiver_messages_in_total", "Bus messages received, by dataset"),
    rowsIn: m.counter("archiver_rows_in_total", "Rows received from the bus, by dataset"),
    malformed: m.counter("archiver_malformed_messages_total", "Messages that failed validation and were termed, by dataset"),
    duplicates: m.counter(
      "archiver_redelivered_duplicates_total",
      "Redelivered messages found already durable in the lake (acked, not written again), by dataset",
    ),
    filesWritten: m.counter("archiver_files_written_total", "Parquet files written to staging, by dataset"),
    bytesWritten: m.counter("archiver_bytes_written_total", "Parquet bytes written, by dataset"),
    filesUploaded: m.counter("archiver_files_uploaded_total", "Parquet files made durable at the target"),
    uploadFailures: m.counter("archiver_upload_failures_total", "Failed upload attempts (each is retried)"),
    pendingUploads: m.gauge("archiver_pending_uploads", "Staged files waiting for the target"),
    stagingBytes: m.gauge("archiver_staging_bytes", "Bytes of staged files waiting for the target"),
    bufferedRows: m.gauge("archiver_buffered_rows", "Rows in open partition buffers"),
    bufferedBytes: m.gauge("archiver_buffered_bytes", "Estimated bytes of buffered rows (open and waiting for their COPY), bounded by ARCHIVE_MEMORY"),
    unacked: m.gauge("archiver_unacked_messages", "Messages held until their rows are durable"),
    backpressure: m.gauge("archiver_backpressure", "1 while pulling is paused because the memory or the staging budget is full"),
  };
}

/**
 * One label object per dataset: the registry caches a series key per label object, so a
 * fresh `{ dataset }` per message cost a sort and a string build each time (4 % of the
 * archiver's main-thread CPU in a profile of bench:archive).
 */
const LABELS = new Map<string, { dataset: string }>();
export const datasetLabels = (dataset: string): { dataset: string } => {
  let l = LABELS.get(dataset);
  if (!l) LABELS.set(dataset, (l = { dataset }));
  return l;
};
