/**
 * A coin's candlestick chart with volume bars, on chart.js: volume is a bar dataset on
 * its own axis (bottom quarter); the candles are drawn by a small plugin over the same
 * time axis (our own financial "controller": wick + body per candle, up/down colours
 * from the theme). A crosshair follows the pointer and the tooltip shows OHLCV.
 *
 * View window: the last 24 h at open (all of 1d), the forming candle at the right edge,
 * updated in place. Zoom with the wheel or +/−, pan by dragging or ←/→, Home (or a
 * double-click) goes back to following the latest candle. Reaching the oldest candle
 * held asks for the page before it. Empty periods stay gaps; periods when the venue's
 * feed was down are shaded.
 *
 * This file holds the view state, its reactivity and the input (keys, pointer); the
 * chart.js side (plugin, options, fitting the scales to the window) is charts/candle-chart.ts.
 */
import { createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import type { CandleSeries } from "../core/candles.ts";
import { DAY, applyThemeColors, createCandleChart, fitWindow, latestEdge, type CandleChartT, type CandleView } from "../charts/candle-chart.ts";
import { theme } from "../theme.ts";
import { prefs } from "../state/prefs.ts";

export const TF_MS: Record<string, number> = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000 };
const DRAW_MS = 200;

export default function CandleChart(props: { symbol: string; tf: string; series: CandleSeries; version: number; onNeedOlder?: () => void }) {
  let canvas!: HTMLCanvasElement;
  let chart: CandleChartT | undefined;
  const [drawn, setDrawn] = createSignal(0);
  /** Candles, crosshair and visible span (ms), read by the chart while it draws. */
  const view: CandleView = { list: [], cross: undefined, span: 0, iv: () => TF_MS[props.tf] ?? 60_000, tf: () => props.tf, onDrawn: setDrawn };
  /** Right edge of the view (undefined: follow the latest candle). */
  let end: number | undefined;
  let asked = -1;

  const iv = view.iv;
  const defaultSpan = () => (props.tf === "1d" ? 40 * DAY : DAY);

  const redraw = () => {
    if (!chart) return;
    view.list = props.series.list();
    const right = end ?? latestEdge(view.list, iv());
    if (!view.span) view.span = defaultSpan();
    const left = right - view.span;
    fitWindow(chart, view, left, right);
    const first = view.list[0];
    if (first && left < first.start && asked !== first.start) {
      asked = first.start;
      props.onNeedOlder?.();
    }
  };

  let lastDraw = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const redrawSoon = () => {
    if (pending) return;
    pending = setTimeout(() => { pending = undefined; lastDraw = Date.now(); redraw(); }, Math.max(0, lastDraw + DRAW_MS - Date.now()));
  };
  onCleanup(() => clearTimeout(pending));

  const colors = () => {
    if (!chart) return;
    applyThemeColors(chart);
    redraw();
  };

  const zoom = (factor: number, at?: number) => {
    const right = end ?? latestEdge(view.list, iv());
    const anchor = at ?? right;
    const next = Math.min(Math.max(view.span * factor, iv() * 20), 60 * DAY);
    const newRight = anchor + (right - anchor) * (next / view.span);
    view.span = next;
    end = end === undefined && at === undefined ? undefined : newRight;
    redraw();
  };
  const pan = (ms: number) => {
    const latest = latestEdge(view.list, iv());
    const right = (end ?? latest) + ms;
    end = right >= latest ? undefined : right;
    redraw();
  };
  const reset = () => { view.span = defaultSpan(); end = undefined; redraw(); };

  onMount(() => {
    chart = createCandleChart(canvas, view);
    colors();
    bindPointer(canvas, chart, view, { zoom, pan, reset });
    onCleanup(() => chart?.destroy());
  });

  const onKey = (e: KeyboardEvent) => {
    const k = e.key;
    if (k === "+" || k === "=") zoom(1 / 1.5);
    else if (k === "-" || k === "_") zoom(1.5);
    else if (k === "ArrowLeft") pan(-view.span / 5);
    else if (k === "ArrowRight") pan(view.span / 5);
    else if (k === "Home") reset();
    else return;
    e.preventDefault();
  };

  createEffect(on(() => [props.symbol, props.tf], () => { view.span = defaultSpan(); end = undefined; asked = -1; redraw(); }, { defer: true }));
  createEffect(on(() => props.version, () => redrawSoon(), { defer: true }));
  createEffect(on(() => [theme(), prefs.palette(), prefs.swap()], () => colors(), { defer: true }));

  return (
    <div class="chart-box candles" data-points={drawn()} data-testid="candle-chart" tabIndex={0} onKeyDown={onKey}
      aria-label={`${props.symbol} ${props.tf} candles. Plus and minus zoom, arrow keys pan, Home shows the latest.`}>
      <canvas ref={canvas} role="img" aria-label={`Candlestick chart of ${props.symbol}, ${props.tf} candles with volume`} />
    </div>
  );
}

/**
 * Pointer input on the canvas: the crosshair follows the pointer, dragging pans, the
 * wheel zooms about the pointer, a double-click goes back to the latest candle. The
 * listeners live as long as the canvas (the chart is destroyed with the component).
 */
function bindPointer(canvas: HTMLCanvasElement, chart: CandleChartT, view: CandleView,
  nav: { zoom(factor: number, at?: number): void; pan(ms: number): void; reset(): void }): void {
  let drag: number | undefined;
  const move = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    view.cross = { x: e.clientX - r.left, y: e.clientY - r.top };
    if (drag) {
      const xs = chart.scales.x!;
      nav.pan((xs.getValueForPixel(drag) ?? 0) - (xs.getValueForPixel(e.clientX - r.left) ?? 0));
      drag = e.clientX - r.left;
    } else chart.draw();
  };
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerleave", () => { view.cross = undefined; drag = undefined; chart?.draw(); });
  canvas.addEventListener("pointerdown", (e) => { drag = e.clientX - canvas.getBoundingClientRect().left; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointerup", () => { drag = undefined; });
  canvas.addEventListener("dblclick", nav.reset);
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    nav.zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, chart.scales.x!.getValueForPixel(e.clientX - r.left) ?? undefined);
  }, { passive: false });
}
