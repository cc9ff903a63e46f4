/**
 * What the reference servers share: the publish pattern (N rooms × R messages/s, each
 * message serialised once in the edge's wire format), the CPU/RSS accounting reported
 * at GET /stats (POST /reset starts a measurement window once the clients are in),
 * and the CLI flags.
 */
import { DEFAULT_SYMBOLS } from "../../load/lib/rooms.js";
import { benchArgs } from "../args.ts";

export type PublishOptions = {
  /** Rooms published (ticker.<SYMBOL> names, so the k6 scripts can subscribe to them). */
  rooms: number;
  /** Messages per second per room. */
  rate: number;
  /** Extra bytes of payload per message. */
  payloadBytes: number;
};

export type ServerOptions = PublishOptions & { port: number; host: string };

/** Stats a reference server reports; per-message figures cover the window since the last reset. */
export type ServerStats = {
  server: string;
  connections: number;
  /** Messages handed to sockets (subscribers × published) in the window. */
  delivered: number;
  windowSec: number;
  cpuUs: number;
  cpuUsPerDelivered: number;
  rssBytes: number;
  baselineRssBytes: number;
  /** (RSS − RSS before any client) / connections. */
  rssPerConnectionBytes: number;
};

export function roomNames(n: number): string[] {
  const syms: string[] = DEFAULT_SYMBOLS;
  return Array.from({ length: n }, (_, i) => `ticker.${syms[i] ?? `SYM${i}-USD`}`);
}

/** Serialises one update per room per tick; the caller delivers it. */
export function publisher(o: PublishOptions, deliver: (room: string, text: string) => void): () => void {
  const rooms = roomNames(o.rooms);
  const seq = new Map(rooms.map((r) => [r, 0]));
  const pad = "x".repeat(o.payloadBytes);
  const timer = setInterval(() => {
    const ts = Date.now();
    for (const room of rooms) {
      const n = seq.get(room)! + 1;
      seq.set(room, n);
      deliver(room, `{"type":"update","room":"${room}","seq":${n},"ts":${ts},"data":{"price":${100 + (n % 50)},"pad":"${pad}"}}`);
    }
  }, 1000 / o.rate);
  return () => clearInterval(timer);
}

export class StatsMeter {
  private baselineRss = process.memoryUsage.rss();
  private cpu0 = process.cpuUsage();
  private t0 = performance.now();
  delivered = 0;

  constructor(private readonly server: string) {}

  reset(): void {
    this.cpu0 = process.cpuUsage();
    this.t0 = performance.now();
    this.delivered = 0;
  }

  read(connections: number): ServerStats {
    const cpu = process.cpuUsage(this.cpu0);
    const cpuUs = cpu.user + cpu.system;
    const rss = process.memoryUsage.rss();
    return {
      server: this.server,
      connections,
      delivered: this.delivered,
      windowSec: (performance.now() - this.t0) / 1000,
      cpuUs,
      cpuUsPerDelivered: this.delivered ? cpuUs / this.delivered : 0,
      rssBytes: rss,
      baselineRssBytes: this.baselineRss,
      rssPerConnectionBytes: connections ? (rss - this.baselineRss) / connections : 0,
    };
  }
}

export function parseServerArgs(argv: string[]): ServerOptions {
  const args = benchArgs({ strings: ["port", "host", "rooms", "rate", "payload"] }, argv);
  const get = (name: "port" | "rooms" | "rate" | "payload", dflt: number) => {
    const raw = args.get(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} needs a number ≥ 0, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    port: get("port", 0),
    host: args.str("host", "127.0.0.1"),
    rooms: Math.max(1, get("rooms", 10)),
    rate: Math.max(0.1, get("rate", 10)),
    payloadBytes: get("payload", 100),
  };
}

/** Standalone mode: print where we listen, report to stdout on SIGTERM, exit 0. */
export function runStandalone(name: string, start: (o: ServerOptions) => Promise<{ port: number; stats(): ServerStats; close(): Promise<void> }>): void {
  const o = parseServerArgs(process.argv.slice(2));
  void start(o).then((s) => {
    process.stdout.write(`${JSON.stringify({ server: name, ...o, port: s.port, pid: process.pid })}\n`);
    const stop = () => {
      process.stdout.write(`${JSON.stringify(s.stats())}\n`);
      void s.close().then(() => process.exit(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
