/**
 * Writes one benchmark's results into BENCHMARKS.md, replacing that benchmark's
 * previous section (between HTML comment markers) and stamping machine, date and commit.
 */
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
export const BENCHMARKS_FILE = process.env.BENCHMARKS_FILE ?? join(ROOT, "BENCHMARKS.md");

/** The file sections go to: BENCHMARKS_FILE as set now (a runner may set it after import), else BENCHMARKS.md. */
export function benchmarksFile(): string {
  return process.env.BENCHMARKS_FILE ?? join(ROOT, "BENCHMARKS.md");
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let commit = "uncommitted";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch { /* not a git checkout */ }
  return `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${cpus().length} cores (${cpu}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · commit ${commit}`;
}

/** Replace (or append) the section `name` with `markdown` (a heading is added) in `file` (default {@link benchmarksFile}). */
export function writeBenchSection(name: string, title: string, markdown: string, file: string = benchmarksFile()): void {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${begin}\n## ${title}\n\n_${machineLine()}_\n\n${markdown.trim()}\n${end}`;
  let doc = existsSync(file)
    ? readFileSync(file, "utf8")
    : "# Benchmarks\n\nWritten by the benchmark scripts (`npm run bench`, `npm run bench:<name>`); do not edit by hand.\n";
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) doc = doc.slice(0, i) + section + doc.slice(j + end.length);
  else doc = doc.trimEnd() + "\n\n" + section + "\n";
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, doc);
  console.log(`wrote section "${name}" to ${file}`);
}

/** A markdown table from rows of cells. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
