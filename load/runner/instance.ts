/**
 * State of this runner process (a k6 "instance"): counters k6/execution reports, socket
 * accounting (open, connecting, paused; the per-process cap), source-address rotation
 * for loopback targets, and hooks to the coordinator for test.abort()/test.fail().
 */

export const instance = {
  /** The consolidated script options (k6/execution `test.options`). */
  options: {} as Record<string, unknown>,
  workerIndex: 0,
  workers: 1,
  vusInitialized: 0,
  vusActive: 0,
  iterationsCompleted: 0,
  iterationsInterrupted: 0,
  testStartTime: 0,
  /** Most sockets this process may hold (open + connecting); more fail with an error event. */
  maxSockets: 15_000,
  openSockets: 0,
  connectingSockets: 0,
  pausedSockets: 0,
  /** How many 127.0.0.x source addresses to rotate through for loopback targets (0 = let the OS pick). */
  sourceAddresses: 0,
  abort: (reason: string): void => {
    throw new Error(`test aborted: ${reason}`);
  },
  fail: (reason: string): void => {
    process.stderr.write(`test marked as failed: ${reason}\n`);
  },
};

let nextSource = 0;

/**
 * Source address for a connection to `url`: for a 127.x.x.x target, rotate through
 * 127.0.0.1 … 127.0.0.N so one machine can open more than ~28,000 connections to one
 * port (each source address has its own ephemeral port range).
 */
export function sourceAddressFor(url: string): string | undefined {
  if (instance.sourceAddresses <= 1) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  // Workers start at different offsets so their sockets spread over all addresses.
  const i = (nextSource++ + instance.workerIndex) % instance.sourceAddresses;
  return `127.0.0.${1 + i}`;
}
