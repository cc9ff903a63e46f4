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
 */
import { createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import type { Chart as ChartT, Plugin } from "chart.js";
import type { CandleData } from "../../../lib/contracts/protocol.ts";
import { Chart } from "../charts/setup.ts";
import type { CandleSeries } from "../core/candles.ts";
import * as fmt from "../core/format.ts";
import { cssVar, theme } from "../theme.ts";
import { prefs } from "../state/prefs.ts";

export const TF_MS: Record<string, number> = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000 };
const DAY = 86_400_000;
const DRAW_MS = 200;

interface Pt { x: number; y: number }

export default function CandleChart(props: { symbol: string; tf: string; series: CandleSeries; version: number; onNeedOlder?: () => void }) {
  let canvas!: HTMLCanvasElement;
  let chart: ChartT<"bar", Pt[]> | undefined;
  const [drawn, setDrawn] = createSignal(0);
  /** Visible span (ms) and right edge (undefined: follow the latest candle). */
  let span = 0;
  let end: number | undefined;
  let list: CandleData[] = [];
  let cross: { x: number; y: number } | undefined;
  let asked = -1;

  const iv = () => TF_MS[props.tf] ?? 60_000;
  const defaultSpan = () => (props.tf === "1d" ? 40 * DAY : DAY);

  const candlePlugin: Plugin<"bar"> = {
    id: "tfCandles",
    beforeDatasetsDraw(c) {
      const x = c.scales.x!, y = c.scales.y!;
      const ctx = c.ctx;
      const area = c.chartArea;
      const w = Math.max(1, (x.getPixelForValue(iv()) - x.getPixelForValue(0)) * 0.7);
      const up = cssVar("--up"), down = cssVar("--down");
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      let n = 0;
      for (const k of list) {
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
      setDrawn(n);
    },
    afterDraw(c) {
      if (!cross) return;
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
    },
  };

  const candleAt = (x: number) => {
    const start = Math.floor(x / iv()) * iv();
    return list.find((k) => k.start === start);
  };

  const redraw = () => {
    if (!chart) return;
    list = props.series.list();
    const last = list.at(-1);
    const right = end ?? (last ? last.start + iv() * 2 : Date.now());
    if (!span) span = defaultSpan();
    const left = right - span;
    const x = chart.options.scales!.x!;
    x.min = left;
    x.max = right;
    let lo = Infinity, hi = -Infinity, vmax = 0;
    const vols: Pt[] = [];
    const volColors: string[] = [];
    const upC = cssVar("--up-bg"), downC = cssVar("--down-bg");
    for (const k of list) {
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
    (x.ticks as { stepSize?: number }).stepSize = tickStep(span);
    chart.update("none");
    if (list[0] && left < list[0].start && asked !== list[0].start) {
      asked = list[0].start;
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
    for (const axis of ["x", "y"] as const) {
      chart.options.scales![axis]!.grid!.color = cssVar("--grid");
      chart.options.scales![axis]!.ticks!.color = cssVar("--muted");
    }
    redraw();
  };

  const zoom = (factor: number, at?: number) => {
    const last = list.at(-1);
    const right = end ?? (last ? last.start + iv() * 2 : Date.now());
    const anchor = at ?? right;
    const next = Math.min(Math.max(span * factor, iv() * 20), 60 * DAY);
    const newRight = anchor + (right - anchor) * (next / span);
    span = next;
    end = end === undefined && at === undefined ? undefined : newRight;
    redraw();
  };
  const pan = (ms: number) => {
    const last = list.at(-1);
    const latest = last ? last.start + iv() * 2 : Date.now();
    const right = (end ?? latest) + ms;
    end = right >= latest ? undefined : right;
    redraw();
  };
  const reset = () => { span = defaultSpan(); end = undefined; redraw(); };

  onMount(() => {
    chart = new Chart(canvas, {
      type: "bar",
      data: { datasets: [{ label: "volume", data: [], yAxisID: "v", barPercentage: 0.7, categoryPercentage: 1 }] },
      plugins: [candlePlugin],
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { type: "linear", offset: false, ticks: { maxTicksLimit: 12, maxRotation: 0, callback: (v) => tickLabel(Number(v), props.tf) },
            // Only round times: drop the unaligned ticks chart.js adds at the bounds.
            afterBuildTicks: (axis) => { axis.ticks = roundTicks(axis.min, axis.max, tickStep(span)); } },
          y: { type: "linear", position: "right", ticks: { callback: (v) => fmt.price(Number(v)) } },
          v: { type: "linear", display: false, min: 0 },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items) => {
                const k = candleAt(items[0]?.parsed.x ?? 0);
                return k ? `${fmt.dateTime(k.start)}${k.final ? "" : " (forming)"}` : "";
              },
              label: (item) => {
                const k = candleAt(item.parsed.x ?? 0);
                if (!k) return "";
                if (k.empty) return k.down ? " no data: feed down" : " no trades";
                return [` O ${fmt.price(k.open)}  H ${fmt.price(k.high)}`, ` L ${fmt.price(k.low)}  C ${fmt.price(k.close)}`, ` Vol ${fmt.qty(k.volume)}`];
              },
            },
          },
        },
      },
    });
    colors();
    const move = (e: PointerEvent) => {
      const r = canvas.getBoundingClientRect();
      cross = { x: e.clientX - r.left, y: e.clientY - r.top };
      if (drag) {
        const xs = chart!.scales.x!;
        pan((xs.getValueForPixel(drag) ?? 0) - (xs.getValueForPixel(e.clientX - r.left) ?? 0));
        drag = e.clientX - r.left;
      } else chart!.draw();
    };
    let drag: number | undefined;
    canvas.addEventListener("pointermove", move);
    canvas.addEventListener("pointerleave", () => { cross = undefined; drag = undefined; chart?.draw(); });
    canvas.addEventListener("pointerdown", (e) => { drag = e.clientX - canvas.getBoundingClientRect().left; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener("pointerup", () => { drag = undefined; });
    canvas.addEventListener("dblclick", reset);
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, chart!.scales.x!.getValueForPixel(e.clientX - r.left) ?? undefined);
    }, { passive: false });
    onCleanup(() => chart?.destroy());
  });

  const onKey = (e: KeyboardEvent) => {
    const k = e.key;
    if (k === "+" || k === "=") zoom(1 / 1.5);
    else if (k === "-" || k === "_") zoom(1.5);
    else if (k === "ArrowLeft") pan(-span / 5);
    else if (k === "ArrowRight") pan(span / 5);
    else if (k === "Home") reset();
    else return;
    e.preventDefault();
  };

  createEffect(on(() => [props.symbol, props.tf], () => { span = defaultSpan(); end = undefined; asked = -1; redraw(); }, { defer: true }));
  createEffect(on(() => props.version, () => redrawSoon(), { defer: true }));
  createEffect(on(() => [theme(), prefs.palette(), prefs.swap()], () => colors(), { defer: true }));

  return (
    <div class="chart-box candles" data-points={drawn()} data-testid="candle-chart" tabIndex={0} onKeyDown={onKey}
      aria-label={`${props.symbol} ${props.tf} candles. Plus and minus zoom, arrow keys pan, Home shows the latest.`}>
      <canvas ref={canvas} role="img" aria-label={`Candlestick chart of ${props.symbol}, ${props.tf} candles with volume`} />
    </div>
  );
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
