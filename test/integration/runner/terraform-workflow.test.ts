// The built-in terraform workflow against the real terraform binary, with the built-in
// `terraform_data` resource only: no provider download, no network. Skipped without terraform.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPhase, type PhaseInput } from "../../../src/runner/run-phase.ts";
import { builtInWorkflows } from "../../../src/runner/workflows.ts";

const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
const config = (input: string) => `resource "terraform_data" "x" {\n  input = "${input}"\n}\n`;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-tf-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function project(name: string, input: string): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "main.tf"), config(input));
  return dir;
}

function run(phase: PhaseInput["phase"], cwd: string) {
  const planFile = join(cwd, "slipway.tfplan");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return runPhase({
    phase,
    steps: builtInWorkflows.terraform({ planFile })[phase],
    cwd,
    env: { ...env, SLIPWAY_PLAN_FILE: planFile },
    defaultTimeoutMs: 60_000,
    redact: (l) => l,
  });
}

describe("terraform workflow", { skip: hasTerraform ? false : "terraform not installed" }, () => {
  test("plan shows changes with counts, apply applies the saved plan, replan has no changes", async () => {
    const dir = await project("a", "one");
    const plan = await run("plan", dir);
    assert.equal(plan.status, "changes", plan.output);
    // Plan counts come from `terraform show -json`, which also says what is not replaced, moved…
    assert.deepEqual(plan.counts, { add: 1, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 });
    assert.deepEqual(plan.resources, [{ address: "terraform_data.x", action: "create" }]);
    assert.match(plan.output, /^\$ terraform plan -input=false -no-color -detailed-exitcode -out=/m);

    const apply = await run("apply", dir);
    assert.equal(apply.status, "changes", apply.output);
    assert.deepEqual(apply.counts, { add: 1, change: 0, destroy: 0 });

    const again = await run("plan", dir);
    assert.equal(again.status, "no_changes", again.output);
    assert.deepEqual(again.counts, { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 });
    assert.deepEqual(again.resources, []);
  });

  test("a replacement read from the real JSON plan: one add, one destroy, one replace", async () => {
    const dir = await project("r", "one");
    const replaceable = (v: string) => `resource "terraform_data" "x" {\n  triggers_replace = "${v}"\n}\n`;
    await writeFile(join(dir, "main.tf"), replaceable("a"));
    assert.equal((await run("plan", dir)).status, "changes");
    assert.equal((await run("apply", dir)).status, "changes");
    await writeFile(join(dir, "main.tf"), replaceable("b"));
    const plan = await run("plan", dir);
    assert.equal(plan.status, "changes", plan.output);
    assert.deepEqual(plan.counts, { add: 1, change: 0, destroy: 1, replace: 1, import: 0, move: 0, forget: 0 });
    assert.deepEqual(plan.resources, [{ address: "terraform_data.x", action: "replace" }]);
  });

  test("validate fails on a broken config with terraform's message", async () => {
    const dir = await project("broken", "x");
    await writeFile(join(dir, "main.tf"), 'resource "terraform_data" "x" {\n  nope = 1\n}\n');
    const r = await run("validate", dir);
    assert.equal(r.status, "error");
    assert.match(r.output, /Unsupported argument/);
  });

  test("the same change planned in two workspaces has one digest; another change differs", async () => {
    const a = await run("plan", await project("d1", "same"));
    const b = await run("plan", await project("d2", "same"));
    const c = await run("plan", await project("d3", "other"));
    assert.ok(a.digest && b.digest && c.digest);
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, c.digest);
  });
});
