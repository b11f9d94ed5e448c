// Every rule of policy/command-decisions.ts, one fact changed at a time from a pull request that
// is open, planned at its head, and gated (production: 1 approval by carol or @acme/sre).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Command } from "../../../src/commands/command-types.ts";
import type { ApprovalEvaluation } from "../../../src/policy/approvals.ts";
import type { EnvironmentGate } from "../../../src/policy/approvers.ts";
import {
  decideCommand,
  decideReview,
  factsNeeded,
  type Actor,
  type CommandDecision,
  type DriftIssueFacts,
  type PullCommandFacts,
  type ReleaseIssueFacts,
} from "../../../src/policy/command-decisions.ts";
import type { Gates } from "../../../src/policy/gates.ts";
import type { PermissionLevel } from "../../../src/policy/permissions.ts";
import type { PlannedProjectFact } from "../../../src/policy/planned-projects.ts";

const HEAD = "c".repeat(40);
const OLD = "a".repeat(40);
const MERGE = "e".repeat(40);
const PRODUCTION: Partial<EnvironmentGate> = { approvals: 1, approvers: ["carol", "@acme/sre"] };

function gates(environments: Record<string, Partial<EnvironmentGate>> = { production: PRODUCTION }, mode: Gates["mode"] = "before_merge"): Gates {
  return { environment: (name) => ({ approvals: 0, approvers: [], allow_author: false, manual: false, ...environments[name] }), survive: "commit", mode };
}
const actor = (login: string, permission: PermissionLevel = "write", teams: string[] = []): Actor => ({ login, permission, teams });
const project = (name: string, p: Partial<PlannedProjectFact> = {}): PlannedProjectFact => ({
  name,
  headSha: HEAD,
  status: "changes",
  planDigest: `d-${name}`,
  ...p,
});
const APP = project("app", { environment: "production" });
const WEB = project("web");

function onPull(f: Partial<PullCommandFacts> = {}, pull: Partial<PullCommandFacts["pull"]> = {}): PullCommandFacts {
  return {
    on: "pull_request",
    actor: actor("carol"),
    pull: { state: "open", merged: false, headSha: HEAD, author: "alice", fromFork: false, mergeable: true, ...pull },
    gates: gates(),
    baseAllowsForks: false,
    plan: { headSha: HEAD, projects: [APP, WEB] },
    ...f,
  };
}
const merged = (f: Partial<PullCommandFacts> = {}) => onPull(f, { state: "closed", merged: true, mergeCommitSha: MERGE });
const onDrift = (f: Partial<DriftIssueFacts> = {}): DriftIssueFacts => ({
  on: "drift_issue",
  actor: actor("carol"),
  project: "app",
  environment: "production",
  gate: gates().environment("production"),
  ...f,
});

const plan = (...projects: string[]): Command => ({ kind: "plan", projects });
const approve = (...environments: string[]): Command => ({ kind: "approve", environments });
const apply = (...targets: string[]): Command => ({ kind: "apply", targets });
const CANCEL: Command = { kind: "approve_cancel" };
const ALL: Command[] = [plan(), apply(), approve(), CANCEL, { kind: "unlock", projects: [] }, { kind: "rollback" }, { kind: "help" }];

function refused(d: CommandDecision, pattern: RegExp): void {
  assert.equal(d.verdict, "refuse", JSON.stringify(d));
  if (d.verdict === "refuse") assert.match(d.reason, pattern);
}
function allowed(d: CommandDecision): Extract<CommandDecision, { verdict: "allow" }> {
  assert.equal(d.verdict, "allow", JSON.stringify(d));
  return d as Extract<CommandDecision, { verdict: "allow" }>;
}
const approvals = (missing: number): ApprovalEvaluation => ({
  satisfied: missing === 0,
  perEnvironment: [{ name: "production", required: 1, approvedBy: missing ? [] : ["carol"], missing, ignored: [] }],
});

