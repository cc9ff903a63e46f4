/**
 * Serves the built dashboard (ui/dist) from memory: precompressed `.br`/`.gz`
 * siblings when the client accepts them, ETags, immutable caching for hashed assets
 * and `no-cache` for index.html, and extension-less paths fall back to index.html
 * (client-side routes). Files are read once and re-read when a request misses (at most
 * every 2 s), so a UI rebuilt while the edge runs is picked up without a restart.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { HttpReply, HttpRequest } from "../core/transport.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};
/** Vite names built assets `<name>-<hash>.<ext>`; those never change, so browsers may cache them forever. */
const HASHED = /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const MAX_TOTAL_BYTES = 64 << 20;
const RESCAN_MS = 2000;

interface Entry {
  body: Uint8Array;
  br?: Uint8Array;
  gz?: Uint8Array;
  type: string;
  etag: string;
  cache: string;
  mtimeMs: number;
}

export class StaticFiles {
  private files = new Map<string, Entry>();
  private lastScan = 0;

  constructor(readonly dir: string, private readonly now: () => number = Date.now) {
    this.scan();
  }

  get count(): number {
    return this.files.size;
  }

  /** Reply for a GET/HEAD of `path`, or undefined when nothing matches (caller answers 404). */
  serve(req: HttpRequest): HttpReply | undefined {
    let path = decodePath(req.path);
    if (path === undefined) return undefined;
    if (path.endsWith("/")) path += "index.html";
    let e = this.lookup(path);
    if (!e && !extname(path)) e = this.lookup("/index.html");
    if (!e) return undefined;
    const headers: Array<[string, string]> = [
      ["Content-Type", e.type],
      ["Cache-Control", e.cache],
      ["ETag", e.etag],
      ["Vary", "Accept-Encoding"],
    ];
    if (req.header("if-none-match") === e.etag) return { status: 304, headers, body: "" };
    const accept = req.header("accept-encoding");
    if (e.br && /\bbr\b/.test(accept)) return { status: 200, headers: [...headers, ["Content-Encoding", "br"]], body: e.br };
    if (e.gz && /\bgzip\b/.test(accept)) return { status: 200, headers: [...headers, ["Content-Encoding", "gzip"]], body: e.gz };
    return { status: 200, headers, body: e.body };
  }

  private lookup(path: string): Entry | undefined {
    const e = this.files.get(path);
    if (e) return e;
    if (this.now() - this.lastScan < RESCAN_MS) return undefined;
    this.scan();
    return this.files.get(path);
  }

  /** (Re)index the directory; unchanged files keep their bytes. A missing directory serves nothing. */
  scan(): void {
    this.lastScan = this.now();
    const next = new Map<string, Entry>();
    let total = 0;
    for (const file of walk(this.dir)) {
      if (file.endsWith(".br") || file.endsWith(".gz")) continue;
      const url = "/" + relative(this.dir, file).split(sep).join("/");
      let st;
      try {
        st = statSync(file);
      } catch {
        continue;
      }
      const old = this.files.get(url);
      if (old && old.mtimeMs === st.mtimeMs) {
        next.set(url, old);
        total += old.body.length;
        continue;
      }
      if (total + st.size > MAX_TOTAL_BYTES) break;
      const body = readOptional(file);
      if (!body) continue;
      total += body.length;
      const isIndex = url.endsWith(".html");
      next.set(url, {
        body,
        br: readOptional(file + ".br"),
        gz: readOptional(file + ".gz"),
        type: TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
        etag: `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`,
        cache: isIndex ? "no-cache" : HASHED.test(url) ? "public, max-age=31536000, immutable" : "public, max-age=300",
        mtimeMs: st.mtimeMs,
      });
    }
    this.files = next;
  }
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue;
    }
    if (isDir) yield* walk(p);
    else yield p;
  }
}

function readOptional(file: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** A decoded, normalised URL path, or undefined for paths that try to leave the root. */
function decodePath(raw: string): string | undefined {
  let p: string;
  try {
    p = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!p.startsWith("/") || p.includes("\0") || p.split("/").some((seg) => seg === "..")) return undefined;
  return p;
}
