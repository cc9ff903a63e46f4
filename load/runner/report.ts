/**
 * `--out report.html`: a self-contained HTML report (inline SVG charts, no scripts from
 * a CDN), like k6's web-dashboard export: charts over time of latency percentiles,
 * VUs and sockets, messages/s, the runner's event-loop delay and the server's RSS/CPU,
 * then the thresholds and the end-of-test metrics. The raw series is embedded as JSON.
 */
import type { SeriesPoint } from "./series.ts";
import type { SummaryData, ThresholdResult } from "./summary.ts";
import { fmtBytes, fmtTime } from "../lib/summary.js";

type Line = { name: string; color: string; points: Array<[number, number]> };

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A round step for 4 grid intervals covering `v` (1, 2, 2.5 or 5 × 10^k). */
function niceStep(v: number): number {
  if (v <= 0) return 0.25;
  const raw = v / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** One line chart as inline SVG. */
export function lineChart(title: string, lines: Line[], fmtY: (v: number) => string): string {
  const W = 900, H = 270, L = 70, R = 20, T = 44, B = 30;
  const all = lines.flatMap((l) => l.points);
  if (all.length === 0) return "";
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = 4 * niceStep(Math.max(...all.map((p) => p[1])));
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const parts: string[] = [
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<text x="${L}" y="16" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${L - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#6b7280">${esc(fmtY(v))}</text>`);
    const xv = (xMax * i) / 4;
    parts.push(`<text x="${x(xv)}" y="${H - 10}" font-size="11" text-anchor="middle" fill="#6b7280">${xv.toFixed(xMax < 20 ? 1 : 0)}s</text>`);
  }
  lines.forEach((l, i) => {
    const pts = l.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.6" points="${pts}"><title>${esc(l.name)}</title></polyline>`);
    const lx = L + i * 120;
    parts.push(`<rect x="${lx}" y="27" width="12" height="4" fill="${l.color}"/><text x="${lx + 16}" y="33" font-size="11">${esc(l.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const num = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(v < 10 ? 1 : 0));

export type ReportInput = {
  script: string;
  startedAt: Date;
  exitCode: number;
  series: SeriesPoint[];
  summary: SummaryData;
  thresholds: ThresholdResult[];
  notes: string[];
};

export function renderReport(r: ReportInput): string {
  const s = r.series;
  const charts: string[] = [];
  const trendNames = [...new Set(s.flatMap((p) => Object.keys(p.trends)))];
  // Trends with thresholds first (the ones the test is about), then the rest.
  const withTh = new Set(r.thresholds.map((t) => t.key));
  const preferred = trendNames
    .filter((n) => !["iteration_duration", "ws_session_duration", "http_req_duration"].includes(n))
    .sort((a, b) => Number(withTh.has(b)) - Number(withTh.has(a)));
  for (const name of preferred.slice(0, 6)) {
    const pts = s.filter((p) => p.trends[name]?.count);
    const pick = (k: "p50" | "p90" | "p99" | "max"): Array<[number, number]> => pts.map((p) => [p.t, p.trends[name]![k]]);
    charts.push(
      lineChart(`${name} (per second)`, [
        { name: "p50", color: COLORS[2]!, points: pick("p50") },
        { name: "p90", color: COLORS[0]!, points: pick("p90") },
        { name: "p99", color: COLORS[1]!, points: pick("p99") },
        { name: "max", color: COLORS[6]!, points: pick("max") },
      ], (v) => fmtTime(v)),
    );
  }
  charts.push(
    lineChart("VUs and sockets", [
      { name: "VUs", color: COLORS[3]!, points: s.map((p) => [p.t, p.vus]) },
      { name: "open sockets", color: COLORS[0]!, points: s.map((p) => [p.t, p.sockets]) },
      { name: "connecting", color: COLORS[4]!, points: s.map((p) => [p.t, p.connecting]) },
      { name: "paused (slow)", color: COLORS[1]!, points: s.map((p) => [p.t, p.paused]) },
    ], num),
    lineChart("Messages per second", [
      { name: "received", color: COLORS[0]!, points: s.map((p) => [p.t, p.msgsInPerSec]) },
      { name: "sent", color: COLORS[4]!, points: s.map((p) => [p.t, p.msgsOutPerSec]) },
    ], num),
    lineChart("Runner event-loop delay (worst worker)", [
      { name: "p99", color: COLORS[1]!, points: s.map((p) => [p.t, p.lagP99Ms]) },
      { name: "max", color: COLORS[6]!, points: s.map((p) => [p.t, p.lagMaxMs]) },
    ], (v) => fmtTime(v)),
  );
  if (s.some((p) => p.serverRssBytes !== undefined)) {
    charts.push(lineChart("Server RSS", [{ name: "RSS", color: COLORS[5]!, points: s.filter((p) => p.serverRssBytes !== undefined).map((p) => [p.t, p.serverRssBytes!]) }], mib));
    charts.push(lineChart("Server CPU (% of one core)", [{ name: "CPU", color: COLORS[4]!, points: s.filter((p) => p.serverCpuPct !== undefined).map((p) => [p.t, p.serverCpuPct!]) }], (v) => `${v.toFixed(0)}%`));
  }
  charts.push(lineChart("Runner RSS (all workers)", [{ name: "RSS", color: COLORS[6]!, points: s.map((p) => [p.t, p.runnerRssBytes]) }], mib));

  const thRows = r.thresholds
    .map((t) => `<tr class="${t.ok ? "ok" : "bad"}"><td>${t.ok ? "✓" : "✗"}</td><td>${esc(t.key)}</td><td><code>${esc(t.source)}</code></td><td>${esc(fmtActual(r.summary, t))}</td></tr>`)
    .join("");
  const mRows = Object.entries(r.summary.metrics)
    .map(([name, m]) => `<tr><td>${esc(name)}</td><td>${m.type}</td><td>${esc(Object.entries(m.values).map(([k, v]) => `${k}=${fmtValue(m, k, v)}`).join("  "))}</td></tr>`)
    .join("");
  const passed = r.thresholds.every((t) => t.ok);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.script)} — load test report</title>
<style>body{font:14px system-ui,sans-serif;margin:24px auto;max-width:960px;color:#111}h1{font-size:20px}table{border-collapse:collapse;width:100%;margin:8px 0 24px}
td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}tr.bad td{color:#b91c1c}tr.ok td:first-child{color:#15803d}
.verdict{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;background:${passed ? "#15803d" : "#b91c1c"}}svg{margin:8px 0 16px;font-family:system-ui,sans-serif}</style></head><body>
<h1>${esc(r.script)} <span class="verdict">${passed ? "thresholds passed" : "thresholds failed"}</span></h1>
<p>Started ${esc(r.startedAt.toISOString())} · ran ${esc(fmtTime(r.summary.state.testRunDurationMs))} · exit code ${r.exitCode}</p>
${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<h2>Thresholds</h2><table><tr><th></th><th>metric</th><th>threshold</th><th>actual</th></tr>${thRows || "<tr><td colspan=4>none</td></tr>"}</table>
<h2>Over time</h2>${charts.join("\n")}
<h2>Metrics (whole test)</h2><table><tr><th>metric</th><th>type</th><th>values</th></tr>${mRows}</table>
<script type="application/json" id="series">${JSON.stringify(s).replace(/</g, "\\u003c")}</script>
</body></html>`;
}

function fmtValue(m: SummaryData["metrics"][string], k: string, v: number): string {
  if (m.type === "trend" && m.contains === "time" && k !== "count") return fmtTime(v);
  if (m.contains === "data" && k === "count") return fmtBytes(v);
  if (m.type === "rate" && k === "rate") return `${(v * 100).toFixed(2)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function fmtActual(summary: SummaryData, t: ThresholdResult): string {
  const m = summary.metrics[t.key];
  const agg = /^\s*([a-z]+(?:\([\d.]+\))?)/i.exec(t.source)?.[1] ?? "";
  return m ? `${agg}=${fmtValue(m, agg, t.actual)}` : String(t.actual);
}
