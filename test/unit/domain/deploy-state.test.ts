import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  deploymentUpdates,
  nextSteps,
  reduceDeploy,
  releaseIssueChange,
  type DeployEvent,
  type DeployState,
  type EnvironmentState,
} from "../../../src/domain/deploy-state.ts";
import type { ProjectRunResult } from "../../../src/domain/types.ts";

// staging: net-staging → app-staging; production (manual): net-production after net-staging.
function deploy(production: EnvironmentState = "waiting"): DeployState {
  return {
    sha: "a".repeat(40),
    pullNumber: 7,
    projects: [
      { name: "net-staging", environment: "staging", dependsOn: [] },
      { name: "app-staging", environment: "staging", dependsOn: ["net-staging"] },
      { name: "net-production", environment: "production", dependsOn: ["net-staging"] },
    ],
    environments: {
      staging: { name: "staging", deploymentId: 1, state: "queued" },
      production: { name: "production", deploymentId: 2, state: production, ...(production === "waiting" ? { reason: "production is manual" } : {}) },
    },
    results: {},
  };
}

function result(project: string, status: ProjectRunResult["status"] = "changes"): ProjectRunResult {
  return { project, dir: project, status, output: "", truncated: false, durationMs: 1 };
}

function run(state: DeployState, ...events: DeployEvent[]): DeployState {
  return events.reduce(reduceDeploy, state);
}

const started = (project: string): DeployEvent => ({ type: "project_started", project });
const finished = (project: string, status: ProjectRunResult["status"] = "changes"): DeployEvent => ({
  type: "project_finished",
  result: result(project, status),
});

describe("deploy state machine: environment states", () => {
  const cases: { name: string; events: DeployEvent[]; staging: EnvironmentState; production: EnvironmentState; inFlight: string[] }[] = [
    { name: "nothing happened yet", events: [], staging: "queued", production: "waiting", inFlight: [] },
    {
      name: "a project starts: its environment is in progress",
      events: [started("net-staging")],
      staging: "in_progress",
      production: "waiting",
      inFlight: ["net-staging"],
    },
    {
      name: "one of two projects applied: still in progress",
      events: [started("net-staging"), finished("net-staging")],
      staging: "in_progress",
      production: "waiting",
      inFlight: [],
    },
    {
      name: "all its projects applied: success, while production still waits",
      events: [started("net-staging"), finished("net-staging"), started("app-staging"), finished("app-staging")],
      staging: "success",
      production: "waiting",
      inFlight: [],
    },
    {
      name: "a project with no changes counts as applied",
      events: [started("net-staging"), finished("net-staging", "no_changes"), started("app-staging"), finished("app-staging")],
      staging: "success",
      production: "waiting",
      inFlight: [],
    },
    {
      name: "a failed project fails its environment once all its projects are done",
      events: [started("net-staging"), finished("net-staging", "error"), finished("app-staging", "error")],
      staging: "failure",
      production: "waiting",
      inFlight: [],
    },
    {
      name: "the worker dies mid-apply: the environment waits, the project stays in flight",
      events: [started("net-staging"), { type: "interrupted" }],
      staging: "waiting",
      production: "waiting",
      inFlight: ["net-staging"],
    },
    {
      name: "an interrupted environment released: queued again, its half-applied project runs again",
      events: [started("net-staging"), { type: "interrupted" }, { type: "released", environment: "staging", by: "carol" }],
      staging: "queued",
      production: "waiting",
      inFlight: [],
    },
    {
      name: "a manual environment released",
      events: [{ type: "released", environment: "production", by: "carol" }],
      staging: "queued",
      production: "queued",
      inFlight: [],
    },
    {
      name: "a release of an older commit skips the environment",
      events: [{ type: "release_superseded", environment: "production" }],
      staging: "queued",
      production: "skipped",
      inFlight: [],
    },
    {
      name: "a release of an environment that does not wait changes nothing",
      events: [{ type: "released", environment: "staging", by: "carol" }],
      staging: "queued",
      production: "waiting",
      inFlight: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = run(deploy(), ...c.events);
      assert.equal(s.environments.staging!.state, c.staging);
      assert.equal(s.environments.production!.state, c.production);
      assert.deepEqual(s.inFlight ?? [], c.inFlight);
    });
  }

  test("the reducer does not change the state it is given", () => {
    const before = deploy();
    const copy = structuredClone(before);
    run(before, started("net-staging"), finished("net-staging"));
    assert.deepEqual(before, copy);
  });

  test("an interrupted environment says what was being applied and how to run it again", () => {
    const s = run(deploy(), started("net-staging"), { type: "interrupted" });
    assert.match(s.environments.staging!.reason!, /interrupted, not re-run automatically while applying net-staging/);
    assert.match(s.environments.staging!.reason!, /`\/apply staging`/);
  });

  test("a waiting environment says where to release it: the merged pull request, or a direct push's release issue", () => {
    const { pullNumber: _none, ...pushed } = deploy();
    const changed: DeployEvent = { type: "plan_changed", project: "net-staging", held: { digest: "d", plan: result("net-staging") } };
    for (const event of [{ type: "interrupted" } as const, changed]) {
      const merged = run(deploy(), started("net-staging"), event).environments.staging!.reason!;
      assert.match(merged, /`\/apply staging` on the merged pull request/);
      const direct = run(pushed, started("net-staging"), event).environments.staging!.reason!;
      assert.match(direct, /`\/apply staging` on the release issue of this commit/);
      assert.doesNotMatch(direct, /pull request/, "a direct push has none");
    }
  });
});