describe("who may run commands", () => {
  test("below write permission every command is refused, saying who, what and why, anywhere", () => {
    for (const command of ALL) refused(decideCommand(command, onPull({ actor: actor("bob", "read") })), /@bob needs write access .* they have read/);
    refused(decideCommand(apply(), onDrift({ actor: actor("tri", "triage") })), /@tri needs write access/);
  });

  test("the permission rule comes first: a reader's /apply on a merged pull request is refused for it", () => {
    refused(decideCommand(apply("production"), merged({ actor: actor("bob", "read") })), /write access/);
  });
});

describe("on a drift issue", () => {
  test("only a bare /apply is understood", () => {
    refused(decideCommand(plan(), onDrift()), /only a bare `\/apply`/);
    refused(decideCommand(apply("production"), onDrift()), /only a bare `\/apply`/);
  });

  test("an approver of the project's environment repairs it, a listed user or a team member", () => {
    assert.deepEqual(allowed(decideCommand(apply(), onDrift())).action, { kind: "repair_drift", project: "app" });
    allowed(decideCommand(apply(), onDrift({ actor: actor("dave", "write", ["@acme/sre"]) })));
  });

  test("a writer who is not an approver is refused, naming the environment and the project", () => {
    refused(decideCommand(apply(), onDrift({ actor: actor("erin") })), /@erin is not an approver of `production`, which `app` belongs to/);
  });

  test("a project without an environment needs only write access", () => {
    allowed(decideCommand(apply(), onDrift({ actor: actor("erin"), environment: undefined, gate: undefined })));
  });
});

describe("merged and closed pull requests", () => {
  test("only /help, /rollback and /unlock run; /apply releases (below)", () => {
    refused(decideCommand(plan(), merged()), /merged: only `\/apply <environment>`/);
    refused(decideCommand(approve(), onPull({}, { state: "closed" })), /^the pull request is closed\.$/);
    allowed(decideCommand({ kind: "help" }, merged()));
    assert.deepEqual(allowed(decideCommand({ kind: "unlock", projects: ["app"] }, merged())).action, { kind: "unlock", projects: ["app"] });
  });

  test("/rollback needs a merged pull request, and reverts its merge commit", () => {
    assert.deepEqual(allowed(decideCommand({ kind: "rollback" }, merged())).action, { kind: "rollback", mergeSha: MERGE });
    refused(decideCommand({ kind: "rollback" }, onPull()), /only a merged pull request/);
    refused(decideCommand({ kind: "rollback" }, onPull({}, { state: "closed" })), /only a merged pull request/);
  });
});

describe("/plan", () => {
  test("plans the named projects, or every changed one", () => {
    assert.deepEqual(allowed(decideCommand(plan("app"), onPull())).action, { kind: "plan", projects: ["app"] });
    assert.deepEqual(allowed(decideCommand(plan(), onPull())).action, { kind: "plan" });
  });

  test("never plans a fork the base branch does not allow, and says so", () => {
    refused(decideCommand(plan(), onPull({}, { fromFork: true })), /fork.*`allow_forks`/);
    allowed(decideCommand(plan(), onPull({ baseAllowsForks: true }, { fromFork: true })));
  });
});

