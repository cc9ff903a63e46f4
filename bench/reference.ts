/**
 * The parts of bench/reference-servers/ the side-by-side benchmark uses: the reference
 * servers' runner, their load client and room names. Plain static re-exports, so the
 * one root type check sees the real signatures (no computed-URL import, no copied types).
 */
export { runClients, type ClientHooks, type ClientOptions, type ClientResult } from "./reference-servers/client.ts";
export { roomNames, type ServerStats } from "./reference-servers/common.ts";
export { runReferenceBench, type ReferenceBenchOptions, type ReferenceBenchResult, type ReferenceKind } from "./reference-servers/run.ts";
