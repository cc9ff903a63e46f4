/**
 * `ops lake`: query and compact the archive lake.
 *
 *   tickflow lake query "SELECT count(*) FROM ticks" [--json] [--from T --to T --exchange X] [--lake URL]
 *   tickflow lake export "SQL" --format csv|parquet|ndjson [--out FILE] [--from T --to T --exchange X]
 *   tickflow lake compact --date 2025-11-22 [--dataset ticks] [--lake URL]
 *   tickflow lake stats [--dataset ticks]
 *   tickflow lake coverage --from T --to T [--symbol S] [--max-silence 60s]
 *   tickflow lake retention [--days N]
 *
 * The lake is ARCHIVE_URL (a path, file:// or s3://bucket/prefix with the AWS_*
 * variables), or --lake. `lakeCommand(argv)` takes the arguments after `lake` and
 * returns the exit code: 0 ok, 1 failed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { LAKE_HELP } from "./help.ts";
import { getLogger } from "@logtape/logtape";
import { isDatasetName, type DatasetName } from "../../lib/lake/partition.ts";
import { isConfigError, readEnv } from "../../lib/platform/config.ts";
import { parseDuration } from "../../lib/platform/duration.ts";
import { compactDay } from "./compact.ts";
import { EXPORT_FORMATS, type ExportFormat, lakeExport, lakeRetention } from "./export.ts";
import { openLake } from "./lake.ts";
import { formatJson, formatTable, isQueryError, queryLake, type QueryScope } from "./query.ts";
import { lakeCoverage, lakeStats } from "./stats.ts";

export { compactDay, type CompactReport } from "./compact.ts";
export { openLake, syncMirror, type Lake } from "./lake.ts";
export { formatJson, formatTable, queryLake } from "./query.ts";
export { LAKE_HELP, REPLAY_HELP } from "./help.ts";
export { replayCommand, type ReplayIo } from "./replay-cmd.ts";
export { publishReplay, runReplay, type ReplayReport } from "./replay.ts";


class UsageError extends Error {
  override name = "UsageError";
}

interface Parsed {
  command?: string;
  positional: string[];
  json: boolean;
  help: boolean;
  lake?: string;
  date?: string;
  datasets: DatasetName[];
  from?: Date;
  to?: Date;
  exchange?: string;
  symbol?: string;
  format?: ExportFormat;
  out?: string;
  maxSilenceMs: number;
  days?: number;
}

function time(flag: string, v: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag} must be an ISO time like 2025-11-22T06:00Z, got ${JSON.stringify(v)}`);
  return d;
}

function duration(flag: string, v: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new UsageError(`${flag} must be a duration like 500ms, 60s or 5m, got ${JSON.stringify(v)}`);
  }
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  lake: { type: "string" },
  date: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  exchange: { type: "string" },
  symbol: { type: "string" },
  out: { type: "string" },
  "max-silence": { type: "string" },
  days: { type: "string" },
  format: { type: "string" },
  dataset: { type: "string", multiple: true },
} as const;

/** The command line through node:util parseArgs; its errors (unknown option, missing value) become UsageErrors. */
function parse(argv: string[]): Parsed {
  let r: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    r = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split(". ")[0]!);
  }
  const o = r.values;
  const [command, ...positional] = r.positionals;
  const p: Parsed = { positional, json: o.json ?? false, help: o.help ?? false, datasets: [], maxSilenceMs: 60_000 };
  if (command !== undefined) p.command = command;
  for (const k of ["lake", "date", "exchange", "symbol", "out"] as const) if (o[k] !== undefined) p[k] = o[k];
  if (o.from !== undefined) p.from = time("--from", o.from);
  if (o.to !== undefined) p.to = time("--to", o.to);
  if (o["max-silence"] !== undefined) p.maxSilenceMs = duration("--max-silence", o["max-silence"]);
  if (o.days !== undefined) {
    p.days = Number(o.days);
    if (!Number.isInteger(p.days) || p.days < 1) throw new UsageError("--days must be a whole number ≥ 1");
  }
  if (o.format !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`--format must be csv, parquet or ndjson, got ${JSON.stringify(o.format)}`);
    p.format = o.format as ExportFormat;
  }
  for (const d of o.dataset ?? []) {
    if (!isDatasetName(d)) throw new UsageError(`--dataset must be ticks, book, bookdelta, trades or gaps, got ${JSON.stringify(d)}`);
    p.datasets.push(d);
  }
  return p;
}

