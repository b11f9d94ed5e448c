// A step outlives nothing: when the worker process running it dies without a chance to clean up
// (SIGKILL, the OOM killer), the step's watchdog ends the step's whole process group.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { watchStepGroup } from "../../../src/runner/step-watchdog.ts";
import { descendantsOf, groupRunning } from "../faults/process-tree.ts";
import { stopChild } from "../../support/slipway-process.ts";
import { waitUntil } from "./process-helpers.ts";

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
  test("a SIGKILLed worker's step groups end, grandchildren too; a group it released is left alone", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-watchdog-"));
    const files = { step: path.join(dir, "step.pid"), second: path.join(dir, "second.pid"), released: path.join(dir, "released.pid") };
    // A stand-in worker: a group it watched and released (a sleep of its own), then two steps at
    // once that record their process groups and sleep 10 minutes, each with a grandchild.
    const worker = `
      import { spawn } from "node:child_process";
      import { writeFileSync } from "node:fs";
      import { runStep } from ${JSON.stringify(path.join(ROOT, "src/runner/run-step.ts"))};
      import { OutputCapture } from ${JSON.stringify(path.join(ROOT, "src/runner/output-capture.ts"))};
      import { watchStepGroup } from ${JSON.stringify(path.join(ROOT, "src/runner/step-watchdog.ts"))};
      const released = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
      watchStepGroup(released.pid, (err) => { throw err; }).release();
      writeFileSync(${JSON.stringify(files.released)}, String(released.pid));
      const step = (file) => runStep({ argv: ["sh", "-c", 'echo $$ > "$1"; sleep 600 & sleep 600; wait', "step", file], cwd: ${JSON.stringify(dir)}, env: { PATH: process.env.PATH }, timeoutMs: 600000 }, new OutputCapture());
      await Promise.all([step(${JSON.stringify(files.step)}), step(${JSON.stringify(files.second)})]);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", worker], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    try {
      const started = await waitUntil(() => child.exitCode === null && Object.values(files).every((f) => readPgid(f) !== undefined), 20_000);
      assert.ok(started, "the steps started");
      const [step, second, released] = [readPgid(files.step)!, readPgid(files.second)!, readPgid(files.released)!];
      leftovers.push(step, second, released);
      assert.ok((await groupRunning(step)) && (await groupRunning(second)), "the steps run");
      const watchdogs = (await descendantsOf(child.pid!)).filter((p) => p.cmd.includes("slipway-step-watchdog"));
      assert.equal(watchdogs.length, 1, "one watchdog for the process, not one per step");

      child.kill("SIGKILL");
      for (const pgid of [step, second]) {
        assert.ok(await eventually(async () => !(await groupRunning(pgid)), 10_000), "no process of a step's group runs after its worker died");
      }
      assert.equal(await groupRunning(released), true, "a released group is not the watchdog's to end");
    } finally {
      await stopChild(child, 1000);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a watchdog that was killed while a group is watched is replaced at once", async () => {
    const sleeper = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    leftovers.push(sleeper.pid!);
    const watchdogsOfThisProcess = async () => (await descendantsOf(process.pid)).filter((p) => p.cmd.includes("slipway-step-watchdog") && p.state !== "Z");
    const watched = watchStepGroup(sleeper.pid!, (err) => assert.fail(err));
    const [old] = await watchdogsOfThisProcess();
    assert.ok(old, "a watchdog runs");
    process.kill(old.pid, "SIGKILL");
    const replaced = await eventually(async () => (await watchdogsOfThisProcess()).some((p) => p.pid !== old.pid), 5_000);
    assert.ok(replaced, "a new watchdog watches the group");
    watched.release();
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
