/**
 * Writes one benchmark's results into BENCHMARKS.md, replacing that benchmark's
 * previous section (between HTML comment markers) and stamping machine, date and
 * commit ("dirty" when the tree has changes beyond BENCHMARKS.md: the figures may come
 * from code no commit holds). {@link reportResult} ends every benchmark with its one
 * machine-readable line `RESULT {"name","figures","targets","met","commit","dirty"}`,
 * which bench/all.ts reads, and copies it into the section it wrote.
 */
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
export const BENCHMARKS_FILE = process.env.BENCHMARKS_FILE ?? join(ROOT, "BENCHMARKS.md");

/** The file sections go to: BENCHMARKS_FILE as set now (a runner may set it after import), else BENCHMARKS.md. */
export function benchmarksFile(): string {
  return process.env.BENCHMARKS_FILE ?? join(ROOT, "BENCHMARKS.md");
}

/** HEAD's short hash and whether the tree differs from it (BENCHMARKS files, which benchmarks write, aside). */
export function gitStamp(cwd: string = ROOT): { commit: string; dirty: boolean } {
  const git = (args: string) => execSync(`git ${args}`, { cwd, stdio: ["ignore", "pipe", "ignore"] }).toString();
  let commit = "uncommitted";
  let dirty = true;
  try {
    commit = git("rev-parse --short HEAD").trim();
    dirty = git("status --porcelain --untracked-files=normal").split("\n").some((l) => l.trim() !== "" && !/BENCHMARKS[^/]*\.md$/.test(l));
  } catch { /* not a git checkout: dirty, as nothing says what code ran */ }
  return { commit, dirty };
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const { commit, dirty } = gitStamp();
  return `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${cpus().length} cores (${cpu}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · commit ${commit}${dirty ? " (dirty)" : ""}`;
}

/** A figure: a number, or null when it could not be measured. */
export type Figure = number | null;

export interface BenchResult {
  name: string;
  figures: Record<string, Figure | string>;
  /** What each target wants, e.g. {"p99_ms": "≤ 110"}. */
  targets: Record<string, string>;
  /** Per target: true met, false missed, null not measured (no figure to judge). */
  met: Record<string, boolean | null>;
  commit: string;
  dirty: boolean;
}

/** Met, missed and not measured over results' targets (bench/all.ts). */
export function countTargets(results: BenchResult[]): { met: number; missed: number; unmeasured: number } {
  const v = results.flatMap((r) => Object.keys(r.targets).map((k) => r.met[k] ?? null));
  return { met: v.filter((x) => x === true).length, missed: v.filter((x) => x === false).length, unmeasured: v.filter((x) => x === null).length };
}

/** The RESULT line of a benchmark's output (the last one, if it printed several). */
export function parseResult(stdout: string): BenchResult | undefined {
  const line = stdout.split("\n").filter((l) => l.startsWith("RESULT {")).at(-1);
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice("RESULT ".length)) as BenchResult;
  } catch {
    return undefined;
  }
}

/** A RESULT from budget rows (bench/parse.ts), keyed by what each budget is. */
export function resultFromBudgets(name: string, budgets: Array<{ what: string; value: string; wanted: string; met?: boolean }>) {
  const n = (s: string) => {
    const x = Number.parseFloat(s.replace(/[^0-9.\-]/g, ""));
    return Number.isFinite(x) ? x : null;
  };
  return {
    name,
    figures: Object.fromEntries(budgets.map((b) => [b.what, n(b.value)])),
    targets: Object.fromEntries(budgets.map((b) => [b.what, b.wanted])),
    met: Object.fromEntries(budgets.map((b) => [b.what, b.met ?? null])),
  };
}

const written = new Map<string, string>();

/**
 * Print the benchmark's RESULT line (call it last: it must be the last line of output)
 * and copy it into the section `name` this process wrote, if it wrote one, so the
 * section's figures and the RESULT line are one record. A target whose verdict is not
 * given or not a boolean is "not measured".
 */
export function reportResult(r: { name: string; figures: BenchResult["figures"]; targets?: BenchResult["targets"]; met?: Partial<Record<string, boolean | null | undefined>> }): BenchResult {
  const targets = r.targets ?? {};
  const met = Object.fromEntries(Object.keys(targets).map((k) => [k, typeof r.met?.[k] === "boolean" ? r.met[k]! : null]));
  const figures = Object.fromEntries(Object.entries(r.figures).map(([k, x]) => [k, typeof x === "number" && !Number.isFinite(x) ? null : x]));
  const res: BenchResult = { name: r.name, figures, targets, met, ...gitStamp() };
  const json = JSON.stringify(res);
  const file = written.get(r.name);
  if (file && existsSync(file)) {
    const end = `<!-- bench:${r.name}:end -->`;
    const doc = readFileSync(file, "utf8").replace(new RegExp(`\\n?<!-- RESULT .*? -->\\n(?=${end})`), "\n");
    writeFileSync(file, doc.replace(end, `<!-- RESULT ${json} -->\n${end}`));
  }
  console.log(`RESULT ${json}`);
  return res;
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
  written.set(name, file);
  console.log(`wrote section "${name}" to ${file}`);
}

/** A markdown table from rows of cells. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
