// The built-in kubernetes workflow through the real runner (run-phase, plan-project,
// apply-project), with the stand-in kubectl of test/fixtures/kubectl-standin first on PATH: no
// cluster runs here. What this shows is Slipway's side: the argv it runs, how kubectl diff's exit
// codes read (0 none, 1 changes, >1 error), and that prune happens only when configured.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyProject } from "../../../src/runner/apply-project.ts";
import { planProject } from "../../../src/runner/plan-project.ts";
import { runPhase, type PhaseInput } from "../../../src/runner/run-phase.ts";
import { builtInWorkflows } from "../../../src/runner/workflows.ts";
import { parseRepoConfig } from "../../../src/repo-config/parse-repo-config.ts";
import type { RunTarget } from "../../../src/domain/run-target.ts";

const STANDIN = path.resolve(import.meta.dirname, "../../fixtures/kubectl-standin");

let root: string;
let count = 0;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-k8s-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A manifests directory and an empty stand-in cluster. */
async function project(files: Record<string, string>): Promise<{ dir: string; cluster: string }> {
  const dir = path.join(root, `p${++count}`);
  const cluster = path.join(root, `cluster${count}`);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  await mkdir(cluster);
  return { dir, cluster };
}

function stepEnv(cluster: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, PATH: `${STANDIN}${path.delimiter}${process.env.PATH ?? ""}`, KUBECTL_STANDIN_CLUSTER: cluster };
}

function run(phase: PhaseInput["phase"], dir: string, cluster: string, pruneSelector?: string) {
  const ctx = { planFile: path.join(dir, "slipway.plan"), ...(pruneSelector ? { kubernetesPruneSelector: pruneSelector } : {}) };
  return runPhase({ phase, steps: builtInWorkflows.kubernetes(ctx)[phase], cwd: dir, env: stepEnv(cluster), defaultTimeoutMs: 30_000, redact: (l) => l });
}

/** The stand-in's record of its calls: one argv per call. */
async function calls(cluster: string): Promise<string[][]> {
  const text = await readFile(path.join(cluster, "calls"), "utf8").catch(() => "");
  return text
    .split("--\n")
    .filter(Boolean)
    .map((call) => call.split("\n").filter(Boolean));
}

const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n";
const CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {greeting: hi}\n";

describe("kubernetes workflow (stand-in kubectl)", () => {
  test("diff exit 1 is changes; apply is server-side; diff exit 0 afterwards is no changes", async () => {
    const { dir, cluster } = await project({ "web.yaml": DEPLOYMENT, "config/cm.yaml": CONFIGMAP });
    const plan = await run("plan", dir, cluster);
    assert.equal(plan.status, "changes", plan.output);
    assert.equal(plan.exitCode, 1);
    assert.match(plan.output, /^\$ kubectl diff --server-side -f \. --recursive$/m);
    assert.match(plan.output, /^\+ {2}replicas: 2$/m, "the diff is in the output");
    assert.ok(plan.digest);

    const apply = await run("apply", dir, cluster);
    assert.equal(apply.status, "changes", apply.output);
    assert.equal(await readFile(path.join(cluster, "live/config/cm.yaml"), "utf8"), CONFIGMAP);

    const again = await run("plan", dir, cluster);
    assert.equal(again.status, "no_changes", again.output);
    assert.equal(again.exitCode, 0);
    assert.deepEqual(
      (await calls(cluster)).map((argv) => argv.join(" ")),
      ["diff --server-side -f . --recursive", "apply --server-side -f . --recursive", "diff --server-side -f . --recursive"],
    );
  });

  test("a diff exit code above 1 is an error, with kubectl's message", async () => {
    const { dir, cluster } = await project({ "bad.yaml": "apiVersion: v1\nkind: Invalid\n" });
    const plan = await run("plan", dir, cluster);
    assert.equal(plan.status, "error", plan.output);
    assert.equal(plan.exitCode, 2);
    assert.match(plan.output, /no matches for kind "Invalid"/);
    assert.match(plan.output, /^slipway: step failed with exit code 2$/m);
    assert.equal(plan.digest, undefined);
    assert.equal((await run("apply", dir, cluster)).status, "error");
  });

  test("the same change planned twice has one digest (kubectl's temp dirs and diff timestamps aside); another differs", async () => {
    const a = await project({ "web.yaml": DEPLOYMENT });
    const b = await project({ "web.yaml": DEPLOYMENT });
    const c = await project({ "web.yaml": DEPLOYMENT.replace("replicas: 2", "replicas: 3") });
    const [pa, pb, pc] = [await run("plan", a.dir, a.cluster), await run("plan", b.dir, b.cluster), await run("plan", c.dir, c.cluster)];
    assert.match(pa.output, /LIVE-/);
    assert.equal(pa.digest, pb.digest);
    assert.notEqual(pa.digest, pc.digest);
  });

  test("nothing is pruned unless the project names a selector; with one, plan and apply prune", async () => {
    const config = (selector?: string) => {
      const text = `version: 1\nprojects:\n  - name: k8s\n    dir: k8s\n    workflow: kubernetes\n${selector ? `    kubernetes: {prune_selector: "${selector}"}\n` : ""}`;
      const parsed = parseRepoConfig(text);
      assert.ok(parsed.ok);
      return parsed.config;
    };
    const { dir, cluster } = await project({ "k8s/web.yaml": DEPLOYMENT, "k8s/cm.yaml": CONFIGMAP });
    const worktree = path.dirname(path.join(dir, "k8s"));
    const target: RunTarget = { repo: { owner: "acme", name: "k8s", installationId: 1 }, sha: "a".repeat(40), purpose: "deploy" };
    const common = {
      target,
      worktreePath: worktree,
      runDir: path.join(root, `run${count}`),
      env: stepEnv(cluster),
      redact: (l: string) => l,
      defaultTimeoutMs: 30_000,
    };
    const plan = async (selector?: string) => {
      const c = config(selector);
      return planProject({ ...common, config: c, project: c.projects[0]!, signal: new AbortController().signal });
    };
    const apply = async (selector?: string) => {
      const c = config(selector);
      return applyProject({ ...common, config: c, project: c.projects[0]!, restorePlanFile: async () => false });
    };

    assert.equal((await apply()).status, "changes");
    await rm(path.join(dir, "k8s/cm.yaml"));
    const unpruned = await plan();
    assert.equal(unpruned.status, "no_changes", unpruned.output);
    assert.equal((await apply()).status, "changes");
    assert.equal(await readFile(path.join(cluster, "live/cm.yaml"), "utf8"), CONFIGMAP, "without a selector the live object stays");

    const selector = "app.kubernetes.io/part-of=shop";
    const pruning = await plan(selector);
    assert.equal(pruning.status, "changes", pruning.output);
    assert.match(pruning.output, /^-kind: ConfigMap$/m, "the plan shows what the prune deletes");
    assert.equal((await apply(selector)).status, "changes");
    assert.equal(await readFile(path.join(cluster, "live/cm.yaml"), "utf8").catch(() => undefined), undefined, "pruned");
    assert.deepEqual(
      (await calls(cluster)).map((argv) => argv.slice(0, 1).concat(argv.slice(-2))),
      [
        ["apply", ".", "--recursive"],
        ["diff", ".", "--recursive"],
        ["apply", ".", "--recursive"],
        ["diff", "--prune", `--selector=${selector}`],
        ["apply", "--prune", `--selector=${selector}`],
      ],
    );
  });
});
