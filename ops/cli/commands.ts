/** The ops CLI's commands: name, one-line summary, help text and implementation. */
import { parseArgs } from "node:util";
import { withNats } from "./nats-conn.ts";
import { refreshCmd, streamsCmd } from "./streams.ts";
import { drainCmd, scaleCmd } from "./scale.ts";
import { runCommands } from "./run.ts";
import { LAKE_HELP, REPLAY_HELP } from "../lake/help.ts";
import { collectStatus, formatStatus } from "./status.ts";
import { upHelp } from "./up-help.ts";
import type { Command } from "./command.ts";
export type { Command } from "./command.ts";

const status: Command = {
  name: "status",
  summary: "every host and actor: state, restarts, mailbox depth, detail",
  help: `Usage: tickflow status [--json] [--timeout MS]

Discovers every actor host through its NATS service and prints one table of all
actors on all hosts. An actor that runs but whose newest input or output is older
than its limit (STALE_AFTER, a shard's STALE_MS) shows as "stale" with the reason;
DETAIL shows the ages of its inputs and outputs. --json prints the raw status
documents (ages in each actor's extra.freshness).`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" }, timeout: { type: "string" } } });
    const statuses = await withNats((nc) => collectStatus(nc, Number(values.timeout ?? 1500)));
    console.log(values.json ? JSON.stringify(statuses, null, 2) : formatStatus(statuses, { color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
    return 0;
  },
};

const upCmd: Command = {
  name: "up",
  summary: "run the local stack (what npm start runs): nats, simulator, hosts, edge",
  help: upHelp,
  // The stack and lake code load only when their command runs (help and the other commands start faster).
  run: async (argv) => (await import("./up.ts")).up(argv),
};

const lakeCmd: Command = {
  name: "lake",
  summary: "query the archive lake with DuckDB SQL; compact a day's files",
  help: LAKE_HELP,
  run: async (argv) => (await import("../lake/mod.ts")).lakeCommand(argv),
};

const replayCmd: Command = {
  name: "replay",
  summary: "republish a past range of the lake to replay rooms (dashboard ?replay=<id>)",
  help: REPLAY_HELP,
  run: async (argv) => (await import("../lake/mod.ts")).replayCommand(argv, { out: (t) => console.log(t), err: (t) => console.error(t), withNats }),
};

export const commands: Command[] = [status, scaleCmd, drainCmd, streamsCmd, refreshCmd, lakeCmd, replayCmd, upCmd, ...runCommands];

export function commandFor(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}

export function usage(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return `Usage: tickflow <command> [options]   (npm run ops -- <command>)

Commands:
${commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join("\n")}

Every command accepts --help. NATS settings come from NATS_URL, NATS_USER/NATS_PASS,
NATS_TOKEN, NATS_CREDS and NATS_TLS_* (the same as the actors).`;
}
