// The built-in terraform workflow through the whole app: the plan's counts and resources reach
// the check run and the sticky comment, and `approvals_survive: same_plan` follows the digest of
// the JSON plan. The `terraform` on Slipway's PATH is a STAND-IN (test/fixtures/stand-in-terraform)
// that writes the project's `plan.json`, a plan in terraform's documented JSON format, on
// `show -json`; its text output is the same whatever the plan, so only the JSON can tell plans apart.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { addPeople, approvalIs, checkText, newestCheck, planned, STICKY } from "./change-control-helpers.ts";

const STAND_IN = fileURLToPath(new URL("../fixtures/stand-in-terraform", import.meta.url));
const PLANS = new URL("../fixtures/terraform-plan-json/", import.meta.url);
const MISSING = /production\D{0,20}0\s*(of|\/)\s*1/i;

const CONFIG = `version: 1
apply: before_merge
approvals_survive: same_plan
projects:
  - name: infra
    dir: infra
    workflow: terraform
    environment: production
environments:
  production:
    approvals: 1
    approvers: ["carol"]
`;

type Plan = { timestamp: string; resource_changes: { change: { actions: string[] } }[] };

let e2e: E2E;
before(async () => {
  // The stand-in first on PATH: a real terraform may be installed and cannot download providers.
  e2e = await startE2E({ env: { PATH: `${STAND_IN}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
  addPeople(e2e.gh);
});
after(async () => {
  await e2e?.stop();
});

const plan = async (name: string): Promise<Plan> => JSON.parse(await readFile(new URL(`${name}.json`, PLANS), "utf8")) as Plan;
const json = (p: Plan) => `${JSON.stringify(p, null, 2)}\n`;

describe("terraform workflow with a JSON plan, end to end", () => {
  test("counts and resources in the check and the comment; approvals survive a reordered plan and not another action", async () => {
    const gh = e2e.gh;
    await gh.createRepo({
      owner: "acme",
      name: "tfjson",
      files: { ".slipway.yml": CONFIG, "infra/main.tf": "# infra\n", "infra/plan.json": json(await plan("no-op")) },
    });
    const replace = await plan("replace");
    const pr = await gh.openPullRequest({ repo: "acme/tfjson", author: "alice", branch: "replace-web", files: { "infra/plan.json": json(replace) } });

    const check = await planned(gh, pr, "infra");
    assert.equal(check.output.title, "Plan: 2 to add, 0 to change, 2 to destroy (2 to replace)");
    assert.match(checkText(check), /^- replace `aws_instance\.web`$/m);
    // The sticky comment is written after the check runs: wait for the one with this plan's counts.
    const sticky = await gh.waitFor(
      () => gh.comments(pr.repo, pr.number).find((c) => String(c.body).includes(STICKY) && String(c.body).includes("`+2 ~0 -2 (2 to replace)`")),
      {
        timeoutMs: 30_000,
        what: "the sticky comment with the plan's counts",
      },
    );
    assert.match(String(sticky.body), /^- replace `aws_instance\.api`$/m);

    await gh.comment(pr, "carol", "/approve");
    await approvalIs(gh, pr, "success", "carol's approval");

    // The same change, listed in another order at another time: the same plan.
    const reordered = { ...replace, timestamp: "2031-05-05T05:05:05Z", resource_changes: [...replace.resource_changes].reverse() };
    const same = await gh.pushToPullRequest(pr, { "infra/plan.json": json(reordered) });
    const sameHead: PullInfo = { ...pr, headSha: same.headSha };
    await planned(gh, sameHead, "infra");
    const kept = await approvalIs(gh, sameHead, "success", "the approval to survive the same JSON plan");
    assert.match(checkText(kept), /carol/);

    // One replacement becomes a plain delete: the stand-in's text output is unchanged, the plan is not.
    const deleted = structuredClone(reordered);
    deleted.resource_changes[0]!.change.actions = ["delete"];
    const other = await gh.pushToPullRequest(pr, { "infra/plan.json": json(deleted) });
    const otherHead: PullInfo = { ...pr, headSha: other.headSha };
    await planned(gh, otherHead, "infra");
    await approvalIs(gh, otherHead, "failure", "a different plan to need approval again");
    await e2e.idle(); // read the settled check, not one written before the plan ended
    const dropped = newestCheck(gh, otherHead.repo, otherHead.headSha, "slipway/approval")!;
    assert.equal(dropped.conclusion, "failure", checkText(dropped));
    assert.match(checkText(dropped), MISSING);
  });
});
