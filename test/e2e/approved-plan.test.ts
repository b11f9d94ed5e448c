// Apply what was approved (SPEC §7): after a merge, a project whose plan at the merge commit is
// not the plan its approvals were given for is not applied; its environment waits, the merged
// pull request shows what differs, and an approver's `/apply <environment>` applies exactly the
// plan file that was shown. The `terraform` on Slipway's PATH is a STAND-IN
// (test/fixtures/stand-in-terraform-world) that writes plans in terraform's documented JSON
// format: the project's plan.json, or what the test says the world now makes of it.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { addPeople, approvalIs, makeWorldDir, planned, replyTo, sticky } from "./change-control-helpers.ts";

const STAND_IN = fileURLToPath(new URL("../fixtures/stand-in-terraform-world", import.meta.url));
const TOKEN = "approved-plan-test-token";

const CONFIG = `version: 1
projects:
  - name: net
    dir: net
    workflow: terraform
    environment: production
environments:
  production:
    approvals: 1
    approvers: ["carol"]
`;

interface Change {
  address: string;
  actions: string[];
}

/** A plan in terraform's documented JSON format (format_version 1.x). */
function planJson(changes: Change[]): string {
  return `${JSON.stringify(
    {
      format_version: "1.2",
      terraform_version: "1.9.8",
      timestamp: "2026-11-26T10:00:00Z",
      resource_changes: changes.map((c) => {
        const [type, name] = c.address.split(".");
        return {
          address: c.address,
          mode: "managed",
          type,
          name,
          provider_name: "registry.terraform.io/hashicorp/aws",
          change: { actions: c.actions, before: null, after: { name }, after_unknown: {}, before_sensitive: false, after_sensitive: {} },
        };
      }),
      output_changes: {},
    },
    null,
    2,
  )}\n`;
}

const APPROVED = planJson([{ address: "aws_instance.web", actions: ["create"] }]);

let e2e: E2E;
let world: string;
let repos = 0;

before(async () => {
  world = await makeWorldDir();
  e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world, SLIPWAY_API_TOKEN: TOKEN, PATH: `${STAND_IN}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
  addPeople(e2e.gh);
});
after(async () => {
  await e2e?.stop();
  await rm(world, { recursive: true, force: true });
});

const lines = async (file: string) => (await readFile(path.join(world, file), "utf8").catch(() => "")).split("\n").filter(Boolean);
/** The plan files' markers, in the order the stand-in wrote them. */
const plans = async () => (await lines("plans.log")).map((l) => l.split(" ")[3]!);
const applies = async (sha: string) => (await lines("applies.log")).filter((l) => l.split(" ")[2] === sha).map((l) => l.split(" ")[3]!);
const setWorld = (plan: string | null) =>
  plan === null ? rm(path.join(world, "net.world.json"), { force: true }) : writeFile(path.join(world, "net.world.json"), plan);

function statuses(repo: string): { state: string; description: string }[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === "production");
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => ({ state: s.state, description: s.description })) : [];
}

/** A pull request planned at its head and approved by carol. */
async function approvedPull(): Promise<{ repo: string; pr: PullInfo }> {
  const repo = `acme/approved-${++repos}`;
  await e2e.gh.createRepo({
    owner: "acme",
    name: repo.split("/")[1]!,
    files: { ".slipway.yml": CONFIG, "net/main.tf": "# net\n", "net/plan.json": planJson([]) },
  });
  const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "web", files: { "net/main.tf": "# net v2\n", "net/plan.json": APPROVED } });
  await planned(e2e.gh, pr, "net");
  await e2e.gh.comment(pr, "carol", "/approve");
  await approvalIs(e2e.gh, pr, "success", "production approved");
  return { repo, pr };
}

describe("apply what was approved", () => {
  test("an unchanged plan at the merge commit is applied as today", async () => {
    await setWorld(null);
    const { repo, pr } = await approvedPull();
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
    await waitFor(() => statuses(repo).at(-1)?.state === "success", { timeoutMs: 30_000, what: "production deployed" });
    assert.equal((await applies(mergeCommitSha)).length, 1, "applied once");
    assert.deepEqual(e2e.sim.violations, []);
  });

  test("a plan that changed between approval and merge waits; a non-approver cannot release it; an approver applies the plan shown, after a second change waits again", async () => {
    await setWorld(null);
    const { repo, pr } = await approvedPull();
    // The world moved after the approval: the same configuration now plans something else.
    await setWorld(
      planJson([
        { address: "aws_instance.web", actions: ["delete", "create"] },
        { address: "aws_s3_bucket.logs", actions: ["create"] },
      ]),
    );
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
    await e2e.idle();
    assert.deepEqual(await applies(mergeCommitSha), [], "nothing applied");
    assert.deepEqual(
      statuses(repo).map((s) => s.state),
      ["queued", "in_progress", "queued"],
      "production waits, queued",
    );
    assert.match(statuses(repo).at(-1)!.description, /the plan of net changed since it was approved/);
    const shown = String(sticky(e2e.gh, pr)?.body);
    assert.match(shown, /`net`, added: `aws_s3_bucket\.logs` \(create\)/);
    assert.match(shown, /`net`, another action: `aws_instance\.web`: create → replace/);

    const waiting = (await (
      await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}&kind=deploy.waiting`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { events: { project?: string; plan_digest?: string; reason?: string }[] };
    assert.equal(waiting.events.length, 1, "audited once as deploy.waiting");
    assert.equal(waiting.events[0]!.project, "net");
    assert.match(waiting.events[0]!.reason!, /approved plan [0-9a-f]{12,}, plan now [0-9a-f]{12,}/, "with both digests");
    assert.ok(waiting.events[0]!.reason!.includes(waiting.events[0]!.plan_digest!), "the new plan's digest");

    const byErin = await e2e.gh.comment(pr, "erin", "/apply production");
    assert.match(String((await replyTo(e2e.gh, pr, byErin, "erin's refusal")).body), /not an approver of `production`/);
    await e2e.idle();
    assert.deepEqual(await applies(mergeCommitSha), [], "a non-approver's /apply applies nothing");

    // The world moves again before the release: the plan shown is no longer what would apply.
    await setWorld(planJson([{ address: "aws_instance.web", actions: ["update"] }]));
    await e2e.gh.comment(pr, "carol", "/apply production");
    await waitFor(async () => String(sticky(e2e.gh, pr)?.body).includes("`net`, another action: `aws_instance.web`: create → update"), {
      timeoutMs: 30_000,
      what: "the new plan shown",
    });
    await e2e.idle();
    assert.deepEqual(await applies(mergeCommitSha), [], "waits again: nothing applied");
    assert.equal(statuses(repo).at(-1)!.state, "queued");

    const shownPlan = (await plans()).at(-1)!;
    await e2e.gh.comment(pr, "carol", "/apply production");
    await waitFor(() => statuses(repo).at(-1)?.state === "success", { timeoutMs: 30_000, what: "production deployed" });
    await e2e.idle();
    assert.deepEqual(await applies(mergeCommitSha), [shownPlan], "exactly the plan file that was shown, once — not the release's own re-plan");
    assert.notEqual((await plans()).at(-1), shownPlan, "the release planned again to check the world had not moved");
    assert.deepEqual(e2e.sim.violations, []);
  });
});
