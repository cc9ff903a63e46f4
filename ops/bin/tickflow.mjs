#!/usr/bin/env node
// `npx tickflow <command>`: the ops CLI, with TypeScript loaded through tsx.
import { register } from "tsx/esm/api";

register();
const { main, isConfigError } = await import("../main.ts");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(isConfigError(e) ? e.message : `error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(isConfigError(e) ? 2 : 1);
  },
);
