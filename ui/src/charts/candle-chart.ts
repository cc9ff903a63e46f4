/**
 * The chart.js side of CandleChart, free of Solid: the candle/crosshair plugin, the chart
 * (volume bars on their own axis, tooltip with OHLCV) and fitting the scales and the
 * volume dataset to a view window. The component owns the view state and the reactivity;
 * it hands this module a `CandleView` whose fields it mutates in place, so the plugin and
 * the axis callbacks always read the current candles, crosshair and span.
 */
import type { Chart as ChartT, Plugin } from "chart.js";
import type { CandleData } from "../../../lib/contracts/protocol.ts";
import { Chart } from "./setup.ts";
import * as fmt from "../core/format.ts";
import { cssVar } from "../theme.ts";

export const DAY = 86_400_000;

export interface Pt { x: number; y: number }
export type CandleChartT = ChartT<"bar", Pt[]>;

/** The view state the chart reads while drawing; the component mutates it in place. */
export interface CandleView {
  /** Candles held, oldest first (refreshed on each redraw). */
  list: CandleData[];
  /** Pointer position in canvas pixels, undefined when the pointer is off the chart. */
  cross: { x: number; y: number } | undefined;
  /** Visible span in ms (0 until the first redraw picks the default). */
  span: number;
  /** Candle interval in ms. */
  iv(): number;
  /** Timeframe name ("1m" … "1d"), for tick labels. */
  tf(): string;
  /** Told how many candles the last draw painted. */
  onDrawn(n: number): void;
}

/** Right edge that follows the latest candle: two intervals past its start, or now. */
export function latestEdge(list: readonly CandleData[], iv: number): number {
  const last = list.at(-1);
  return last ? last.start + iv * 2 : Date.now();
}

/** The candle whose period holds time `x`, if held. */
export function candleAt(view: CandleView, x: number): CandleData | undefined {
  const start = Math.floor(x / view.iv()) * view.iv();
  return view.list.find((k) => k.start === start);
}

/** Our own financial "controller": wick + body per candle, feed-down shading, crosshair. */
export function candlePlugin(view: CandleView): Plugin<"bar"> {
  return {
    id: "tfCandles",
    beforeDatasetsDraw(c) {
      view.onDrawn(drawCandles(c, view));
    },
    afterDraw(c) {
      if (view.cross) drawCross(c, view.cross);
    },
  };
}

/** Paints the candles in the x window, clipped to the chart area; returns how many. */
function drawCandles(c: ChartT, view: CandleView): number {
  const x = c.scales.x!, y = c.scales.y!;
  const ctx = c.ctx;
  const area = c.chartArea;
  const iv = view.iv;
  const w = Math.max(1, (x.getPixelForValue(iv()) - x.getPixelForValue(0)) * 0.7);
  const up = cssVar("--up"), down = cssVar("--down");
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
  ctx.clip();
  let n = 0;
  for (const k of view.list) {
    if (k.start + iv() < x.min || k.start > x.max) continue;
    const px = x.getPixelForValue(k.start + iv() / 2);
    if (k.down) {
      ctx.fillStyle = cssVar("--grid");
      ctx.fillRect(px - w / 1.4, area.top, w * 1.43, area.bottom - area.top);
    }
    if (k.empty || k.open === null || k.close === null || k.high === null || k.low === null) continue;
    const rising = k.close >= k.open;
    ctx.strokeStyle = ctx.fillStyle = rising ? up : down;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(Math.round(px) + 0.5, y.getPixelForValue(k.high));
    ctx.lineTo(Math.round(px) + 0.5, y.getPixelForValue(k.low));
    ctx.stroke();
    const top = y.getPixelForValue(Math.max(k.open, k.close));
    const h = Math.max(1, y.getPixelForValue(Math.min(k.open, k.close)) - top);
    ctx.fillRect(px - w / 2, top, w, h);
    n++;
  }
  ctx.restore();
  return n;
}

/** Dashed crosshair through the pointer, only inside the chart area. */
function drawCross(c: ChartT, cross: { x: number; y: number }): void {
  const ctx = c.ctx, a = c.chartArea;
  if (cross.x < a.left || cross.x > a.right || cross.y < a.top || cross.y > a.bottom) return;
  ctx.save();
  ctx.strokeStyle = cssVar("--muted");
  ctx.setLineDash([4, 4]);
  ctx.beginPath();
  ctx.moveTo(cross.x, a.top);
  ctx.lineTo(cross.x, a.bottom);
  ctx.moveTo(a.left, cross.y);
  ctx.lineTo(a.right, cross.y);
  ctx.stroke();
  ctx.restore();
}

