/** The archiver core's options, and two small helpers it shares. */
import type { Logger } from "@logtape/logtape";
import { type Clock, sleep as clockSleep, systemClock } from "../runtime/mod.ts";
import type { Decoder } from "./decoder.ts";
import type { DuckWriter } from "../../lib/lake/duck.ts";
import type { ArchiverMetrics } from "./metrics.ts";
import type { PauseKnob } from "./pause.ts";
import type { Target } from "../../lib/lake/target.ts";

export interface ArchiverOptions {
  writer: DuckWriter;
  target: Target;
  stagingDir: string;
  /** Where S3 objects are downloaded to read their sequences. */
  cacheDir: string;
  flushIntervalMs: number;
  flushRows: number;
  /** Flush early when this many messages are unacked (keep below the consumer's max_ack_pending). */
  maxUnacked: number;
  /**
   * Bytes of buffered rows (in DuckDB, open or waiting for their COPY) allowed; at half
   * of it every buffer is flushed, at all of it pulling waits (default: unbounded).
   */
  bufferBytes?: number;
  ackWaitMs: number;
  stagingMaxBytes: number;
  uploadConcurrency: number;
  uploadMaxBackoffMs: number;
  clock: Clock;
  log: Logger;
  metrics: ArchiverMetrics;
  pause?: PauseKnob;
  /** Where messages are decoded (default: on the event loop). */
  decoder?: Decoder;
  /** A failure the archiver cannot continue after (DuckDB or local disk). */
  onFatal(err: unknown): void;
}

export const EMPTY = new Uint8Array(0);

/** Resolves after `ms` of real time, or at once when `signal` aborts (the runtime's sleep on the system clock). */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> => clockSleep(systemClock, ms, signal);

