// The k6 globals the shared lib/*.js files use, for type-checking them from the runner
// project (which uses Node's types, not k6's). The runner installs them in script.ts.
declare var __ENV: { [name: string]: string };
declare var __VU: number;
declare var __ITER: number;
