/**
 * Every configuration variable of every Tickflow process, by process, for docs and for
 * the test that keeps docker-compose.yml honest. Each shape is the one that process
 * validates at start-up.
 */
import { logSettings, natsSettings } from "../lib/platform/config.ts";
import { hostSettings } from "../actors/host.ts";
import { coalescerSettings } from "../actors/coalescer/mod.ts";
import { rankerSettings } from "../actors/ranker/mod.ts";
import { archiverSettings } from "../actors/archiver/mod.ts";
import { ingestSettings } from "../actors/ingest/mod.ts";
import { edgeSettings } from "../edge/config.ts";
import { simulatorSettings } from "../sim/mod.ts";

/** Variables read directly by the AWS SDK (S3 target of the archiver). */
export const awsVariables = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_S3",
  "AWS_S3_FORCE_PATH_STYLE",
] as const;

export const catalog: Record<string, string[]> = {
  host: [
    ...Object.keys(hostSettings),
    ...Object.keys(ingestSettings),
    ...Object.keys(logSettings),
    ...Object.keys(coalescerSettings),
    ...Object.keys(rankerSettings),
    ...Object.keys(archiverSettings),
    "TICKFLOW_CONFIG",
  ],
  edge: [...Object.keys(edgeSettings), ...Object.keys(natsSettings), ...Object.keys(logSettings), "TICKFLOW_CONFIG"],
  sim: [...Object.keys(simulatorSettings), ...Object.keys(logSettings), "TICKFLOW_CONFIG"],
};
