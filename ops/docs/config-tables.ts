/**
 * README configuration tables, generated from the zod shapes the processes validate at
 * start-up (default and `.describe()` text of each variable): the shapes are the one
 * source, the tables between `<!-- config:<name>:start -->` and `<!-- config:<name>:end -->`
 * are written from them. `npm run docs:config` rewrites the files; `--check` only
 * reports the sections that disagree (exit 1). ops/docs/config-tables.test.ts runs the
 * check in `npm test`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { busSettings, logSettings, natsSettings } from "../../lib/platform/config.ts";
import { hostSettings } from "../../actors/host.ts";
import { edgeSettings } from "../../edge/config.ts";
import { ingestSettings } from "../../actors/ingest/mod.ts";
import { coalescerSettings } from "../../actors/coalescer/mod.ts";
import { rankerSettings } from "../../actors/ranker/mod.ts";
import { archiverSettings } from "../../actors/archiver/mod.ts";
import { marketRoomsSettings } from "../../actors/marketrooms/mod.ts";
import { simulatorSettings } from "../../sim/mod.ts";
import { parseArgs } from "node:util";

type Shape = Record<string, z.ZodType>;

export interface TableSection {
  /** The marker name: `<!-- config:<name>:start -->`. */
  name: string;
  /** Files (relative to the checkout root) that hold the section. */
  files: string[];
  shape: Shape;
}

const hostOnly = Object.fromEntries(Object.entries(hostSettings).filter(([k]) => !(k in natsSettings) && !(k in busSettings)));

export const SECTIONS: TableSection[] = [
  { name: "nats", files: ["README.md"], shape: { ...natsSettings, ...logSettings } },
  { name: "host", files: ["README.md"], shape: { ...hostOnly, ...busSettings } },
  { name: "edge", files: ["README.md", "edge/README.md"], shape: edgeSettings },
  { name: "ingest", files: ["actors/ingest/README.md"], shape: ingestSettings },
  { name: "coalescer", files: ["actors/coalescer/README.md"], shape: coalescerSettings },
  { name: "ranker", files: ["actors/ranker/README.md"], shape: rankerSettings },
  { name: "archiver", files: ["actors/archiver/README.md"], shape: archiverSettings },
  { name: "market-rooms", files: ["actors/marketrooms/README.md"], shape: marketRoomsSettings },
  { name: "sim", files: ["sim/README.md"], shape: simulatorSettings },
];

export interface SettingDoc {
  variable: string;
  /** The default as written in the table ("–" for none). */
  default: string;
  description: string | undefined;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

const UNITS_MS: Array<[string, number]> = [["h", 3_600_000], ["m", 60_000], ["s", 1000]];
const UNITS_BYTES: Array<[string, number]> = [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]];

function withUnit(n: number, units: Array<[string, number]>, base: string): string {
  if (n === 0 || n === -1) return String(n);
  for (const [u, size] of units) if (n % size === 0) return `${n / size}${u}`;
  return `${n}${base}`;
}

function formatDefault(value: unknown, unit: string | undefined): string {
  if (value === undefined) return "–";
  if (Array.isArray(value)) return value.length === 0 ? "(empty)" : `\`${value.join(",")}\``;
  if (typeof value === "number" && unit === "duration") return `\`${withUnit(value, UNITS_MS, "ms")}\``;
  if (typeof value === "number" && unit === "bytes") return `\`${withUnit(value, UNITS_BYTES, "")}\``;
  return `\`${String(value)}\``;
}

/** Default, unit and description of one variable's schema (through default, optional and pipe wrappers). */
export function settingDoc(variable: string, schema: z.ZodType): SettingDoc {
  let value: unknown;
  let unit: string | undefined;
  const seen: z.ZodType[] = [];
  for (let node: z.ZodType | undefined = schema; node && !seen.includes(node);) {
    seen.push(node);
    const meta = z.globalRegistry.get(node) as { unit?: string } | undefined;
    unit ??= meta?.unit;
    const def = defOf(node);
    if (def.type === "default" && value === undefined) value = def.defaultValue;
    node = def.innerType ?? def.in;
  }
  return { variable, default: formatDefault(value, unit), description: schema.description };
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The markdown table of a shape, one row per variable in declaration order. */
export function renderTable(shape: Shape): string {
  const rows = Object.entries(shape).map(([k, s]) => settingDoc(k, s));
  return [
    "| variable | default | |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| \`${r.variable}\` | ${r.default} | ${cell(r.description ?? "")} |`),
  ].join("\n");
}

export class DocsMarkerError extends Error {
  override name = "DocsMarkerError";
}
export const isDocsMarkerError = (e: unknown): e is DocsMarkerError => e instanceof Error && e.name === "DocsMarkerError";

/** `text` with the section's table written between its markers. Throws DocsMarkerError when a marker is missing. */
export function writeSection(text: string, section: TableSection, file = "the file"): string {
  const start = `<!-- config:${section.name}:start -->`;
  const end = `<!-- config:${section.name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new DocsMarkerError(`${file}: no ${start} … ${end} markers for the ${section.name} settings`);
  const note = `<!-- generated from the zod shapes by npm run docs:config; edit the .describe() texts, not this table -->`;
  return `${text.slice(0, i + start.length)}\n${note}\n\n${renderTable(section.shape)}\n\n${text.slice(j)}`;
}

export interface FileResult {
  file: string;
  before: string;
  after: string;
}

/** Every file with its sections rewritten (nothing is written). */
export function renderFiles(root: string, sections = SECTIONS): FileResult[] {
  const files = [...new Set(sections.flatMap((s) => s.files))];
  return files.map((file) => {
    const before = readFileSync(join(root, file), "utf8");
    const after = sections.filter((s) => s.files.includes(file)).reduce((t, s) => writeSection(t, s, file), before);
    return { file, before, after };
  });
}

if (process.argv[1]?.endsWith("config-tables.ts")) {
  const root = join(import.meta.dirname, "..", "..");
  const check = parseArgs({ options: { check: { type: "boolean", default: false } } }).values.check;
  const stale = renderFiles(root).filter((r) => r.before !== r.after);
  for (const r of stale) {
    if (check) console.error(`${r.file}: configuration tables differ from the zod shapes (run npm run docs:config)`);
    else writeFileSync(join(root, r.file), r.after);
  }
  if (!check) console.log(stale.length ? `rewrote ${stale.map((r) => r.file).join(", ")}` : "configuration tables up to date");
  process.exitCode = check && stale.length ? 1 : 0;
}
