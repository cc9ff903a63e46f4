/**
 * A coin's live line chart: 1-minute candle closes (history replayed with since 0,
 * then live) plus the live price of the last minutes. Created once per mount and
 * updated in place with update('none'); animation off, parsing off, decimation on.
 */
import { createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import type { Chart as ChartT } from "chart.js";
import { Chart } from "../charts/setup.ts";
import type { CandleSeries, Point } from "../core/candles.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { cssVar, theme } from "../theme.ts";

const LIVE_POINTS = 1200;
const DRAW_MS = 200;

export default function PriceChart(props: { symbol: string; series: CandleSeries; version: number }) {
  let canvas!: HTMLCanvasElement;
  let chart: ChartT<"line", Point[]> | undefined;
  let live: Point[] = [];
  let lastPrice: number | undefined;
  const [points, setPoints] = createSignal(0);

  // Live ticks arrive up to 10 times a second; drawing ~5 times a second looks as live
  // and halves the chart's share of the frame budget.
  let lastDraw = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const redrawSoon = () => {
    if (pending) return;
    pending = setTimeout(() => { pending = undefined; redraw(); }, Math.max(0, lastDraw + DRAW_MS - Date.now()));
  };
  onCleanup(() => clearTimeout(pending));

  const redraw = () => {
    if (!chart) return;
    lastDraw = Date.now();
    const closes = props.series.closes();
    chart.data.datasets[0]!.data = closes;
    chart.data.datasets[1]!.data = live;
    // Fit the time axis to the data (a linear scale would round out to "nice" bounds).
    const x = chart.options.scales!.x!;
    const first = closes[0]?.x ?? live[0]?.x;
    const lastX = live.at(-1)?.x ?? closes.at(-1)?.x;
    x.min = first;
    x.max = lastX !== undefined && closes.at(-1) ? Math.max(lastX, closes.at(-1)!.x) : lastX;
    chart.update("none");
    setPoints(closes.length + live.length);
  };

  const colors = () => {
    if (!chart) return;
    const [c, l] = chart.data.datasets;
    c!.borderColor = cssVar("--accent");
    c!.backgroundColor = cssVar("--accent-fill");
    l!.borderColor = cssVar("--live");
    for (const axis of ["x", "y"] as const) {
      chart.options.scales![axis]!.grid!.color = cssVar("--grid");
      chart.options.scales![axis]!.ticks!.color = cssVar("--muted");
    }
    redraw();
  };

  onMount(() => {
    chart = new Chart(canvas, {
      type: "line",
      data: { datasets: [
        { label: "1m close", data: [], borderWidth: 1.5, pointRadius: 0, fill: "origin", tension: 0 },
        { label: "live", data: [], borderWidth: 1.5, pointRadius: 0, tension: 0 },
      ] },
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { type: "linear", ticks: { maxTicksLimit: 8, callback: (v) => fmt.time(Number(v), false) } },
          y: { type: "linear", ticks: { callback: (v) => fmt.price(Number(v)) } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: "lttb", samples: 400 },
          tooltip: { callbacks: { title: (items) => fmt.time(items[0]?.parsed.x ?? 0), label: (ctx) => ` ${ctx.dataset.label}: ${fmt.price(ctx.parsed.y)}` } },
        },
      },
    });
    colors();
    onCleanup(() => chart?.destroy());
  });

  // A new symbol: start the live line afresh.
  createEffect(on(() => props.symbol, () => { live = []; lastPrice = undefined; redraw(); }, { defer: true }));
  // Candle history/updates arrive in batches of at most one per render interval.
  createEffect(on(() => props.version, () => redrawSoon(), { defer: true }));
  // Live price: one point per render interval when it moved.
  createEffect(on(() => app.live.version(props.symbol), () => {
    const q = app.market.quotes.get(props.symbol);
    if (!q || q.price === lastPrice) return;
    lastPrice = q.price;
    live.push({ x: q.exchTs, y: q.price });
    if (live.length > LIVE_POINTS) live = live.slice(-LIVE_POINTS);
    redrawSoon();
  }));
  createEffect(on(theme, () => colors(), { defer: true }));

  return (
    <>
      <div class="chart-box line" data-points={points()} data-testid="price-chart">
        <canvas ref={canvas} role="img" aria-label={`Price of ${props.symbol}: one-minute closes and live price`} />
      </div>
      <p class="legend small muted" aria-hidden="true">
        <span class="swatch close" /> 1-minute close <span class="swatch live" /> live price
      </p>
    </>
  );
}
