#!/usr/bin/env node
// The `slipway` command (package.json "bin"). It runs from a fresh clone after `npm ci`, without
// a build: tsx's loader is registered from this package's own node_modules (resolved from this
// file's real path, also when run through node_modules/.bin), then the TypeScript entry is
// imported. An install without dev dependencies has no tsx: then the built dist/ is used.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
let entry;
try {
  const { register } = await import("tsx/esm/api");
  register();
  entry = new URL("../src/cli/main.ts", import.meta.url);
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !existsSync(built)) throw err;
  entry = built;
}
const { runCli } = await import(entry.href);
const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined));
process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
