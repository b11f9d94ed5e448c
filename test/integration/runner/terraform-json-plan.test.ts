// The built-in terraform and opentofu workflows through the runner (planProject), with the plan
// read from `show -json`. The `terraform`/`tofu` on PATH here is a STAND-IN
// (test/fixtures/stand-in-terraform): a shell script that writes a plan in terraform's documented
// JSON format, because no provider can be downloaded where the tests run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunTarget } from "../../../src/domain/run-target.ts";
import { parseRepoConfig } from "../../../src/repo-config/parse-repo-config.ts";
import { planFilePath, planProject } from "../../../src/runner/plan-project.ts";
import { readTerraformPlanJson } from "../../../src/runner/terraform-plan-json.ts";

const STAND_IN = fileURLToPath(new URL("../../fixtures/stand-in-terraform", import.meta.url));
const PLANS = fileURLToPath(new URL("../../fixtures/terraform-plan-json/", import.meta.url));
const target: RunTarget = { repo: { owner: "acme", name: "infra", installationId: 1 }, sha: "a".repeat(40), pull: 7, purpose: "pull" };

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-tfjson-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Case {
  name: string;
  workflow?: "terraform" | "opentofu";
  /** The JSON plan the stand-in writes: a fixture name or a document. */
  plan: string | object;
  noChanges?: boolean;
  showFails?: boolean;
}

async function plan(c: Case) {
  const worktree = join(root, c.name, "worktree");
  const dir = join(worktree, "net");
  await mkdir(dir, { recursive: true });
  const text = typeof c.plan === "string" ? await readFile(join(PLANS, `${c.plan}.json`), "utf8") : JSON.stringify(c.plan);
  await writeFile(join(dir, "plan.json"), text);
  if (c.noChanges) await writeFile(join(dir, "no-changes"), "");
  if (c.showFails) await writeFile(join(dir, "show-fails"), "");
  const parsed = parseRepoConfig(`version: 1\nprojects:\n  - name: net\n    dir: net\n    workflow: ${c.workflow ?? "terraform"}\n`);
  assert.ok(parsed.ok);
  const runDir = join(root, c.name, "run");
  const result = await planProject({
    config: parsed.config,
    project: parsed.config.projects[0]!,
    target,
    worktreePath: worktree,
    runDir,
    // The stand-in first: a real terraform may be installed, and must not be the one run.
    env: { PATH: `${STAND_IN}:${process.env.PATH ?? "/usr/bin:/bin"}` },
    redact: (l) => l.replaceAll("s3cr3t", "***"),
    defaultTimeoutMs: 60_000,
    signal: new AbortController().signal,
  });
  return { result, text, planFile: planFilePath(runDir, "net") };
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("terraform workflow reads its plan from show -json", () => {
  test("counts, resources and digest come from the JSON plan, which is never logged nor kept", async () => {
    const { result, text, planFile } = await plan({ name: "replace", plan: "replace" });
    assert.equal(result.status, "changes", result.output);
    // The stand-in's text says 9/9/9: these are the JSON's counts.
    assert.deepEqual(result.counts, { add: 2, change: 0, destroy: 2, replace: 2, import: 0, move: 0, forget: 0 });
    assert.deepEqual(result.resourceChanges, [
      { address: "aws_instance.api", action: "replace" },
      { address: "aws_instance.web", action: "replace" },
    ]);
    assert.equal(result.resourceChangesTotal, 2);
    const expected = readTerraformPlanJson(text);
    assert.ok(expected.ok);
    assert.equal(result.planDigest, expected.summary.digest);
    assert.match(result.output, /^\$ terraform show -no-color -json \S+\.plan$/m);
    assert.doesNotMatch(result.output, /resource_changes/);
    assert.equal(await exists(planFile), true, "the binary plan stays for the apply");
    assert.equal(await exists(`${planFile}.json`), false, "the JSON plan, with values in clear, is deleted once read");
  });

  test("the same change in another order and at another time has the same digest; another action does not", async () => {
    const doc = JSON.parse(await readFile(join(PLANS, "replace.json"), "utf8")) as { resource_changes: { change: { actions: string[] } }[]; timestamp: string };
    const a = await plan({ name: "order-a", plan: doc });
    const b = await plan({ name: "order-b", plan: { ...doc, timestamp: "2030-01-01T00:00:00Z", resource_changes: [...doc.resource_changes].reverse() } });
    const changed = structuredClone(doc);
    changed.resource_changes[0]!.change.actions = ["delete"];
    const c = await plan({ name: "order-c", plan: changed });
    assert.ok(a.result.planDigest);
    assert.equal(a.result.planDigest, b.result.planDigest);
    assert.notEqual(a.result.planDigest, c.result.planDigest);
  });

  test("no changes: exit 0 of plan, zero counts, nothing listed", async () => {
    const { result } = await plan({ name: "noop", plan: "no-op", noChanges: true });
    assert.equal(result.status, "no_changes", result.output);
    assert.deepEqual(result.counts, { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 });
    assert.deepEqual(result.resourceChanges, []);
  });

  test("addresses are redacted like any output", async () => {
    const doc = JSON.parse(await readFile(join(PLANS, "create.json"), "utf8")) as { resource_changes: { address: string }[] };
    doc.resource_changes[0]!.address = 'aws_s3_bucket.logs["s3cr3t"]';
    const { result } = await plan({ name: "redact", plan: doc });
    assert.deepEqual(result.resourceChanges, [{ address: 'aws_s3_bucket.logs["***"]', action: "create" }]);
  });

  test("an unreadable JSON plan fails the plan with the reason, rather than a digest guessed from text", async () => {
    const { result } = await plan({ name: "v2", plan: { format_version: "2.0", resource_changes: [] } });
    assert.equal(result.status, "error");
    assert.match(result.reason ?? "", /terraform show -no-color -json/);
    assert.match(result.output, /^slipway: the JSON plan has format_version "2.0"; Slipway reads 1.x$/m);
    assert.equal(result.planDigest, undefined);
  });

  test("a failing show step fails the plan and leaves no part of the JSON plan behind", async () => {
    const { result, planFile } = await plan({ name: "show-fails", plan: "create", showFails: true });
    assert.equal(result.status, "error");
    assert.match(result.reason ?? "", /exit code 1: terraform show -no-color -json/);
    assert.match(result.output, /^Error: stand-in show failed half-way$/m);
    assert.equal(await exists(`${planFile}.json`), false);
  });

  test("opentofu runs tofu the same way", async () => {
    const { result } = await plan({ name: "tofu", workflow: "opentofu", plan: "moved" });
    assert.equal(result.status, "changes", result.output);
    assert.match(result.output, /^\$ tofu show -no-color -json /m);
    assert.deepEqual(
      result.resourceChanges?.map((r) => [r.address, r.previousAddress]),
      [
        ["aws_vpc.network", "aws_vpc.main"],
        ["module.net.aws_subnet.a", "aws_subnet.a"],
      ],
    );
  });
});
