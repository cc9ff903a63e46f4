/**
 * `GET /replay?from=T1&to=T2[&symbols=A,B]`: the ticks of a past range from the local
 * lake (EDGE_LAKE_DIR), as NDJSON: one `ticker.all` room update per 100 ms of lake time,
 * in the live wire format (lib/lake/replay.ts), streamed as DuckDB reads them, not
 * paced. `tickflow replay` publishes the same windows paced, for the dashboard.
 *
 * T is an ISO time or epoch milliseconds. A bad query answers 400 with the reason;
 * more than MAX_STREAMS replays at once answer 429 (each holds a DuckDB scan).
 */
import { checkReplayQuery } from "../../lib/lake/replay-query.ts";
import type { HttpReply } from "../core/transport.ts";

/** Replays streamed at once by one edge process. */
export const MAX_STREAMS = 2;

const bad = (status: number, error: string): HttpReply => ({
  status,
  headers: [["Content-Type", "application/json"], ["Cache-Control", "no-store"]],
  body: JSON.stringify({ error }) + "\n",
});

function time(name: string, v: string | null): Date {
  if (v === null || v === "") throw new RangeError(`${name} is required (ISO time or epoch ms)`);
  const d = /^\d+$/.test(v) ? new Date(Number(v)) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${name} must be an ISO time or epoch ms, got ${JSON.stringify(v)}`);
  return d;
}

/** The `/replay` handler over the lake at `lakeDir`. */
export function replayRoute(lakeDir: string): (query: string, method: string) => HttpReply {
  let running = 0;
  return (query, method) => {
    const p = new URLSearchParams(query);
    let q;
    try {
      q = {
        from: time("from", p.get("from")),
        to: time("to", p.get("to")),
        symbols: (p.get("symbols") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      };
      checkReplayQuery(q);
    } catch (e) {
      return bad(400, (e as Error).message);
    }
    const headers: Array<[string, string]> = [["Content-Type", "application/x-ndjson"], ["Cache-Control", "no-store"]];
    if (method === "HEAD") return { status: 200, headers, body: "" };
    if (running >= MAX_STREAMS) return bad(429, `at most ${MAX_STREAMS} replays at once on this edge; try again later`);
    running++;
    // DuckDB is loaded on the first replay only: the edge's hot path never needs it.
    const lines = async function* () {
      try {
        const { replayNdjson } = await import("../../lib/lake/replay.ts");
        yield* replayNdjson(lakeDir, q);
      } finally {
        running--;
      }
    };
    return { status: 200, headers, body: "", stream: lines() };
  };
}
