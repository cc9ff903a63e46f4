/**
 * Order book of a coin (room `book.<SYM>`): a ladder of the top 20 levels per side
 * (asks above, bids below, spread between) with the price grouping chosen here, and a
 * depth chart (cumulative size per side) drawn on a canvas. Venues without a book
 * (the Coinbase ticker feed) say so.
 */
import { For, Show, createEffect, createMemo, createSignal, onCleanup } from "solid-js";
import type { BookData } from "../../../lib/contracts/protocol.ts";
import { rooms } from "../../../lib/contracts/subjects.ts";
import { cumulative, group, stepChoices, type Level } from "../core/book.ts";
import * as fmt from "../core/format.ts";
import { app } from "../state/app.ts";
import { cssVar, theme } from "../theme.ts";
import { prefs } from "../state/prefs.ts";

export default function BookPanel(props: { symbol: string }) {
  const [book, setBook] = createSignal<BookData>();
  const [step, setStep] = createSignal(0);
  createEffect(() => {
    const w = app.watchRoom(rooms.book(props.symbol));
    setBook(undefined);
    createEffect(() => setBook(w.data() as BookData | undefined));
    onCleanup(() => w.release());
  });
  const mid = () => {
    const b = book();
    return b && b.bids[0] && b.asks[0] ? (b.bids[0][0] + b.asks[0][0]) / 2 : undefined;
  };
  const steps = createMemo(() => stepChoices(mid() ?? 0));
  const bids = createMemo(() => group(book()?.bids ?? [], step(), "bid").slice(0, 20));
  const asks = createMemo(() => group(book()?.asks ?? [], step(), "ask").slice(0, 20));
  const maxSize = createMemo(() => Math.max(1e-12, ...bids().map((l) => l[1]), ...asks().map((l) => l[1])));

  let canvas: HTMLCanvasElement | undefined;
  createEffect(() => {
    theme(); prefs.palette(); prefs.swap();
    drawDepth(canvas, cumulative(bids()), cumulative(asks()));
  });

  const row = (l: Level, side: "bid" | "ask") => (
    <tr class={side}>
      <td class="num" classList={{ up: side === "bid", down: side === "ask" }}>{fmt.price(l[0])}</td>
      <td class="num depth-cell" style={{ "--w": `${(l[1] / maxSize()) * 100}%` }}>{fmt.qty(l[1])}</td>
    </tr>
  );

  return (
    <section class="panel book" aria-labelledby="book-title">
      <div class="panel-head">
        <h3 id="book-title">Order book</h3>
        <Show when={steps().length}>
          <label class="small muted">Group
            <select class="select small" value={String(step())} onChange={(e) => setStep(Number(e.currentTarget.value))}>
              <option value="0">none</option>
              <For each={steps()}>{(s) => <option value={String(s)}>{fmt.price(s)}</option>}</For>
            </select>
          </label>
        </Show>
      </div>
      <Show when={book()} fallback={<p class="muted small">No order book for {props.symbol} (books come from Binance: try the -USDT symbol).</p>}>
        <canvas ref={canvas} class="depth" role="img" aria-label={`Depth chart of ${props.symbol}: cumulative bid and ask size`} height="120" />
        <table class="table compact ladder" data-testid="book-ladder">
          <caption class="sr-only">Top {asks().length} asks and {bids().length} bids</caption>
          <thead><tr><th scope="col" class="num">Price</th><th scope="col" class="num">Size</th></tr></thead>
          <tbody>
            <For each={[...asks()].reverse()}>{(l) => row(l, "ask")}</For>
            <tr class="spread"><td colSpan={2} class="muted small">Spread {fmt.price((book()!.asks[0]?.[0] ?? 0) - (book()!.bids[0]?.[0] ?? 0))} · {book()!.venue}</td></tr>
            <For each={bids()}>{(l) => row(l, "bid")}</For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}

/** Cumulative bid (left) and ask (right) size as two filled step areas. */
function drawDepth(canvas: HTMLCanvasElement | undefined, bids: Level[], asks: Level[]): void {
  if (!canvas || (!bids.length && !asks.length)) return;
  const w = (canvas.width = canvas.clientWidth * devicePixelRatio || 300);
  const h = (canvas.height = 120 * devicePixelRatio);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, w, h);
  const lo = bids.at(-1)?.[0] ?? asks[0]![0], hi = asks.at(-1)?.[0] ?? bids[0]![0];
  const top = Math.max(bids.at(-1)?.[1] ?? 0, asks.at(-1)?.[1] ?? 0) || 1;
  const x = (p: number) => ((p - lo) / (hi - lo || 1)) * w;
  const y = (q: number) => h - (q / top) * (h - 4);
  const area = (levels: Level[], color: string) => {
    if (!levels.length) return;
    ctx.beginPath();
    ctx.moveTo(x(levels[0]![0]), h);
    for (const [p, q] of levels) {
      ctx.lineTo(x(p), y(q));
    }
    ctx.lineTo(x(levels.at(-1)![0]), h);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
  };
  area(bids, cssVar("--up-bg"));
  area(asks, cssVar("--down-bg"));
}
