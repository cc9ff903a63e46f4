/**
 * Staged files: finished Parquet files in the local staging directory that are not yet
 * durable at the target, and recovery of those a previous run left behind.
 *
 * A staged file holds only messages that have not been acked (acks wait for the
 * target), so a staged file that cannot be read may be deleted without losing
 * anything: its messages are redelivered and written again.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "@logtape/logtape";
import type { PartitionBuffer } from "./buffer.ts";
import type { DuckWriter } from "../../lib/lake/duck.ts";
import { listFiles, moveDurably, removeQuietly } from "../../lib/lake/fsutil.ts";
import type { Held } from "./held.ts";
import { fileName, isTmpName, parseFileName, tmpName } from "../../lib/lake/partition.ts";

export type StagedState = "staged" | "uploading" | "done";

export class StagedFile {
  state: StagedState = "staged";
  readonly held: Held[] = [];

  constructor(
    /** Lake key: `<partition>/<first>-<last>.parquet`. */
    readonly key: string,
    /** Where the file is in the staging directory. */
    readonly path: string,
    readonly bytes: number,
    /** Distinct stream sequences in the file, sorted. */
    readonly seqs: Float64Array,
    readonly first: number,
    readonly last: number,
  ) {}

  /** Partition path (the key without the file name). */
  get partition(): string {
    return this.key.slice(0, this.key.lastIndexOf("/"));
  }

  /**
   * Make `held` wait for this file. Returns false if the file is already durable at
   * the target, in which case nothing waits.
   */
  attach(held: Held): boolean {
    if (this.state === "done") return false;
    held.hold();
    this.held.push(held);
    return true;
  }
}

/**
 * Write a sealed buffer out as a staged file: COPY to a temporary name, fsync, rename to
 * `<partition>/<first>-<last>.parquet` in `dir`. `onCopied` runs once the rows have left
 * DuckDB, before the rename. The temporary file is removed when any step throws.
 * The file takes over the buffer's held messages (each already holds one count for it).
 */
export async function stageBuffer(buf: PartitionBuffer, dir: string, writer: DuckWriter, onCopied: () => Promise<void>): Promise<StagedFile> {
  if (buf.n > 0) buf.pushChunk();
  const key = `${buf.key}/${fileName(buf.firstSeq, buf.lastSeq)}`;
  const final = join(dir, key);
  await mkdir(dirname(final), { recursive: true });
  const tmp = tmpName(final);
  try {
    await writer.copyAndDrop(buf.table, tmp);
    await onCopied();
    await moveDurably(tmp, final);
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
  const bytes = (await stat(final)).size;
  const f = new StagedFile(key, final, bytes, buf.seqs(), buf.firstSeq, buf.lastSeq);
  f.held.push(...buf.held);
  return f;
}

/**
 * Scan the staging directory: delete temporary files of interrupted COPYs and return
 * the finished files, with their sequences read back, for upload.
 */
export async function recoverStaged(dir: string, writer: DuckWriter, log: Logger): Promise<StagedFile[]> {
  const out: StagedFile[] = [];
  for (const f of await listFiles(dir)) {
    const path = join(dir, f.path);
    if (f.path.startsWith("_")) continue; // DuckDB spill directory and similar
    if (isTmpName(f.path)) {
      await removeQuietly(path);
      continue;
    }
    const range = parseFileName(f.path);
    if (!range || !f.path.includes("/")) continue;
    try {
      const seqs = await writer.seqsOf([path]);
      out.push(new StagedFile(f.path, path, f.size, seqs, range.first, range.last));
    } catch (e) {
      log.warn("staged file {path} is unreadable, deleting it (its messages are unacked and will be redelivered): {error}", {
        path,
        error: (e as Error).message,
      });
      await removeQuietly(path);
    }
  }
  return out;
}
