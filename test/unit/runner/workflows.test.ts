import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { builtInWorkflows, customWorkflow, resolveWorkflow } from "../../../src/runner/workflows.ts";

const ctx = { planFile: "/w/plan.tfplan" };
const argvs = (steps: { argv: string[] }[]) => steps.map((s) => s.argv.join(" "));

describe("built-in workflows", () => {
  test("terraform: init, then validate / plan with detailed exit code / apply of the saved plan", () => {
    const w = builtInWorkflows.terraform(ctx);
    assert.deepEqual(argvs(w.validate), ["terraform init -input=false -no-color", "terraform validate -no-color"]);
    assert.deepEqual(argvs(w.plan), [
      "terraform init -input=false -no-color",
      "terraform plan -input=false -no-color -detailed-exitcode -out=/w/plan.tfplan",
      "terraform show -no-color -json /w/plan.tfplan",
    ]);
    // The JSON plan is saved beside the plan file and read by the runner, never logged.
    assert.equal(w.plan[2]!.planJsonFile, "/w/plan.tfplan.json");
    assert.deepEqual(argvs(w.apply), ["terraform init -input=false -no-color", "terraform apply -input=false -no-color -auto-approve /w/plan.tfplan"]);
    // init never exits 2; only the plan step reads exit 2 as "changes".
    assert.deepEqual(
      w.plan.map((s) => s.exitCodes),
      ["plain", "detailed", "plain"],
    );
  });

  test("opentofu is the same with tofu", () => {
    const w = builtInWorkflows.opentofu(ctx);
    assert.deepEqual(argvs(w.plan), [
      "tofu init -input=false -no-color",
      "tofu plan -input=false -no-color -detailed-exitcode -out=/w/plan.tfplan",
      "tofu show -no-color -json /w/plan.tfplan",
    ]);
  });

  test("ansible: syntax check, check+diff read by recap, apply with diff; no -i; colour off even if forced", () => {
    const w = builtInWorkflows.ansible(ctx);
    assert.deepEqual(argvs(w.validate), ["ansible-playbook --syntax-check site.yml"]);
    assert.deepEqual(argvs(w.plan), ["ansible-playbook --check --diff site.yml"]);
    assert.equal(w.plan[0]!.exitCodes, "ansible-recap");
    assert.deepEqual(argvs(w.apply), ["ansible-playbook --diff site.yml"]);
    assert.equal(w.apply[0]!.exitCodes, "ansible-recap");
    for (const step of [...w.validate, ...w.plan, ...w.apply]) {
      assert.deepEqual(step.env, { ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0", ANSIBLE_RETRY_FILES_ENABLED: "0", ANSIBLE_STDOUT_CALLBACK: "default" });
    }
  });

  test("kubernetes: server-side diff read by diff's exit codes, server-side apply; prune only with a selector", () => {
    const w = builtInWorkflows.kubernetes(ctx);
    assert.deepEqual(w.validate, []);
    assert.deepEqual(argvs(w.plan), ["kubectl diff --server-side -f . --recursive"]);
    assert.equal(w.plan[0]!.exitCodes, "diff");
    assert.deepEqual(argvs(w.apply), ["kubectl apply --server-side -f . --recursive"]);
    assert.equal(w.apply[0]!.exitCodes, "plain");
    const pruned = builtInWorkflows.kubernetes({ ...ctx, kubernetesPruneSelector: "app in (a, b)" });
    assert.deepEqual(pruned.plan[0]!.argv.slice(-2), ["--prune", "--selector=app in (a, b)"], "one argument, no shell");
    assert.deepEqual(pruned.apply[0]!.argv.slice(-2), ["--prune", "--selector=app in (a, b)"]);
  });
});

describe("custom workflows", () => {
  test("a run string goes to sh -c as one argument; a run list is the argv itself", () => {
    const w = customWorkflow({
      plan: [{ run: "sh plan.sh; echo $X" }, { run: ["./bin/plan", "--flag", "a b"], env: { X: "1" }, timeout_seconds: 30 }],
    })(ctx);
    assert.deepEqual(w.plan, [{ argv: ["sh", "-c", "sh plan.sh; echo $X"] }, { argv: ["./bin/plan", "--flag", "a b"], env: { X: "1" }, timeoutSeconds: 30 }]);
    assert.deepEqual(w.validate, []);
    assert.deepEqual(w.apply, []);
  });

  test("resolveWorkflow: built-ins by name, custom by key, custom wins, unknown is undefined", () => {
    assert.equal(argvs(resolveWorkflow("terraform")!(ctx).plan)[1]?.startsWith("terraform plan"), true);
    const custom = { shell: { plan: [{ run: "true" }] }, terraform: { plan: [{ run: "echo mine" }] } };
    assert.deepEqual(argvs(resolveWorkflow("shell", custom)!(ctx).plan), ["sh -c true"]);
    assert.deepEqual(argvs(resolveWorkflow("terraform", custom)!(ctx).plan), ["sh -c echo mine"]);
    assert.equal(resolveWorkflow("pulumi", custom), undefined);
    assert.equal(resolveWorkflow("toString", custom), undefined);
  });
});
