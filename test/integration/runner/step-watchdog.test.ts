// A step outlives nothing: when the worker process running it dies without a chance to clean up
// (SIGKILL, the OOM killer), the step's watchdog ends the step's whole process group.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { OutputCapture } from "../../../src/runner/output-capture.ts";
import { runStep } from "../../../src/runner/run-step.ts";
import { descendantsOf, groupRunning } from "../faults/process-tree.ts";
import { stopChild } from "../../support/slipway-process.ts";
import { sh, waitUntil } from "./process-helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const leftovers: number[] = [];

after(() => {
  for (const pgid of leftovers) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already ended
    }
  }
});

describe("step watchdog", () => {
  test("a SIGKILLed worker's step group ends, grandchildren too", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-watchdog-"));
    const pidFile = path.join(dir, "step.pid");
    // A stand-in worker: runs one step that records its process group, then two sleeps of 10 minutes.
    const worker = `
      import { runStep } from ${JSON.stringify(path.join(ROOT, "src/runner/run-step.ts"))};
      import { OutputCapture } from ${JSON.stringify(path.join(ROOT, "src/runner/output-capture.ts"))};
      await runStep({ argv: ["sh", "-c", 'echo $$ > "$1"; sleep 600 & sleep 600; wait', "step", ${JSON.stringify(pidFile)}], cwd: ${JSON.stringify(dir)}, env: { PATH: process.env.PATH }, timeoutMs: 600000 }, new OutputCapture());
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", worker], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    try {
      const started = await waitUntil(() => child.exitCode === null && readPgid(pidFile) !== undefined, 20_000);
      assert.ok(started, "the step started");
      const pgid = readPgid(pidFile)!;
      leftovers.push(pgid);
      assert.ok(await groupRunning(pgid), "the step runs");
      assert.ok(
        (await descendantsOf(child.pid!)).some((p) => p.cmd.includes("slipway-step-watchdog")),
        "under a watchdog",
      );

      child.kill("SIGKILL");
      assert.ok(await eventually(async () => !(await groupRunning(pgid)), 10_000), "no process of the step's group runs after its worker died");
    } finally {
      await stopChild(child, 1000);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a step that ends leaves no watchdog behind", async () => {
    const outcome = await runStep(
      { argv: sh("exit 3"), cwd: tmpdir(), env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeoutMs: 10_000 },
      new OutputCapture(),
    );
    assert.equal(outcome.exitCode, 3);
    const watchdogs = async () => (await descendantsOf(process.pid)).filter((p) => p.cmd.includes("slipway-step-watchdog") && p.state !== "Z");
    // Dismissed by a SIGKILL that the kernel delivers a moment later.
    assert.ok(await eventually(async () => (await watchdogs()).length === 0, 5_000), "the watchdog was dismissed with the step");
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return true;
  return check();
}

function readPgid(file: string): number | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
