import { describe, expect, it } from "vitest";
import { type AddressIpc, HostAddressCounts, type IpcChannel, isAddressLimiterUnavailableError, SharedAddressLimiter } from "./address-share.ts";

/** Two workers wired to one primary count through in-memory channels (the real ones are node:cluster IPC). */
function wire(max: number, answer = true) {
  const host = new HostAddressCounts(max);
  const timers: Array<() => void> = [];
  const worker = (id: number) => {
    let deliver: (m: unknown) => void = () => {};
    const ch: IpcChannel = {
      send: (m: AddressIpc) => {
        const reply = host.handle(id, m);
        if (reply && answer) queueMicrotask(() => deliver(reply));
      },
      onMessage: (fn) => (deliver = fn),
    };
    return new SharedAddressLimiter(ch, { timeoutMs: 100, setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
  };
  return { host, worker, fireTimers: () => timers.splice(0).forEach((f) => f()) };
}

describe("HostAddressCounts with SharedAddressLimiter", () => {
  it("holds one cap for an address across workers", async () => {
    const { host, worker } = wire(3);
    const a = worker(1);
    const b = worker(2);
    const got = await Promise.all([a.acquire("1.1.1.1"), b.acquire("1.1.1.1"), a.acquire("1.1.1.1"), b.acquire("1.1.1.1")]);
    expect(got.filter(Boolean).length).toBe(3);
    expect(await b.acquire("2.2.2.2")).toBe(true);
    a.release("1.1.1.1");
    expect(host.count("1.1.1.1")).toBe(2);
    expect(await b.acquire("1.1.1.1")).toBe(true);
  });

  it("gives back a dead worker's connections and ignores releases of slots a worker does not hold", async () => {
    const { host, worker } = wire(2);
    const a = worker(1);
    const b = worker(2);
    expect(await a.acquire("1.1.1.1")).toBe(true);
    expect(await a.acquire("1.1.1.1")).toBe(true);
    b.release("1.1.1.1");
    expect(host.count("1.1.1.1")).toBe(2);
    host.dropWorker(1);
    expect(host.count("1.1.1.1")).toBe(0);
    expect(await b.acquire("1.1.1.1")).toBe(true);
  });

  it("rejects with AddressLimiterUnavailableError when the primary does not answer, and ignores malformed IPC", async () => {
    const { host, worker, fireTimers } = wire(2, false);
    const a = worker(1);
    const p = a.acquire("1.1.1.1");
    fireTimers();
    await expect(p).rejects.toSatisfy(isAddressLimiterUnavailableError);
    expect(host.handle(1, { t: "tf-addr-acquire", id: "x", ip: 5 })).toBeUndefined();
    expect(host.handle(1, "hello")).toBeUndefined();
  });
});
