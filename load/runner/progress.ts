/**
 * Live progress like k6's: one updating line on a TTY (VUs, open sockets, messages/s,
 * current p99, the runner's own event-loop delay, time left); a plain line every 5 s
 * when stdout is not a terminal (CI logs, tests).
 */
import { formatDuration } from "./duration.ts";
import type { SeriesPoint } from "./series.ts";

const fmtRate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const fmtMs = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n.toFixed(n < 10 ? 2 : 1)}ms`);

export class Progress {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly tty: boolean,
    private readonly plannedMs: number,
    private readonly vusMax: number,
    private readonly trend: string | undefined,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  line(p: SeriesPoint, elapsedMs: number): string {
    const left = Math.max(0, this.plannedMs - elapsedMs);
    const parts = [
      `running (${formatDuration(elapsedMs)}/${formatDuration(this.plannedMs)})`,
      `${p.vus}/${this.vusMax} VUs`,
      `${p.sockets} sockets${p.connecting ? ` (+${p.connecting} connecting)` : ""}${p.paused ? ` ${p.paused} paused` : ""}`,
      `${fmtRate(p.msgsInPerSec)} msg/s`,
    ];
    const tp = this.trend ? p.trends[this.trend] : undefined;
    if (this.trend) parts.push(`${this.trend} p99 ${tp && tp.count ? fmtMs(tp.p99) : "-"}`);
    parts.push(`runner lag p99 ${fmtMs(p.lagP99Ms)}`);
    if (p.serverRssBytes !== undefined) parts.push(`server ${(p.serverRssBytes / 2 ** 20).toFixed(0)} MiB`);
    parts.push(`${Math.ceil(left / 1000)}s left`);
    return parts.join(", ");
  }

  update(p: SeriesPoint, elapsedMs: number): void {
    const text = this.line(p, elapsedMs);
    if (this.tty) {
      const width = this.out.columns ?? 200;
      this.out.write(`\r\x1b[K${text.slice(0, width - 1)}`);
      this.drawn = true;
    } else if (elapsedMs - this.lastPlain >= 5000) {
      this.lastPlain = elapsedMs;
      this.out.write(`${text}\n`);
    }
  }

  /** Leave the line (so the summary starts on a fresh one). */
  finish(): void {
    if (this.tty && this.drawn) this.out.write("\n");
  }
}