describe("deploy state machine: what runs next", () => {
  test("first the projects with no upstream in the deploy, only in environments that may run", () => {
    assert.deepEqual(nextSteps(deploy()), { apply: ["net-staging"], blocked: [] });
  });

  test("a project waits while it is being applied, then its downstream projects are ready", () => {
    assert.deepEqual(nextSteps(run(deploy(), started("net-staging"))).apply, []);
    assert.deepEqual(nextSteps(run(deploy("queued"), started("net-staging"), finished("net-staging"))).apply, ["app-staging", "net-production"]);
  });

  test("a waiting environment's projects do not run, even when their upstream applied", () => {
    assert.deepEqual(nextSteps(run(deploy(), started("net-staging"), finished("net-staging"))).apply, ["app-staging"]);
  });

  test("a failed upstream blocks its downstream projects, naming it", () => {
    const s = run(deploy("queued"), started("net-staging"), finished("net-staging", "error"));
    assert.deepEqual(nextSteps(s), {
      apply: [],
      blocked: [
        { project: "app-staging", upstream: "net-staging" },
        { project: "net-production", upstream: "net-staging" },
      ],
    });
  });

  test("a dependency outside the deploy (unchanged by the commit) does not hold a project back", () => {
    const s = deploy();
    s.projects = [{ name: "app-staging", environment: "staging", dependsOn: ["net-staging"] }];
    assert.deepEqual(nextSteps(s).apply, ["app-staging"]);
  });

  test("everything done: nothing to run", () => {
    const s = run(deploy(), started("net-staging"), finished("net-staging"), started("app-staging"), finished("app-staging"));
    assert.deepEqual(nextSteps(s), { apply: [], blocked: [] });
  });
});

describe("deploy state machine: GitHub deployment statuses", () => {
  test("at the start every environment's deployment is queued, a waiting one saying why", () => {
    assert.deepEqual(deploymentUpdates(null, deploy()), [
      { deploymentId: 1, state: "queued", description: "queued" },
      { deploymentId: 2, state: "queued", description: "production is manual" },
    ]);
  });

  test("staging turns success as soon as its own projects are applied", () => {
    const before = run(deploy(), started("net-staging"), finished("net-staging"), started("app-staging"));
    const after = reduceDeploy(before, finished("app-staging"));
    assert.deepEqual(deploymentUpdates(before, after), [{ deploymentId: 1, state: "success", description: "staging: success" }]);
  });

  test("a release from waiting to queued posts nothing: the deployment already reads queued", () => {
    const before = deploy();
    assert.deepEqual(deploymentUpdates(before, reduceDeploy(before, { type: "released", environment: "production", by: "carol" })), []);
  });

  test("an interruption reads error; its release reads queued again; a skipped release reads inactive", () => {
    const running = run(deploy(), started("net-staging"));
    const interrupted = reduceDeploy(running, { type: "interrupted" });
    assert.deepEqual(deploymentUpdates(running, interrupted), [
      { deploymentId: 1, state: "error", description: "staging: interrupted, not re-run automatically" },
    ]);
    const released = reduceDeploy(interrupted, { type: "released", environment: "staging", by: "carol" });
    assert.deepEqual(deploymentUpdates(interrupted, released), [{ deploymentId: 1, state: "queued", description: "released by @carol" }]);
    const skipped = reduceDeploy(deploy(), { type: "release_superseded", environment: "production" });
    assert.equal(deploymentUpdates(deploy(), skipped)[0]!.state, "inactive");
  });

  test("projects without an environment have no deployment to update", () => {
    const s = deploy();
    s.projects.push({ name: "dns" });
    s.environments[""] = { name: "", state: "queued" };
    assert.deepEqual(
      deploymentUpdates(null, s).map((u) => u.deploymentId),
      [1, 2],
    );
    assert.equal(run(s, started("dns"), finished("dns")).environments[""]!.state, "success");
  });
});

