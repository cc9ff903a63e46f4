/**
 * `ops lake`: query and compact the archive lake.
 *
 *   ops lake query "SELECT count(*) FROM ticks" [--json] [--lake URL]
 *   ops lake compact --date 2025-11-22 [--dataset ticks] [--lake URL]
 *
 * The lake is ARCHIVE_URL (a path, file:// or s3://bucket/prefix with the AWS_*
 * variables), or --lake. `lakeCommand(argv)` takes the arguments after `lake` and
 * returns the exit code: 0 ok, 1 failed, 2 bad usage.
 */
import { getLogger } from "@logtape/logtape";
import { isDatasetName, type DatasetName } from "../../actors/archiver/partition.ts";
import { isConfigError, readEnv } from "../../actors/config.ts";
import { compactDay } from "./compact.ts";
import { openLake } from "./lake.ts";
import { formatJson, formatTable, isQueryError, queryLake } from "./query.ts";

export { compactDay, type CompactReport } from "./compact.ts";
export { openLake, syncMirror, type Lake } from "./lake.ts";
export { formatJson, formatTable, queryLake } from "./query.ts";

export const LAKE_HELP = `Usage: tickflow lake <command> [options]

Commands:
  query "SQL" [--json]          Run DuckDB SQL over the lake. Views: ticks, book, bookdelta
                                (columns plus exchange, market, symbol, year, month, day, hour).
                                An S3 lake is mirrored into ARCHIVE_CACHE_DIR first.
  compact --date YYYY-MM-DD     Merge each hour partition's files of that day into one sorted
          [--dataset NAME]...   file (verified row counts, then the originals are deleted).

Options:
  --lake URL    Lake location (default ARCHIVE_URL, else ./data/lake): a path, file:///path
                or s3://bucket/prefix (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_S3_FORCE_PATH_STYLE,
                AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
  --json        Print query results as a JSON array of row objects.
  -h, --help    Show this help.

Examples:
  tickflow lake query "SELECT symbol, count(*) AS n FROM ticks GROUP BY symbol ORDER BY n DESC"
  tickflow lake query "SELECT * FROM book WHERE symbol = 'BTC-USDT' AND level = 0 LIMIT 5" --json
  tickflow lake compact --date 2025-11-22
`;

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
}

function parse(argv: string[]): Parsed {
  const p: Parsed = { positional: [], json: false, help: false, datasets: [] };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") p.help = true;
    else if (a === "--json") p.json = true;
    else if (a === "--lake") p.lake = value(i++, a);
    else if (a === "--date") p.date = value(i++, a);
    else if (a === "--dataset") {
      const d = value(i++, a);
      if (!isDatasetName(d)) throw new UsageError(`--dataset must be ticks, book or bookdelta, got ${JSON.stringify(d)}`);
      p.datasets.push(d);
    } else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else if (p.command === undefined) p.command = a;
    else p.positional.push(a);
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
    if (p.command === "query") {
      if (p.positional.length !== 1) throw new UsageError(`query takes one SQL string, got ${p.positional.length}`);
    } else if (p.command === "compact") {
      if (!p.date) throw new UsageError("compact needs --date YYYY-MM-DD");
      if (p.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}`);
    } else {
      throw new UsageError(`unknown command ${JSON.stringify(p.command)} (query or compact)`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`tickflow lake: ${e.message}\n\n${LAKE_HELP}`);
    return 2;
  }
  try {
    const lake = openLake(io.env ?? readEnv(), p.lake);
    if (p.command === "query") {
      const r = await queryLake(lake, p.positional[0]!);
      io.out(p.json ? formatJson(r) : formatTable(r));
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
