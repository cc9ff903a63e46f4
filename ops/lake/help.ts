/**
 * The help texts of `tickflow lake` and `tickflow replay`, apart from the commands so the
 * CLI can print every command's help without loading DuckDB or the lake code.
 */
export const LAKE_HELP = `Usage: tickflow lake <command> [options]

Commands:
  query "SQL" [--json]          Run DuckDB SQL over the lake. Views: ticks, book, bookdelta,
                                trades, gaps (columns plus date, hour, exchange; symbol and
                                market are columns). With --from/--to/--exchange only those
                                days' (and that venue's) files are read, and from S3 only those
                                objects are downloaded; otherwise an S3 lake is mirrored whole.
  export "SQL" --format F       Write a query's result as csv, parquet or ndjson to --out FILE
          [--out FILE]          (csv/ndjson: stdout without --out), streamed by DuckDB.
  compact --date YYYY-MM-DD     Merge each hour partition's files of that day into files of up
          [--dataset NAME]...   to ARCHIVE_FILE_BYTES, sorted by symbol and time (verified row
                                counts, then the originals are deleted).
  stats [--dataset NAME]...     Files, rows and bytes per partition.
  coverage --from T --to T      Per symbol: first and last tick, ticks, and the holes: silences
          [--symbol S]          longer than --max-silence (default 60s) and the venue sequence
          [--max-silence D]     gaps reported on md.gap.
  retention [--days N]          Delete days older than N days (default ARCHIVE_RETENTION_DAYS).

Options:
  --lake URL    Lake location (default ARCHIVE_URL, else ./data/lake): a path, file:///path
                or s3://bucket/prefix (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_S3_FORCE_PATH_STYLE,
                AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
  --json        Print query results as a JSON array of row objects.
  --from/--to   ISO times, e.g. 2025-11-22T06:00Z (or dates).
  -h, --help    Show this help.

Examples:
  tickflow lake query "SELECT symbol, count(*) AS n FROM ticks GROUP BY symbol ORDER BY n DESC"
  tickflow lake query "SELECT * FROM book WHERE symbol = 'BTC-USDT' AND level = 0 LIMIT 5" --json
  tickflow lake compact --date 2025-11-22
  tickflow lake export "SELECT * FROM trades" --from 2025-11-22 --to 2025-11-22 --format csv > trades.csv
  tickflow lake coverage --from 2025-11-22T00:00Z --to 2025-11-23T00:00Z --symbol BTC-USD
`;

export const REPLAY_HELP = `Usage: tickflow replay --from T1 --to T2 [--symbols A,B] [--speed 10] [--id ID]

Reads the ticks of [T1, T2) from the lake and republishes them as the live coalescer
did: every --interval (default 100ms) one ticker.<SYMBOL> update per symbol that ticked
and one ticker.all update, in the live wire format, to the rooms replay.<ID>.ticker.*.
Open the dashboard with ?replay=<ID> to watch it (marked as a replay). The edge's
GET /replay?from=&to=&symbols= streams the same windows as NDJSON without pacing.

Options:
  --from, --to T   ISO times, e.g. 2025-11-22T06:00Z (or dates)
  --symbols LIST   comma-separated symbols (default: all)
  --speed N        lake time per wall time (default 1; 10 plays 5 minutes in 30 s)
  --id ID          replay id, [a-z0-9]{1,16} (default: random)
  --interval D     wall time between publishes (default 100ms)
  --delay D        wait before the first publish (default 0), time to open the dashboard
  --lake URL       lake location (default ARCHIVE_URL, else ./data/lake)

NATS settings come from NATS_URL and the other NATS_* variables.`;
