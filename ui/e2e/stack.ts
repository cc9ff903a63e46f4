/**
 * Shared pieces of the real-stack browser tests (real-stack, reconnect): the UI build,
 * a page that records the frames it sends and receives, grid readers and waits, the
 * edge's room subscriptions from its /metrics, the edge as a real child process that can
 * be killed with -9 and started again on the same port, and a publisher of ticker rooms
 * onto NATS in the coalescer's wire format (what the edge forwards, byte for byte).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient } from "@nats-io/jetstream";
import { publishRoom, publishRoomCore } from "../../edge/testing.ts";
import { rooms } from "../../lib/contracts/subjects.ts";
import type { TickerData } from "../../lib/contracts/protocol.ts";
import { freePort } from "../../test/nats-server.ts";
import { httpStatus, type Proc, type Procs, sleep, waitUntil } from "../../test/chaos/procs.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const UI_DIST = join(ROOT, "ui", "dist");

/** Build ui/dist if it is missing (ui/e2e/run.ts builds before the suites; a single file run may not have). */
export function ensureUiBuilt(): void {
  if (existsSync(join(UI_DIST, "index.html"))) return;
  const r = spawnSync("npx", ["vite", "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`vite build failed with ${r.status}`);
}

export interface Sent {
  op: string;
  rooms?: string[];
  since?: Record<string, number>;
}

export interface RecordingPage {
  page: Page;
  /** Client frames the page sent, parsed, over every socket it opened. */
  sent: Sent[];
  /** Room frames received, by room. */
  received: Map<string, number>;
  /** Raw text of every `error` frame received. */
  errors: string[];
  /** WebSockets the page opened (each connection attempt, failed ones too). */
  sockets: () => number;
  /** WebSockets that closed (or failed to open). */
  closed: () => number;
}

/** A page that records the frames it sends and the room updates it receives. */
export async function openRecordingPage(
  browser: Browser,
  url: string,
  opts: { width?: number; height?: number; clock?: boolean } = {},
): Promise<RecordingPage> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 }, colorScheme: "dark", locale: "en-US" });
  if (opts.clock) await ctx.clock.install(); // time flows normally until fast-forwarded
  const page = await ctx.newPage();
  const sent: Sent[] = [];
  const received = new Map<string, number>();
  const errors: string[] = [];
  let sockets = 0;
  let closed = 0;
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("websocket", (ws) => {
    sockets++;
    ws.on("close", () => void closed++);
    ws.on("framesent", (f) => {
      if (typeof f.payload === "string") sent.push(JSON.parse(f.payload) as Sent);
    });
    ws.on("framereceived", (f) => {
      if (typeof f.payload !== "string") return;
      if (f.payload.startsWith('{"type":"error"')) errors.push(f.payload);
      const room = /"room":"([^"]+)"/.exec(f.payload)?.[1];
      if (room) received.set(room, (received.get(room) ?? 0) + 1);
    });
  });
  await page.goto(url);
  return { page, sent, received, errors, sockets: () => sockets, closed: () => closed };
}

export const connected = (page: Page, timeout = 30_000) =>
  page.waitForFunction(() => document.querySelector("[role=status]")?.getAttribute("data-status") === "connected", null, { timeout });

/** Prices of the rendered grid rows, by symbol. */
export const gridPrices = (page: Page) =>
  page.locator(".grid-body .grid-row").evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute("data-symbol") ?? "", r.querySelector(".c-price")?.textContent ?? ""])));

/** Resolves when at least `n` of the given rows show a different price than in `before`. */
export const pricesMove = (page: Page, before: Record<string, string>, n: number, timeout = 20_000) =>
  page.waitForFunction(([prev, want]) => {
    let moved = 0;
    for (const row of document.querySelectorAll(".grid-body .grid-row")) {
      const sym = row.getAttribute("data-symbol") ?? "";
      const now = row.querySelector(".c-price")?.textContent;
      if (sym in prev && now && /\d/.test(now) && now !== prev[sym]) moved++;
    }
    return moved >= want;
  }, [before, n] as const, { timeout });

/** Rooms starting with `prefix` that the edge's /metrics lists with subscribers (needs EDGE_METRICS_TOP_ROOMS ≥ the room count). */
export async function subscribedRooms(baseUrl: string, prefix = "ticker."): Promise<Set<string>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out = new Set<string>();
  for (const m of text.matchAll(/^edge_room_subscribers\{[^}]*room="([^"]+)"[^}]*\}\s+(\S+)/gm)) {
    if (m[1]!.startsWith(prefix) && m[1] !== "ticker.all" && Number(m[2]) > 0) out.add(m[1]!);
  }
  return out;
}

