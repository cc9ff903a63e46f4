/** Worker thread body of {@link WorkerDecoder}: decodes batches of bus messages into column arrays. */
import { parentPort } from "node:worker_threads";
import { decodeRequest, type WireRequest, type WireResponse } from "./decoder.ts";

parentPort?.on("message", (req: WireRequest) => {
  let res: WireResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const { results, cols, strs } = decodeRequest(req);
    res = { id: req.id, results, cols, strs };
    transfer = cols.map((c) => c.buffer as ArrayBuffer);
  } catch (e) {
    res = { id: req.id, error: (e as Error).message };
  }
  parentPort!.postMessage(res, transfer);
});
