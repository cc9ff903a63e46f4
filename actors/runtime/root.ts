/**
 * The root of an actor host's supervision tree. When the root gives up there is nobody
 * left to escalate to, so the process exits with code 1 and lets the process manager
 * (systemd, Kubernetes, `npm start`) restart the host from a clean state.
 */
import { getLogger } from "@logtape/logtape";
import { Supervisor } from "./supervisor.ts";
import type { Clock, SupervisorSpec } from "./types.ts";

export interface RootOptions {
  /** Default systemClock. */
  clock?: Clock;
  /** Randomness for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Id of the root supervisor, first segment of every status path. Default "root". */
  id?: string;
  /** Called once when the root gives up. Default: log, then `exit(1)`. */
  onGiveUp?: (err: unknown) => void;
  /** Used by the default onGiveUp. Default: Deno.exit or process.exit, whichever exists. */
  exit?: (code: number) => void;
}

type ExitingGlobal = { Deno?: { exit(code: number): void }; process?: { exit(code: number): void } };

/** Exit the process on Deno or Node without importing a runtime module. */
export function exitProcess(code: number): void {
  const g = globalThis as unknown as ExitingGlobal;
  if (g.Deno) g.Deno.exit(code);
  else g.process?.exit(code);
}

/** The default onGiveUp: log the escalation as fatal, then exit with code 1. */
export function exitOnGiveUp(exit: (code: number) => void = exitProcess): (err: unknown) => void {
  return (err) => {
    getLogger(["tickflow", "supervisor"]).fatal("root supervisor gave up; exiting with code 1: {error}", { error: err });
    exit(1);
  };
}

/**
 * Build and start the root supervisor. Resolves with it once every child has started
 * (or once the root gave up during start, after `onGiveUp` was called).
 */
export async function runRoot(spec: SupervisorSpec, opts: RootOptions = {}): Promise<Supervisor> {
  const root = new Supervisor(opts.id ?? "root", spec, { clock: opts.clock, random: opts.random });
  let gaveUp = false;
  const onGiveUp = (err: unknown) => {
    if (gaveUp) return;
    gaveUp = true;
    (opts.onGiveUp ?? exitOnGiveUp(opts.exit))(err);
  };
  root.onExit = (exit) => onGiveUp(exit.type === "crash" ? exit.error : new Error("root supervisor exited"));
  try {
    await root.start();
  } catch (err) {
    onGiveUp(err);
  }
  return root;
}
