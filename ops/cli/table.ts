/**
 * Plain-text tables for the ops CLI: column widths from the content, numbers
 * right-aligned. Cells may carry ANSI colour codes; widths count visible characters.
 */
const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, "").length;
const pad = (s: string, w: number, start: boolean): string => {
  const fill = " ".repeat(Math.max(0, w - visible(s)));
  return start ? fill + s : s + fill;
};

export function renderTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => visible(r[i] ?? ""))));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const fmt = (r: string[]) =>
    r.map((c, i) => pad(c, widths[i]!, numeric[i]!)).join("  ").trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...cells.map(fmt)].join("\n");
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
