/** Tests that supervision leaves a LogTape trail: restarts, stops and escalations. */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { FakeClock } from "./clock.ts";
import { type Cmd, scripted } from "./fixtures.ts";
import { Supervisor } from "./supervisor.ts";
import { describe, expect, it } from "./testing.ts";

describe("supervisor logging", () => {
  it("logs crashes under tickflow.<actor> and restarts, stops and escalations under tickflow.supervisor.<id>", async () => {
    const records: LogRecord[] = [];
    await configure({
      reset: true,
      sinks: { memory: (r: LogRecord) => void records.push(r) },
      loggers: [
        { category: ["tickflow"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
    try {
      const clock = new FakeClock();
      const sup = new Supervisor("root", {
        maxRestarts: 1,
        backoff: { jitter: 0 },
        children: [{ id: "b", actor: scripted("b", []) }, { id: "a", actor: scripted("a", []) }],
      }, { clock });
      await sup.start();
      for (let i = 0; i < 2; i++) {
        sup.ref<Cmd>("root/a")?.tell("crash");
        await clock.advanceAsync(1000);
      }
      const trail = records.map((r) => `${r.level} ${r.category.join(".")} ${String(r.rawMessage).split(" ")[0]}`);
      expect(trail).toContain("error tickflow.a {id}");
      expect(trail).toContain("warning tickflow.supervisor.root restarting");
      expect(trail).toContain("error tickflow.supervisor.root {id}");
      expect(trail).toContain("info tickflow.supervisor.root stopping");
      const restart = records.find((r) => String(r.rawMessage).startsWith("restarting"));
      expect(restart?.properties.delay).toBe(100);
      expect(restart?.properties.children).toEqual(["a"]);
    } finally {
      await reset();
    }
  });
});
