/**
 * The bus contract: subject names, message schemas, room wire format, streams,
 * KV buckets and message ids. Every process that talks over NATS imports this module.
 */
export * from "./subjects.ts";
export * from "./messages.ts";
export * from "./rooms.ts";
export * from "./streams.ts";
export * from "./codec.ts";
