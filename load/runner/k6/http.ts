/**
 * `k6/http` (the subset the project's scripts need): request/get/post/put/del/head/
 * patch (synchronous, as in k6) and asyncRequest (a Promise). Records http_reqs,
 * http_req_duration and http_req_failed.
 */
import { parseDuration } from "../duration.ts";
import { registry } from "../registry.ts";
import { fetchSync, type SyncResponse } from "./sync-fetch.ts";

registry.define("http_reqs", "counter");
registry.define("http_req_duration", "trend", "time");
registry.define("http_req_failed", "rate");

type Params = { headers?: Record<string, string>; timeout?: string | number; tags?: Record<string, string> };
type Body = string | null | undefined | Record<string, unknown>;

class Response {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string>,
    readonly error: string,
    readonly timings: { duration: number },
  ) {}
  get error_code(): number {
    return this.error ? 1000 : this.status >= 400 ? 1000 + this.status : 0;
  }
  json(selector?: string): unknown {
    const v = JSON.parse(this.body) as unknown;
    if (!selector) return v;
    return selector.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
  }
}

function encodeBody(body: Body): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === "string") return body;
  return new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
}

function timeoutOf(p?: Params): number {
  return p?.timeout === undefined ? 60_000 : typeof p.timeout === "number" ? p.timeout : parseDuration(p.timeout);
}

function record(url: string, r: SyncResponse, ms: number, tags?: Record<string, string>): Response {
  registry.add("http_reqs", 1, tags);
  registry.add("http_req_duration", ms, tags);
  registry.add("http_req_failed", r.error || r.status === 0 || r.status >= 400 ? 1 : 0, tags);
  return new Response(url, r.status, r.body, r.headers, r.error ?? "", { duration: ms });
}

export function request(method: string, url: string, body?: Body, params?: Params): Response {
  const t = performance.now();
  const r = fetchSync({ method: method.toUpperCase(), url: String(url), body: encodeBody(body), headers: params?.headers, timeoutMs: timeoutOf(params) });
  return record(String(url), r, performance.now() - t, params?.tags);
}

export async function asyncRequest(method: string, url: string, body?: Body, params?: Params): Promise<Response> {
  const t = performance.now();
  let r: SyncResponse;
  try {
    const res = await fetch(String(url), {
      method: method.toUpperCase(),
      body: encodeBody(body),
      headers: params?.headers,
      signal: AbortSignal.timeout(timeoutOf(params)),
    });
    r = { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  } catch (e) {
    r = { status: 0, body: "", headers: {}, error: (e as Error).message };
  }
  return record(String(url), r, performance.now() - t, params?.tags);
}

export const get = (url: string, params?: Params) => request("GET", url, null, params);
export const head = (url: string, params?: Params) => request("HEAD", url, null, params);
export const del = (url: string, body?: Body, params?: Params) => request("DELETE", url, body, params);
export const post = (url: string, body?: Body, params?: Params) => request("POST", url, body, params);
export const put = (url: string, body?: Body, params?: Params) => request("PUT", url, body, params);
export const patch = (url: string, body?: Body, params?: Params) => request("PATCH", url, body, params);

export default { request, asyncRequest, get, head, del, post, put, patch };
