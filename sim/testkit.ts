/**
 * Test helpers for the simulator's tests: a WebSocket client that records every frame,
 * JSON over HTTP, and the exchange fixtures.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

/** The exchanges' documented messages: ../shared/fixtures/exchange beside the repository (FIXTURES_DIR overrides). */
export const FIXTURES = process.env.FIXTURES_DIR ?? join(import.meta.dirname, "..", "..", "shared", "fixtures", "exchange");

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}/${name}`, "utf8")) as T;
}

export interface Frame {
  at: number;
  text: string;
  json: unknown;
}

/** A `ws` client that keeps every text frame (parsed when it is JSON). */
export class Client {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code) => {
        this.closeCode = code;
        resolve(code);
      });
    });
    this.ws.on("error", () => {});
    this.ws.on("message", (d) => {
      const text = d.toString();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      this.frames.push({ at: Date.now(), text, json });
    });
  }

  static async open(url: string): Promise<Client> {
    const c = new Client(url);
    await c.opened;
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** Parsed frames matching `pred`. */
  all<T = Record<string, unknown>>(pred: (m: Record<string, unknown>) => boolean = () => true): T[] {
    return this.frames.filter((f) => f.json !== undefined && f.json !== null && pred(f.json as Record<string, unknown>)).map((f) => f.json as T);
  }

  /** Wait until at least `count` parsed frames match `pred`; returns them. */
  async waitFor<T = Record<string, unknown>>(pred: (m: Record<string, unknown>) => boolean, count = 1, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.all<T>(pred);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} frames (have ${got.length}); last: ${this.frames.at(-1)?.text}`);
      await sleep(10);
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function getJson<T = unknown>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export async function postJson<T = unknown>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as T };
}

/** True if `s` is a plain decimal number in a string ("1285.22", "-0.5"). */
export const isDecimal = (s: unknown) => typeof s === "string" && /^-?\d+(\.\d+)?$/.test(s);