export interface LakeIo {
  out(text: string): void;
  err(text: string): void;
  env?: Record<string, string | undefined>;
}

const stdio: LakeIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

export async function lakeCommand(argv: string[], io: LakeIo = stdio): Promise<number> {
  let p: Parsed;
  try {
    p = parse(argv);
    if (p.help || p.command === undefined) {
      (p.help ? io.out : io.err)(LAKE_HELP);
      return p.help ? 0 : 2;
    }
    if (p.command === "query" || p.command === "export") {
      if (p.positional.length !== 1) throw new UsageError(`${p.command} takes one SQL string, got ${p.positional.length}`);
      if (p.command === "export" && !p.format) throw new UsageError("export needs --format csv|parquet|ndjson");
    } else if (p.command === "coverage") {
      if (!p.from || !p.to) throw new UsageError("coverage needs --from and --to");
    } else if (p.command === "stats" || p.command === "retention") {
      if (p.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}`);
    } else if (p.command === "compact") {
      if (!p.date) throw new UsageError("compact needs --date YYYY-MM-DD");
      if (p.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}`);
    } else {
      throw new UsageError(`unknown command ${JSON.stringify(p.command)} (query, export, compact, stats, coverage or retention)`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`tickflow lake: ${e.message}\n\n${LAKE_HELP}`);
    return 2;
  }
  try {
    const lake = openLake(io.env ?? readEnv(), p.lake);
    const scope: QueryScope | undefined = p.from || p.to || p.exchange
      ? { ...(p.from ? { from: p.from } : {}), ...(p.to ? { to: p.to } : {}), ...(p.exchange ? { exchange: p.exchange } : {}) }
      : undefined;
    if (p.command === "query") {
      const r = await queryLake(lake, p.positional[0]!, scope ? { scope } : {});
      io.out(p.json ? formatJson(r) : formatTable(r));
      return 0;
    }
    if (p.command === "export") {
      await lakeExport(lake, p.positional[0]!, { format: p.format!, ...(p.out ? { out: p.out } : {}), ...(scope ? { scope } : {}) });
      return 0;
    }
    if (p.command === "stats") {
      const r = await lakeStats(lake, p.datasets.length ? p.datasets : undefined);
      io.out(p.json ? formatJson(r) : formatTable(r));
      return 0;
    }
    if (p.command === "coverage") {
      const r = await lakeCoverage(lake, { from: p.from!, to: p.to!, maxSilenceMs: p.maxSilenceMs, ...(p.symbol ? { symbol: p.symbol } : {}) });
      io.out(p.json ? formatJson(r) : formatTable(r));
      return 0;
    }
    if (p.command === "retention") {
      const days = p.days ?? lake.settings.ARCHIVE_RETENTION_DAYS;
      if (!days) {
        io.err("tickflow lake: retention needs --days N or ARCHIVE_RETENTION_DAYS (0 keeps everything)");
        return 2;
      }
      const r = await lakeRetention(lake, days);
      io.out(`retention ${days} days: removed ${r.days.length} days (${r.days.join(", ") || "none"}), ${r.objects} files`);
      return 0;
    }
    const report = await compactDay(lake, {
      date: p.date!,
      ...(p.datasets.length ? { datasets: p.datasets } : {}),
      log: getLogger(["tickflow", "ops", "lake"]),
    });
    io.out(
      `compacted ${p.date}: ${report.partitions} partitions, ${report.filesIn} files → ${report.filesOut}, ` +
        `${report.rows} rows` + (report.leftovers ? `, ${report.leftovers} leftover files removed` : ""),
    );
    for (const f of report.failed) io.err(`failed: ${f.partition}: ${f.error}`);
    return report.failed.length ? 1 : 0;
  } catch (e) {
    if (isConfigError(e) || isQueryError(e) || e instanceof RangeError || (e as Error).name === "LakeUrlError") {
      io.err(`tickflow lake: ${(e as Error).message}`);
      return p.command === "query" && isQueryError(e) ? 1 : 2;
    }
    io.err(`tickflow lake ${p.command} failed: ${(e as Error).message}`);
    return 1;
  }
}
