// Run after `npm install` changes package-lock.json.
// A registry (a partial mirror, say) that serves no darwin/win32/linux-arm builds of
// msgpackr-extract (an optional native helper of BullMQ's msgpackr) makes npm leave them out of the
// lock file, and `npm ci` on those platforms then refuses the lock as out of sync. They are optional and platform-bound: record
// them as npm records any other optional platform package, so `npm ci` works everywhere.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const parent = lock.packages["node_modules/msgpackr-extract"];
let added = 0;
for (const [name, version] of Object.entries(parent?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu] = name.replace("@msgpackr-extract/msgpackr-extract-", "").split("-");
  lock.packages[key] = { version, cpu: [cpu], license: "MIT", optional: true, os: [os] };
  added++;
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform package(s) recorded`);