describe("/approve", () => {
  test("an approver's approval of the planned head is recorded with its plan digests, without a reply", () => {
    const d = allowed(decideCommand(approve(), onPull()));
    assert.deepEqual(d.action, { kind: "approve", environments: "all", headSha: HEAD, planDigests: { app: "d-app", web: "d-web" } });
    assert.equal(d.answer, undefined);
    assert.equal(allowed(decideCommand(approve(), onPull({ actor: actor("dave", "write", ["@acme/sre"]) }))).answer, undefined, "through a team");
  });

  test("while the head's plan runs it is recorded at once, without digests, and the reply says when it counts", () => {
    for (const stored of [null, { headSha: OLD, projects: [project("app", { headSha: OLD, environment: "production" })] }]) {
      const d = allowed(decideCommand(approve(), onPull({ plan: stored })));
      assert.deepEqual(d.action, { kind: "approve", environments: "all", headSha: HEAD });
      assert.match(d.answer!, /Recorded for ccccccc, whose plan is not recorded yet/);
    }
  });

  test("the author's approval under allow_author: false is recorded, and the reply says it does not count", () => {
    const d = allowed(decideCommand(approve(), onPull({ actor: actor("alice") })));
    assert.equal(d.action.kind, "approve");
    assert.match(
      d.answer!,
      /^Recorded, but it does not count: @alice is the author of this pull request, and production does not allow authors to approve \(allow_author: false\)\.$/,
    );
    assert.equal(
      allowed(decideCommand(approve(), onPull({ actor: actor("alice"), gates: gates({ production: { ...PRODUCTION, approvers: [], allow_author: true } }) })))
        .answer,
      undefined,
    );
  });

  test("a writer outside `approvers` is told so, with the approvers", () => {
    const d = allowed(decideCommand(approve(), onPull({ actor: actor("erin") })));
    assert.match(d.answer!, /does not count: @erin is not an approver of production \(approvers: carol, @acme\/sre\)/);
  });

  test("a named environment the pull request does not touch is answered", () => {
    const d = allowed(decideCommand(approve("staging"), onPull()));
    assert.deepEqual(d.action, { kind: "approve", environments: ["staging"], headSha: HEAD, planDigests: { app: "d-app", web: "d-web" } });
    assert.match(d.answer!, /does not count: this pull request does not touch staging/);
  });

  test("counting for some environments and not others says which", () => {
    const f = onPull({
      plan: { headSha: HEAD, projects: [APP, project("api", { environment: "staging" })] },
      gates: gates({ production: PRODUCTION, staging: { approvals: 1, approvers: ["zoe"] } }),
    });
    assert.match(
      allowed(decideCommand(approve(), f)).answer!,
      /^Recorded; it counts for some of these environments, not all: @carol is not an approver of staging \(approvers: zoe\)\.$/,
    );
  });

  test("a bare /approve is about the environments that need approval; none needing one is said", () => {
    const ungated = onPull({ plan: { headSha: HEAD, projects: [WEB, project("api", { environment: "staging" })] } });
    assert.match(allowed(decideCommand(approve(), ungated)).answer!, /nothing this pull request touches needs an approval/);
    // staging (0 required, approvers: zoe) does not make carol's production approval partial
    const mixed = onPull({
      plan: { headSha: HEAD, projects: [APP, project("api", { environment: "staging" })] },
      gates: gates({ production: PRODUCTION, staging: { approvers: ["zoe"] } }),
    });
    assert.equal(allowed(decideCommand(approve(), mixed)).answer, undefined);
  });

  test("/approve cancel withdraws; with nothing to withdraw it says so", () => {
    assert.deepEqual(allowed(decideCommand(CANCEL, onPull({ hasApproval: true }))), { verdict: "allow", action: { kind: "approve_cancel" } });
    assert.match(allowed(decideCommand(CANCEL, onPull({ hasApproval: false }))).answer!, /no approval on this pull request to withdraw/);
  });
});

