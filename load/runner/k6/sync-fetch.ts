/**
 * Synchronous HTTP for `k6/http` (whose get/post/request block the calling VU in k6):
 * a helper thread does the fetch while this thread waits on Atomics.wait, then the
 * answer is taken with receiveMessageOnPort. It blocks the whole runner process for
 * the duration of the request, so scripts should prefer http.asyncRequest.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";

export type SyncRequest = { method: string; url: string; body?: string; headers?: Record<string, string>; timeoutMs: number };
export type SyncResponse = { status: number; body: string; headers: Record<string, string>; error?: string };

const HELPER = `
const { workerData } = require("node:worker_threads");
const port = workerData.port;
port.on("message", async ({ req, flag }) => {
  let res;
  try {
    const r = await fetch(req.url, { method: req.method, body: req.body, headers: req.headers, signal: AbortSignal.timeout(req.timeoutMs) });
    res = { status: r.status, body: await r.text(), headers: Object.fromEntries(r.headers) };
  } catch (e) {
    res = { status: 0, body: "", headers: {}, error: String(e && e.message || e) };
  }
  port.postMessage(res);
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});
`;

let port: MessagePort | undefined;

export function fetchSync(req: SyncRequest): SyncResponse {
  if (!port) {
    const ch = new MessageChannel();
    const w = new Worker(HELPER, { eval: true, workerData: { port: ch.port2 }, transferList: [ch.port2] });
    w.unref();
    ch.port1.unref();
    port = ch.port1;
  }
  const flag = new SharedArrayBuffer(4);
  port.postMessage({ req, flag });
  const r = Atomics.wait(new Int32Array(flag), 0, 0, req.timeoutMs + 1000);
  const msg = receiveMessageOnPort(port);
  if (r === "timed-out" || !msg) return { status: 0, body: "", headers: {}, error: "request timed out" };
  return msg.message as SyncResponse;
}
