/**
 * The parts of bench/reference-servers/ the side-by-side benchmark uses (the reference
 * servers' runner, their load client and room names), loaded at run time.
 *
 * Why not a static import: load/ is type-checked by its own configs (it imports the k6
 * helpers in load/lib/*.js, which need `allowJs`); a static import from ops/ would pull
 * those .js files into the root `tsc -p tsconfig.json` and fail it. So the shapes used
 * here are declared below (they mirror bench/reference-servers/{client,common,run}.ts) and
 * the modules are imported by a computed URL, which tsc does not follow.
 */

export type ClientResult = {
  connected: number;
  failed: number;
  connectSec: number;
  received: number;
  msgsPerSec: number;
  gaps: number;
  latencyMs: { p50: number; p99: number; max: number; count: number };
  clientLagP99Ms: number;
};

export type ClientOptions = {
  kind: "ws" | "socketio";
  url: string;
  clients: number;
  rooms: number;
  roomsPerClient: number;
  durationMs: number;
  sourceIps?: number;
  concurrency?: number;
  probeEvery?: number;
};

export type ClientHooks = { afterConnect?: () => Promise<void>; beforeClose?: () => Promise<void> };

export type ServerStats = {
  server: string;
  connections: number;
  delivered: number;
  windowSec: number;
  cpuUs: number;
  cpuUsPerDelivered: number;
  rssBytes: number;
  baselineRssBytes: number;
  rssPerConnectionBytes: number;
};

export type ReferenceKind = "uws" | "socketio";
export type ReferenceBenchOptions = {
  server: ReferenceKind;
  clients: number;
  rooms: number;
  roomsPerClient: number;
  rate: number;
  payloadBytes?: number;
  durationMs: number;
  sourceIps?: number;
};
export type ReferenceBenchResult = { server: ReferenceKind; stats: ServerStats; client: ClientResult };

interface ClientModule {
  runClients(o: ClientOptions, hooks?: ClientHooks): Promise<ClientResult>;
}
interface CommonModule {
  roomNames(n: number): string[];
}
interface RunModule {
  runReferenceBench(o: ReferenceBenchOptions): Promise<ReferenceBenchResult>;
}

const load = async <T>(file: string): Promise<T> =>
  (await import(new URL(`./reference-servers/${file}`, import.meta.url).href)) as T;

export async function runClients(o: ClientOptions, hooks?: ClientHooks): Promise<ClientResult> {
  return await (await load<ClientModule>("client.ts")).runClients(o, hooks);
}

export async function roomNames(n: number): Promise<string[]> {
  return (await load<CommonModule>("common.ts")).roomNames(n);
}

export async function runReferenceBench(o: ReferenceBenchOptions): Promise<ReferenceBenchResult> {
  return await (await load<RunModule>("run.ts")).runReferenceBench(o);
}
