// `npm start` refusing to run: bad settings and an unreachable Redis each stop the process
// with one clear line per problem, and nothing else is started.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../../support/private-redis.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const credentials = { APP_ID: "1", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: "s" };

test("invalid settings stop start-up with one line per problem", async () => {
  const { code, stderr } = await runMain({ ...credentials, PORT: "eighty", SLIPWAY_ROLE: "manager" });
  assert.equal(code, 1);
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("slipway:"));
  assert.equal(lines.length, 2, stderr);
  assert.match(lines.join("\n"), /PORT/);
  assert.match(lines.join("\n"), /SLIPWAY_ROLE/);
});

test("without a reachable Redis start-up stops with one line saying how to get one", async () => {
  const port = await freePort(); // nothing listens there
  const { code, stderr } = await runMain({ ...credentials, REDIS_URL: `redis://:pa55word@127.0.0.1:${port}`, PORT: "0" });
  assert.equal(code, 1);
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("slipway:"));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /Redis is not reachable/);
  assert.match(lines[0]!, /redis-server|docker compose/);
  assert.ok(!stderr.includes("pa55word"), "the Redis password is not printed");
});
