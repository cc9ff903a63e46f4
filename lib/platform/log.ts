/**
 * LogTape set-up for every Tickflow process: one console sink, text or JSON lines,
 * categories ["tickflow", <component>, ...]. Works on Node and Deno.
 */
import { configure, getConsoleSink, getTextFormatter, jsonLinesFormatter, type LogLevel } from "@logtape/logtape";

let configured = false;

export async function configureLogging(level: LogLevel = "info", format: "text" | "json" = "text"): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    reset: true,
    sinks: {
      console: getConsoleSink({ formatter: format === "json" ? jsonLinesFormatter : getTextFormatter({ timestamp: "date-time-tz" }) }),
    },
    loggers: [
      { category: ["tickflow"], lowestLevel: level, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