/** Creates the chart on `canvas`: streaming settings (no parsing, no animation), empty data. */
export function createCandleChart(canvas: HTMLCanvasElement, view: CandleView): CandleChartT {
  return new Chart(canvas, {
    type: "bar",
    data: { datasets: [{ label: "volume", data: [], yAxisID: "v", barPercentage: 0.7, categoryPercentage: 1 }] },
    plugins: [candlePlugin(view)],
    options: {
      parsing: false,
      normalized: true,
      animation: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: { type: "linear", offset: false, ticks: { maxTicksLimit: 12, maxRotation: 0, callback: (v) => tickLabel(Number(v), view.tf()) },
          // Only round times: drop the unaligned ticks chart.js adds at the bounds.
          afterBuildTicks: (axis) => { axis.ticks = roundTicks(axis.min, axis.max, tickStep(view.span)); } },
        y: { type: "linear", position: "right", ticks: { callback: (v) => fmt.price(Number(v)) } },
        v: { type: "linear", display: false, min: 0 },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => {
              const k = candleAt(view, items[0]?.parsed.x ?? 0);
              return k ? `${fmt.dateTime(k.start)}${k.final ? "" : " (forming)"}` : "";
            },
            label: (item) => {
              const k = candleAt(view, item.parsed.x ?? 0);
              if (!k) return "";
              if (k.empty) return k.down ? " no data: feed down" : " no trades";
              return [` O ${fmt.price(k.open)}  H ${fmt.price(k.high)}`, ` L ${fmt.price(k.low)}  C ${fmt.price(k.close)}`, ` Vol ${fmt.qty(k.volume)}`];
            },
          },
        },
      },
    },
  });
}

/**
 * Fits the chart to the window [left, right]: x bounds and tick step, a price range that
 * leaves the bottom quarter to the volume bars, the volume bars of the candles in view;
 * then updates in place (`update("none")`).
 */
export function fitWindow(chart: CandleChartT, view: CandleView, left: number, right: number): void {
  const iv = view.iv;
  const x = chart.options.scales!.x!;
  x.min = left;
  x.max = right;
  let lo = Infinity, hi = -Infinity, vmax = 0;
  const vols: Pt[] = [];
  const volColors: string[] = [];
  const upC = cssVar("--up-bg"), downC = cssVar("--down-bg");
  for (const k of view.list) {
    if (k.start + iv() < left || k.start > right) continue;
    if (k.low !== null && k.low < lo) lo = k.low;
    if (k.high !== null && k.high > hi) hi = k.high;
    if (k.volume > vmax) vmax = k.volume;
    vols.push({ x: k.start + iv() / 2, y: k.volume });
    volColors.push((k.close ?? 0) >= (k.open ?? 0) ? upC : downC);
  }
  if (Number.isFinite(lo)) {
    const pad = (hi - lo) * 0.08 || hi * 0.001;
    // Leave the bottom quarter to the volume bars.
    chart.options.scales!.y!.min = lo - pad - (hi - lo + 2 * pad) / 3;
    chart.options.scales!.y!.max = hi + pad;
  }
  chart.options.scales!.v!.max = vmax * 4 || 1;
  chart.data.datasets[0]!.data = vols;
  chart.data.datasets[0]!.backgroundColor = volColors;
  (x.ticks as { stepSize?: number }).stepSize = tickStep(view.span);
  chart.update("none");
}

/** Grid and tick colours from the current theme (the caller redraws). */
export function applyThemeColors(chart: CandleChartT): void {
  for (const axis of ["x", "y"] as const) {
    chart.options.scales![axis]!.grid!.color = cssVar("--grid");
    chart.options.scales![axis]!.ticks!.color = cssVar("--muted");
  }
}

const STEPS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, DAY, 2 * DAY, 7 * DAY];
/** A round time step giving at most 8 labels over the span (multiples of it fall on whole hours/days). */
function tickStep(span: number): number {
  return STEPS.find((s) => span / s <= 8) ?? 14 * DAY;
}

/** Ticks on multiples of `step` (whole hours/days in UTC) between min and max. */
function roundTicks(min: number, max: number, step: number): { value: number }[] {
  const out: { value: number }[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max && out.length < 50; v += step) out.push({ value: v });
  return out;
}

function tickLabel(v: number, tf: string): string {
  if (tf === "1d" || v % DAY === 0) return fmt.date(v);
  return fmt.time(v, false);
}