describe("/apply before merge", () => {
  const ready = (f: Partial<PullCommandFacts> = {}, pull: Partial<PullCommandFacts["pull"]> = {}) => onPull({ approvals: approvals(0), ...f }, pull);

  test("an approved, mergeable, planned head applies the projects that have changes", () => {
    assert.deepEqual(allowed(decideCommand(apply(), ready())).action, { kind: "apply", projects: ["app", "web"] });
    assert.deepEqual(allowed(decideCommand(apply("web"), ready())).action, { kind: "apply", projects: ["web"] });
  });

  test("an environment name means its planned projects", () => {
    assert.deepEqual(allowed(decideCommand(apply("production"), ready())).action, { kind: "apply", projects: ["app"] });
  });

  test("a repository that applies after merge refuses it", () => {
    refused(decideCommand(apply(), ready({ gates: gates(undefined, "after_merge") })), /applies after merge/);
  });

  test("nothing planned at the head, or a project not planned, or planned at an older commit", () => {
    refused(decideCommand(apply(), ready({ plan: null })), /nothing is planned at the head commit ccccccc: comment `\/plan` first/);
    refused(decideCommand(apply("db"), ready()), /`db` is not planned on this pull request/);
    const older = ready({ plan: { headSha: HEAD, projects: [APP, project("web", { headSha: OLD })] } });
    refused(decideCommand(apply("web"), older), /the plan of `web` is not for the head commit ccccccc/);
  });

  test("a plan that did not succeed is not applied", () => {
    refused(
      decideCommand(apply(), ready({ plan: { headSha: HEAD, projects: [APP, project("web", { status: "error" })] } })),
      /the plan of `web` did not succeed \(error\)/,
    );
  });

  test("nothing to apply — no changes, or applied already — is said, before approvals are asked for", () => {
    const unchanged = { headSha: HEAD, projects: [project("web", { status: "no_changes" })] };
    refused(decideCommand(apply(), ready({ plan: unchanged, approvals: approvals(1) })), /^nothing to apply: the plan of `web` at ccccccc has no changes\.$/);
    const applied = { headSha: HEAD, projects: [project("app", { environment: "production", appliedSha: HEAD })] };
    refused(decideCommand(apply(), ready({ plan: applied })), /^`app` is already applied at ccccccc\.$/);
    const both = { headSha: HEAD, projects: [project("app", { environment: "production", appliedSha: HEAD }), project("web", { status: "no_changes" })] };
    refused(decideCommand(apply(), ready({ plan: both })), /has no changes, and `app` is already applied/);
    const some = { headSha: HEAD, projects: [APP, project("web", { status: "no_changes" })] };
    assert.deepEqual(allowed(decideCommand(apply(), ready({ plan: some }))).action, { kind: "apply", projects: ["app"] }, "only what has changes runs");
  });

  test("missing approvals are listed", () => {
    refused(decideCommand(apply(), ready({ approvals: approvals(1) })), /approvals are missing: production needs 1 more approval \(0 of 1\)\./);
    refused(decideCommand(apply(), ready({ approvals: null })), /the plan of the head commit is not known/);
  });

  test("a pull request that does not merge cleanly, or whose mergeability is unknown, waits", () => {
    refused(decideCommand(apply(), ready({}, { mergeable: false })), /cannot be merged/);
    refused(decideCommand(apply(), ready({}, { mergeable: null })), /still checking/);
  });
});

describe("/apply <environment> on a merged pull request", () => {
  const deploy = (state: string) => ({ sha: MERGE, environments: { staging: "success", production: state } });

  test("an approver releases a waiting environment of the merge commit's deploy", () => {
    assert.deepEqual(allowed(decideCommand(apply("production"), merged({ deploy: deploy("waiting") }))).action, {
      kind: "release",
      environment: "production",
      sha: MERGE,
    });
    allowed(decideCommand(apply("production"), merged({ deploy: deploy("waiting"), actor: actor("dave", "write", ["@acme/sre"]) })));
  });

  test("one environment must be named", () => {
    refused(decideCommand(apply(), merged({ deploy: deploy("waiting") })), /name the environment to release/);
    refused(decideCommand(apply("staging", "production"), merged({ deploy: deploy("waiting") })), /name the environment to release/);
  });

  test("an environment the deploy does not have, or no deploy at all", () => {
    refused(decideCommand(apply("dr"), merged({ deploy: deploy("waiting") })), /the deploy of eeeeeee has no environment `dr`/);
    refused(decideCommand(apply("production"), merged({ deploy: null })), /has no environment `production`/);
    refused(decideCommand(apply("production"), merged({ deploy: { ...deploy("waiting"), sha: OLD } })), /has no environment/);
  });

  test("an environment that is not waiting", () => {
    refused(decideCommand(apply("production"), merged({ deploy: deploy("in_progress") })), /`production` is not waiting for a release \(it is in progress\)/);
  });

  test("a writer who is not an approver is refused, with the approvers", () => {
    refused(
      decideCommand(apply("production"), merged({ deploy: deploy("waiting"), actor: actor("erin") })),
      /@erin is not an approver of `production` \(approvers: carol, @acme\/sre\)/,
    );
  });
});

