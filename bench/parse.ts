/**
 * Reads the edge benchmark's printed results table (bench/edge/main.ts prints the markdown
 * table it writes to BENCHMARKS.md) and checks it against the edge budgets of
 * DESIGN.md, for the suite summary of bench/all.ts.
 */

export interface Budget {
  what: string;
  value: string;
  wanted: string;
  met?: boolean;
}

/** The rows of the first markdown table whose header starts with `| clients |`, keyed by column name. */
export function edgeStages(stdout: string): Array<Record<string, string>> {
  const lines = stdout.split("\n").map((l) => l.trim());
  const h = lines.findIndex((l) => /^\|\s*clients\s*\|/.test(l));
  if (h < 0) return [];
  const cells = (l: string) => l.replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const header = cells(lines[h]!);
  const rows: Array<Record<string, string>> = [];
  for (const l of lines.slice(h + 2)) {
    if (!l.startsWith("|")) break;
    const c = cells(l);
    rows.push(Object.fromEntries(header.map((k, i) => [k, c[i] ?? ""])));
  }
  return rows;
}

/** Edge budgets (DESIGN.md): every client held, p99 ≤ 50 ms, ≤ 2 µs CPU per delivered message, ≤ 6 KB RSS per connection. */
export function edgeBudgets(stages: Array<Record<string, string>>): Budget[] {
  const out: Budget[] = [];
  const num = (s: string | undefined) => (s === undefined || s === "" || s === "–" ? NaN : Number(s));
  const check = (what: string, v: number, wanted: string, ok: (x: number) => boolean, unit = "") =>
    out.push({ what, value: Number.isFinite(v) ? `${v}${unit}` : "n/a", wanted, met: Number.isFinite(v) ? ok(v) : undefined });
  for (const s of stages) {
    const n = num(s["clients"]);
    const at = `edge, ${n.toLocaleString("en-US")} clients`;
    check(`${at}: connections held`, num(s["held"]), `${n}`, (x) => x >= n);
    check(`${at}: delivery latency p99`, num(s["p99 ms"]), "≤ 50 ms", (x) => x <= 50, " ms");
    check(`${at}: CPU per delivered message`, num(s["edge CPU µs/msg"]), "≤ 2 µs", (x) => x <= 2, " µs");
    // "RSS KB/conn added" (per connection added since the previous stage; "–" where too
    // few were added to rise above heap noise); older reports say "RSS KB/conn".
    check(`${at}: RSS per connection`, num(s["RSS KB/conn added"] ?? s["RSS KB/conn"]), "≤ 6 KB", (x) => x <= 6, " KB");
  }
  return out;
}
