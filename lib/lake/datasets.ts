/**
 * The archived datasets by name: ticks, book, bookdelta, trades, gaps. Each is a bus
 * subject, its buffer columns, its Parquet schema and its decoder (see ds-*.ts).
 */
import { bookDelta, book } from "./ds-book.ts";
import type { Dataset } from "./ds-common.ts";
import { ticks } from "./ds-ticks.ts";
import { gaps, trades } from "./ds-trades.ts";
import type { DatasetName } from "./partition.ts";

export * from "./ds-common.ts";
export { book, bookDelta, gaps, ticks, trades };

export const DATASET: Record<DatasetName, Dataset> = { ticks, book, bookdelta: bookDelta, trades, gaps };
