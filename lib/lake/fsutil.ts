/**
 * File-system helpers for durable writes: fsync a file and its directory, atomic
 * rename into place, and a recursive listing with `/` separators.
 */
import { copyFile, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { tmpName } from "./partition.ts";

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await fh.close();
  }
}

/**
 * Move `from` to `to` atomically and durably (fsync of the file and both directories).
 * Across file systems it copies to a temporary name beside `to` first.
 */
export async function moveDurably(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await fsyncFile(from);
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
    const tmp = tmpName(to);
    await copyFile(from, tmp);
    await fsyncFile(tmp);
    await rename(tmp, to);
    await unlink(from);
  }
  await fsyncDir(dirname(to));
}

/** Every file under `dir`, as paths relative to `dir` with `/` separators; [] if `dir` does not exist. */
export async function listFiles(dir: string): Promise<Array<{ path: string; size: number }>> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: Array<{ path: string; size: number }> = [];
  for (const n of names) {
    try {
      const s = await stat(join(dir, n));
      if (s.isFile()) out.push({ path: relative(dir, join(dir, n)).split(sep).join("/"), size: s.size });
    } catch {
      // Gone between readdir and stat (a concurrent rename): not ours to list.
    }
  }
  return out;
}

export async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