describe("/apply <environment> on the release issue of a direct push", () => {
  const PUSHED = "b".repeat(40);
  const onRelease = (production: string, f: Partial<ReleaseIssueFacts> = {}): ReleaseIssueFacts => ({
    on: "release_issue",
    actor: actor("carol"),
    sha: PUSHED,
    gates: gates(),
    deploy: { sha: PUSHED, environments: { staging: "success", production } },
    ...f,
  });

  test("an approver releases the waiting environment of the pushed commit's deploy", () => {
    assert.deepEqual(allowed(decideCommand(apply("production"), onRelease("waiting"))).action, { kind: "release", environment: "production", sha: PUSHED });
  });

  test("the same rules as on a merged pull request: write access, an approver, a waiting environment", () => {
    refused(decideCommand(apply("production"), onRelease("waiting", { actor: actor("bob", "read") })), /@bob needs write access/);
    refused(decideCommand(apply("production"), onRelease("waiting", { actor: actor("erin") })), /@erin is not an approver of `production`/);
    refused(decideCommand(apply("production"), onRelease("success")), /`production` is not waiting for a release \(it is success\)/);
    refused(decideCommand(apply("production"), onRelease("waiting", { deploy: null })), /the deploy of bbbbbbb has no environment `production`/);
    refused(decideCommand(apply(), onRelease("waiting")), /name the environment to release/);
  });

  test("only `/apply <environment>` is understood there", () => {
    for (const command of [plan(), approve(), { kind: "help" } as Command]) refused(decideCommand(command, onRelease("waiting")), /on a release issue, only/);
  });
});

describe("reviews", () => {
  const review = (f: Partial<Parameters<typeof decideReview>[0]> = {}) =>
    decideReview({ login: "dave", permission: "write", state: "approved", commitId: HEAD, plan: { headSha: HEAD, projects: [APP] }, ...f });

  test("APPROVED by a writer is an approval of the reviewed commit, for every environment", () => {
    assert.deepEqual(allowed(review()).action, { kind: "approve", environments: "all", headSha: HEAD, planDigests: { app: "d-app" } });
  });

  test("while the reviewed commit's plan runs it is recorded at once, its digests to come", () => {
    assert.deepEqual(allowed(review({ plan: null })).action, { kind: "approve", environments: "all", headSha: HEAD });
    assert.deepEqual(allowed(review({ commitId: OLD })).action, { kind: "approve", environments: "all", headSha: OLD });
  });

  test("a reader's approval is not recorded; anyone's CHANGES_REQUESTED withdraws their own", () => {
    refused(review({ permission: "read" }), /write access/);
    assert.deepEqual(allowed(review({ permission: "read", state: "changes_requested" })).action, { kind: "approve_cancel" });
  });
});

describe("factsNeeded", () => {
  const pull = { on: "pull_request" as const, merged: false };
  test("each command asks for what its decision reads, and no more", () => {
    assert.deepEqual(factsNeeded(plan(), pull), { teams: false, ownApproval: false, approvals: false, deploy: false });
    assert.deepEqual(factsNeeded(approve(), pull), { teams: true, ownApproval: false, approvals: false, deploy: false });
    assert.deepEqual(factsNeeded(CANCEL, pull), { teams: false, ownApproval: true, approvals: false, deploy: false });
    assert.deepEqual(factsNeeded(apply(), pull), { teams: false, ownApproval: false, approvals: true, deploy: false });
    assert.deepEqual(factsNeeded(apply("production"), { on: "pull_request", merged: true }), {
      teams: true,
      ownApproval: false,
      approvals: false,
      deploy: true,
    });
    assert.deepEqual(factsNeeded(apply(), { on: "drift_issue" }), { teams: true, ownApproval: false, approvals: false, deploy: false });
  });
});
