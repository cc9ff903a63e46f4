// Node module-resolution hook (registered with module.register by the runner): resolves
// the k6 module names a script imports to the runner's implementations in ./k6/.
// Plain JS because hooks load in their own thread before any TS transform is certain.
/** @type {Record<string, string>} */
const MODULES = {
  k6: "index.ts",
  "k6/metrics": "metrics.ts",
  "k6/websockets": "websockets.ts",
  "k6/timers": "timers.ts",
  "k6/execution": "execution.ts",
  "k6/http": "http.ts",
};

/**
 * @param {string} specifier
 * @param {object} context
 * @param {(specifier: string, context: object) => Promise<unknown>} next
 */
export async function resolve(specifier, context, next) {
  if (specifier === "k6" || specifier.startsWith("k6/")) {
    const file = MODULES[specifier];
    if (!file) {
      throw new Error(
        `module "${specifier}" is not implemented by the tickflow k6 runner (available: ${Object.keys(MODULES).join(", ")})`,
      );
    }
    // Let the next resolver (tsx's) resolve the file, so it also tags it as TypeScript.
    return next(new URL(`./k6/${file}`, import.meta.url).href, context);
  }
  if (/^https?:\/\//.test(specifier)) {
    throw new Error(`remote module ${specifier}: the runner does not download modules; keep a copy next to the script and import it relatively`);
  }
  return next(specifier, context);
}
