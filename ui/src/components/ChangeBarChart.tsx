/**
 * Bar chart comparing every coin's 24 h change, sorted. Created once; its arrays are
 * rewritten and drawn with update('none') at most once a second (500 bars at 10 Hz
 * would be noise to the eye and cost for the frame budget).
 */
import { createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import type { Chart as ChartT } from "chart.js";
import { Chart } from "../charts/setup.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { cssVar, theme } from "../theme.ts";

const EVERY_MS = 1000;
type Bar = { x: number; y: number };

export default function ChangeBarChart() {
  let canvas!: HTMLCanvasElement;
  let chart: ChartT<"bar", Bar[], string> | undefined;
  let last = 0;
  const [bars, setBars] = createSignal(0);

  // Two single-colour datasets (gainers, losers) instead of a colour per bar: chart.js
  // then resolves bar options once per dataset rather than once per bar.
  const refresh = () => {
    if (!chart) return;
    last = Date.now();
    const rows: Array<{ s: string; c: number }> = [];
    for (const q of app.market.quotes.values()) if (q.change24hPct !== undefined) rows.push({ s: q.symbol, c: q.change24hPct });
    rows.sort((a, b) => b.c - a.c);
    const [gain, lose] = chart.data.datasets;
    const g: Bar[] = [];
    const l: Bar[] = [];
    rows.forEach((r, i) => (r.c >= 0 ? g : l).push({ x: i, y: r.c }));
    chart.data.labels = rows.map((r) => r.s);
    gain!.data = g;
    lose!.data = l;
    chart.update("none");
    setBars(rows.length);
  };
  // chart.js caches resolved dataset options, so a theme change swaps in new dataset
  // objects (rare) instead of mutating the colours of the old ones.
  const datasets = (g: Bar[], l: Bar[]) => [
    { label: "gainers", data: g, backgroundColor: cssVar("--up"), borderWidth: 0, barPercentage: 1, categoryPercentage: 0.9, grouped: false },
    { label: "losers", data: l, backgroundColor: cssVar("--down"), borderWidth: 0, barPercentage: 1, categoryPercentage: 0.9, grouped: false },
  ];
  const colors = () => {
    if (!chart) return;
    const [gain, lose] = chart.data.datasets;
    chart.data.datasets = datasets(gain!.data, lose!.data);
    const s = chart.options.scales!;
    s.y!.grid!.color = cssVar("--grid");
    s.y!.ticks!.color = cssVar("--muted");
    refresh();
  };

  onMount(() => {
    chart = new Chart(canvas, {
      type: "bar",
      data: { labels: [], datasets: datasets([], []) },
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        scales: {
          x: { type: "category", ticks: { display: false }, grid: { display: false } },
          y: { type: "linear", ticks: { callback: (v) => fmt.pct(Number(v)) } },
        },
        plugins: {
          tooltip: { callbacks: { label: (ctx) => ` ${fmt.pct((ctx.raw as Bar).y)}` } },
        },
      },
    });
    colors();
    onCleanup(() => chart?.destroy());
  });
  createEffect(on(app.live.tick, () => { if (Date.now() - last >= EVERY_MS) refresh(); }, { defer: true }));
  createEffect(on(theme, () => colors(), { defer: true }));

  return (
    <section class="panel" aria-labelledby="bars-title">
      <h2 id="bars-title">24 h change, all coins <span class="muted small">({bars()})</span></h2>
      <div class="chart-box bars" data-bars={bars()}>
        <canvas ref={canvas} role="img" aria-label={`Bar chart of the 24 hour change of ${bars()} coins, highest first`} />
      </div>
    </section>
  );
}
