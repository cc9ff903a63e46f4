/**
 * Answers "is message `seq` of partition P already in a durable file?" for redelivered
 * messages, exactly: by the sequences stored in the files (`_seq` column), not by the
 * range in the file name alone.
 *
 * Why exact: a file name's range [first, last] says where the file's messages lie, not
 * that it holds every message of P in that range (another archiver on the same
 * consumer, or a redelivery arriving late, can leave a message of that range out of
 * the file). Skipping by range alone could drop such a message; checking membership
 * cannot. The range in the name only narrows which files to open.
 *
 * Sources, in order: this process's staged files (in memory), then the target's files
 * of P whose range covers the sequence (listed per lookup, their sequence sets cached).
 */
import { removeQuietly } from "../../lib/lake/fsutil.ts";
import type { DuckWriter } from "../../lib/lake/duck.ts";
import { hasSeq } from "../../lib/lake/duck.ts";
import { isTmpName, parseFileName } from "../../lib/lake/partition.ts";
import type { StagedFile } from "./staging.ts";
import type { Target } from "../../lib/lake/target.ts";

export type Durable = "target" | StagedFile;

interface KnownFile {
  partition: string;
  first: number;
  last: number;
  seqs: Float64Array;
}

export interface LookupItem {
  seq: number;
  /** Partition path. */
  partition: string;
}

export const lookupKey = (partition: string, seq: number): string => `${partition}|${seq}`;

export class DurableIndex {
  #staged = new Map<string, Set<StagedFile>>();
  #known = new Map<string, KnownFile>();
  /** Keys of #known by partition, for {@link DurableIndex.findInMemory}. */
  #knownByPartition = new Map<string, Set<string>>();

  constructor(
    private readonly target: Target,
    private readonly writer: DuckWriter,
    private readonly cacheDir: string,
    /** Sequence sets kept in memory, by file. */
    private readonly maxKnown = 2000,
    /**
     * And their bytes: 2,000 files of 40,000 messages would be 640 MB, outside
     * ARCHIVE_MEMORY. A forgotten set costs only a re-read of that file for a redelivery.
     */
    private readonly maxKnownBytes = 32 * 2 ** 20,
  ) {}

  #knownBytes = 0;

  /** Bytes of the sequence sets kept for durable files. */
  get knownBytes(): number {
    return this.#knownBytes;
  }

  addStaged(f: StagedFile): void {
    let set = this.#staged.get(f.partition);
    if (!set) this.#staged.set(f.partition, (set = new Set()));
    set.add(f);
  }

  /** The file is durable at the target: remember its sequences without re-reading it. */
  promote(f: StagedFile): void {
    const set = this.#staged.get(f.partition);
    set?.delete(f);
    if (set?.size === 0) this.#staged.delete(f.partition);
    this.#remember(f.key, { partition: f.partition, first: f.first, last: f.last, seqs: f.seqs });
  }

  get stagedFiles(): number {
    let n = 0;
    for (const s of this.#staged.values()) n += s.size;
    return n;
  }

  /** For each item found durable: `lookupKey(partition, seq)` → the staged file or "target". */
  async lookup(items: LookupItem[]): Promise<Map<string, Durable>> {
    const found = new Map<string, Durable>();
    const byPartition = new Map<string, number[]>();
    for (const it of items) {
      let l = byPartition.get(it.partition);
      if (!l) byPartition.set(it.partition, (l = []));
      l.push(it.seq);
    }
    for (const [partition, seqs] of byPartition) {
      const rest: number[] = [];
      const staged = this.#staged.get(partition);
      for (const seq of seqs) {
        let hit: StagedFile | undefined;
        for (const f of staged ?? []) if (seq >= f.first && seq <= f.last && hasSeq(f.seqs, seq)) hit = f;
        if (hit) found.set(lookupKey(partition, seq), hit.state === "done" ? "target" : hit);
        else rest.push(seq);
      }
      if (rest.length === 0) continue;
      // Listed on every lookup: another archiver may have written files since the last one.
      const files = (await this.target.list(`${partition}/`))
        .filter((o) => !isTmpName(o.key) && o.key.lastIndexOf("/") === partition.length)
        .map((o) => ({ key: o.key, range: parseFileName(o.key) }))
        .filter((o) => o.range !== undefined);
      for (const { key, range } of files) {
        if (!rest.some((s) => s >= range!.first && s <= range!.last)) continue;
        const known = this.#known.get(key) ?? (await this.#load(key, range!.first, range!.last));
        for (const s of rest) if (s >= known.first && s <= known.last && hasSeq(known.seqs, s)) found.set(lookupKey(partition, s), "target");
      }
    }
    return found;
  }

  /**
   * The same question from memory only (staged files and files this process made durable
   * or read), without listing the target: what this process knows is durable counts even
   * when a listing does not show it yet.
   */
  findInMemory(partition: string, seq: number): Durable | undefined {
    for (const f of this.#staged.get(partition) ?? []) {
      if (seq >= f.first && seq <= f.last && hasSeq(f.seqs, seq)) return f.state === "done" ? "target" : f;
    }
    for (const key of this.#knownByPartition.get(partition) ?? []) {
      const k = this.#known.get(key)!;
      if (seq >= k.first && seq <= k.last && hasSeq(k.seqs, seq)) return "target";
    }
    return undefined;
  }

  async #load(key: string, first: number, last: number): Promise<KnownFile> {
    const { path, downloaded } = await this.target.fetch(key, this.cacheDir);
    try {
      const k = { partition: key.slice(0, key.lastIndexOf("/")), first, last, seqs: await this.writer.seqsOf([path]) };
      this.#remember(key, k);
      return k;
    } finally {
      if (downloaded) await removeQuietly(path);
    }
  }

  #remember(key: string, k: KnownFile): void {
    this.#forget(key);
    this.#known.set(key, k);
    let keys = this.#knownByPartition.get(k.partition);
    if (!keys) this.#knownByPartition.set(k.partition, (keys = new Set()));
    keys.add(key);
    this.#knownBytes += k.seqs.byteLength;
    while (this.#known.size > 1 && (this.#known.size > this.maxKnown || this.#knownBytes > this.maxKnownBytes)) {
      this.#forget(this.#known.keys().next().value!);
    }
  }

  #forget(key: string): void {
    const k = this.#known.get(key);
    if (!k) return;
    this.#known.delete(key);
    this.#knownBytes -= k.seqs.byteLength;
    const keys = this.#knownByPartition.get(k.partition);
    keys?.delete(key);
    if (keys?.size === 0) this.#knownByPartition.delete(k.partition);
  }
}