/**
 * The edge as its own process (`node --import tsx edge/main.ts`, one worker), serving
 * ui/dist: `kill9()` is a crash, `restart()` starts a new process on the same port.
 */
export class EdgeProcess {
  proc: Proc | undefined;
  starts = 0;

  private constructor(
    private readonly procs: Procs,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(procs: Procs, natsUrl: string, env: Record<string, string> = {}): Promise<EdgeProcess> {
    const e = new EdgeProcess(procs, await freePort(), {
      NATS_URL: natsUrl, EDGE_HOST: "127.0.0.1", EDGE_WORKERS: "1", UI_DIST, LOG_LEVEL: "warning", EDGE_METRICS_TOP_ROOMS: "1000", ...env,
    });
    await e.restart();
    return e;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Start a new edge process on the same port; resolves when /healthz answers 200. */
  async restart(env: Record<string, string> = {}): Promise<void> {
    if (this.proc?.running) throw new Error("edge still running");
    const n = ++this.starts;
    const proc = this.procs.spawnTs(`edge-${n}`, "edge/main.ts", { ...this.env, EDGE_ID: `edge-ui-${n}`, EDGE_PORT: String(this.port), ...env });
    this.proc = proc;
    await waitUntil(`edge process ${n} healthy`, async () => {
      if (!proc.running) throw new Error(`edge process ${n} exited:\n${proc.tail()}`);
      return (await httpStatus(`${this.url}/healthz`)) === 200;
    }, 60_000, 100);
  }

  /** SIGKILL, like a crash: no going-away close frames; the sockets just drop. */
  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }
}

/**
 * Publishes `ticker.<SYM>` and `ticker.all` every `everyMs` with core NATS, as the
 * coalescer does (the ROOMS stream keeps the last of each for snapshots). Every step
 * moves every price by one cent; `last` is the last published price per symbol.
 */
export class TickerFeed {
  readonly last = new Map<string, number>();
  steps = 0;
  private paused = false;
  private running = true;
  private readonly done: Promise<void>;
  private readonly seqs = new Map<string, number>();

  constructor(private readonly nc: NatsConnection, readonly symbols: string[], everyMs = 100) {
    this.done = this.loop(everyMs);
  }

  private nextSeq(room: string): number {
    const s = (this.seqs.get(room) ?? 0) + 1;
    this.seqs.set(room, s);
    return s;
  }

  private step(): void {
    const now = Date.now();
    this.steps++;
    const tickers: TickerData[] = this.symbols.map((symbol, i) => {
      // Whole cents, ≥ 100: the grid shows exactly two decimals.
      const price = Math.round((100 + 10 * i) * 100 + this.steps) / 100;
      this.last.set(symbol, price);
      return { symbol, venue: "coinbase", price, bid: price - 0.01, ask: price + 0.01, open24h: 100 + 10 * i, volume24h: 1e6 - i, exchTs: now };
    });
    for (const t of tickers) publishRoomCore(this.nc, rooms.ticker(t.symbol), this.nextSeq(rooms.ticker(t.symbol)), t, now);
    publishRoomCore(this.nc, rooms.tickerAll, this.nextSeq(rooms.tickerAll), { tickers }, now);
  }

  private async loop(everyMs: number): Promise<void> {
    while (this.running) {
      if (!this.paused && !this.nc.isClosed()) {
        try {
          this.step();
        } catch { /* NATS reconnecting: the next step publishes the newer prices */ }
      }
      await sleep(everyMs);
    }
  }

  /** Stop publishing (prices freeze at `last`) until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * Publishes the `alerts` stream room through JetStream (stored in ROOMLOG, as the
 * ranker's are) with contiguous seqs 1, 2, …: alert N says "alert N". A publish without
 * an ack is retried with the same seq (and msgID), so the log never has a hole.
 * `acked` is the last seq stored.
 */
export class AlertFeed {
  acked = 0;
  private paused = false;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly js: JetStreamClient, everyMs = 500) {
    this.done = this.loop(everyMs);
  }

  private async loop(everyMs: number): Promise<void> {
    while (this.running) {
      if (!this.paused) {
        const seq = this.acked + 1;
        try {
          await publishRoom(this.js, rooms.alerts, seq, { id: `e2e-${seq}`, symbol: "R00-USD", kind: "test", message: `alert ${seq}`, at: Date.now() });
          this.acked = seq;
        } catch { /* no ack: the same seq again */ }
      }
      await sleep(everyMs);
    }
  }

  /** Resolves once `n` more alerts are stored. */
  async publishMore(n: number, timeoutMs = 20_000): Promise<void> {
    const target = this.acked + n;
    this.paused = false;
    await waitUntil(`${n} more alerts stored`, () => this.acked >= target, timeoutMs, 25);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