describe("deploy state machine: a plan that changed since it was approved", () => {
  const held = {
    digest: "d2",
    plan: result("net-staging"),
    differences: { added: [], removed: [], changed: [{ address: "aws_instance.web", from: "create" as const, to: "replace" as const }] },
  };

  test("the project is held, its environment waits like a manual one, and nothing after it runs", () => {
    const s = run(deploy("queued"), started("net-staging"), { type: "plan_changed", project: "net-staging", held });
    assert.equal(s.environments.staging!.state, "waiting");
    assert.match(s.environments.staging!.reason!, /the plan of net-staging changed since it was approved/);
    assert.deepEqual(s.held, { "net-staging": held });
    assert.deepEqual(s.inFlight, []);
    assert.deepEqual(nextSteps(s), { apply: [], blocked: [] }, "its downstream projects in staging and production wait");
    assert.deepEqual(deploymentUpdates(run(deploy("queued"), started("net-staging")), s), [
      { deploymentId: 1, state: "queued", description: s.environments.staging!.reason! },
    ]);
  });

  test("released, the held project is the next to run; applied, it is no longer held", () => {
    const waiting = run(deploy("queued"), started("net-staging"), { type: "plan_changed", project: "net-staging", held });
    const released = reduceDeploy(waiting, { type: "released", environment: "staging", by: "carol" });
    assert.deepEqual(nextSteps(released).apply, ["net-staging"]);
    assert.deepEqual(released.held, { "net-staging": held }, "the plan shown stays until it is applied");
    const done = run(released, started("net-staging"), finished("net-staging"));
    assert.deepEqual(done.held, {});
    assert.equal(done.environments.staging!.state, "in_progress", "app-staging still to apply");
  });
});

describe("deploy state machine: the release issue of a direct push", () => {
  const pushed = (): DeployState => {
    const { pullNumber: _none, ...rest } = deploy();
    return rest;
  };
  const stagingDone = [started("net-staging"), finished("net-staging"), started("app-staging"), finished("app-staging")];
  const opened: DeployEvent = { type: "release_issue_opened", issue: 12 };

  test("a merge's deploy never has one: its pull request is where releases are asked", () => {
    assert.equal(releaseIssueChange(deploy()), undefined);
  });

  test("opened as soon as an environment waits, naming the waiting ones", () => {
    assert.deepEqual(releaseIssueChange(pushed()), { open: ["production"] });
  });

  test("nothing to open when nothing waits", () => {
    assert.equal(releaseIssueChange({ ...pushed(), environments: { staging: deploy().environments.staging! } }), undefined);
  });

  test("once opened, it stays open while an environment waits or still runs", () => {
    assert.equal(releaseIssueChange(run(pushed(), opened)), undefined);
    assert.equal(run(pushed(), opened).releaseIssue, 12);
    const releasedNotRun = run(pushed(), opened, ...stagingDone, { type: "released", environment: "production", by: "carol" });
    assert.equal(releaseIssueChange(releasedNotRun), undefined, "production queued: not yet");
  });

  test("closed once the released environment applied", () => {
    const done = run(
      pushed(),
      opened,
      ...stagingDone,
      { type: "released", environment: "production", by: "carol" },
      started("net-production"),
      finished("net-production"),
    );
    assert.deepEqual(releaseIssueChange(done), { close: { skipped: [] } });
    assert.equal(releaseIssueChange(run(done, { type: "release_issue_closed" })), undefined, "closed once");
  });

  test("closed, saying so, when the environment was skipped because a newer commit is on the branch", () => {
    const skipped = run(pushed(), opened, ...stagingDone, { type: "release_superseded", environment: "production" });
    assert.deepEqual(releaseIssueChange(skipped), { close: { skipped: ["production"] } });
  });
});
