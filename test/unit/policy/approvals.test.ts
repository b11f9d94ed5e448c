import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  evaluateApprovals,
  stricterEnvironment,
  whyCannotApprove,
  type Approval,
  type ApprovalFacts,
  type EnvironmentGate,
} from "../../../src/policy/approvals.ts";

const HEAD = "c".repeat(40);
const OLD = "a".repeat(40);
const gate = (g: Partial<EnvironmentGate> = {}): EnvironmentGate => ({ approvals: 1, approvers: [], allow_author: false, manual: false, ...g });
const approval = (user: string, a: Partial<Approval> = {}): Approval => ({ user, environments: "all", headSha: HEAD, source: "command", at: 1, ...a });
const facts = (f: Partial<ApprovalFacts>): ApprovalFacts => ({
  environments: [{ name: "production", config: gate() }],
  approvals: [],
  author: "alice",
  headSha: HEAD,
  survive: "commit",
  userTeams: {},
  ...f,
});
const only = (f: Partial<ApprovalFacts>) => {
  const result = evaluateApprovals(facts(f));
  return { satisfied: result.satisfied, ...result.perEnvironment[0]! };
};

describe("evaluateApprovals", () => {
  test("one approval at the head from anyone satisfies an environment with no approver list", () => {
    assert.deepEqual(only({ approvals: [approval("bob")] }), {
      satisfied: true,
      name: "production",
      required: 1,
      approvedBy: ["bob"],
      missing: 0,
      ignored: [],
    });
  });

  test("no approvals: the environment is missing them", () => {
    const r = only({});
    assert.equal(r.satisfied, false);
    assert.equal(r.missing, 1);
  });

  test("zero required is satisfied without approvals; so is a PR touching no environment", () => {
    assert.equal(only({ environments: [{ name: "staging", config: gate({ approvals: 0 }) }] }).satisfied, true);
    assert.deepEqual(evaluateApprovals(facts({ environments: [] })), { satisfied: true, perEnvironment: [] });
  });

  test("the author's own approval does not count, whatever the case of the login", () => {
    const r = only({ approvals: [approval("Alice")] });
    assert.equal(r.satisfied, false);
    assert.deepEqual(
      r.ignored.map((i) => i.user),
      ["Alice"],
    );
    assert.match(r.ignored[0]!.why, /author.*allow_author: false/);
  });

  test("allow_author lets the author's approval count", () => {
    const r = only({ environments: [{ name: "production", config: gate({ allow_author: true }) }], approvals: [approval("alice")] });
    assert.deepEqual(r.approvedBy, ["alice"]);
  });

  test("approvers listed by login match case-insensitively; others are ignored with the list", () => {
    const production = gate({ approvers: ["OctoCat", "@acme/sre"] });
    const r = only({ environments: [{ name: "production", config: production }], approvals: [approval("octocat", { at: 1 }), approval("mallory", { at: 2 })] });
    assert.deepEqual(r.approvedBy, ["octocat"]);
    assert.deepEqual(r.ignored, [{ user: "mallory", why: "is not an approver of production (approvers: OctoCat, @acme/sre)" }]);
  });

  test("a member of a listed team counts; team and user names compare case-insensitively", () => {
    const production = gate({ approvers: ["@acme/sre"] });
    const r = only({
      environments: [{ name: "production", config: production }],
      approvals: [approval("Dana")],
      userTeams: { dana: ["@Acme/SRE"], erin: ["@acme/sre"] },
    });
    assert.deepEqual(r.approvedBy, ["Dana"]);
    const notMember = only({ environments: [{ name: "production", config: production }], approvals: [approval("frank")], userTeams: { frank: ["@acme/dev"] } });
    assert.equal(notMember.satisfied, false);
  });

  test("two approvals by one user count once, even spelled differently", () => {
    const r = only({
      environments: [{ name: "production", config: gate({ approvals: 2 }) }],
      approvals: [approval("bob", { at: 1 }), approval("BOB", { at: 2, source: "review" })],
    });
    assert.deepEqual(r.approvedBy, ["bob"]);
    assert.equal(r.missing, 1);
    assert.equal(r.satisfied, false);
  });

  test("distinct users add up, in the order they approved", () => {
    const r = only({
      environments: [{ name: "production", config: gate({ approvals: 2 }) }],
      approvals: [approval("zoe", { at: 5 }), approval("bob", { at: 3 })],
    });
    assert.deepEqual(r.approvedBy, ["bob", "zoe"]);
    assert.equal(r.satisfied, true);
  });

  test("an approval of an older commit does not count under `commit`", () => {
    const r = only({ approvals: [approval("bob", { headSha: OLD, planDigests: { net: "d1" } })], currentDigests: { net: "d1" } });
    assert.equal(r.satisfied, false);
    assert.deepEqual(r.ignored, [{ user: "bob", why: "approved aaaaaaa, not the current head ccccccc; a push invalidates approvals" }]);
  });

  test("under `same_plan` it counts while every project's digest is unchanged", () => {
    const r = only({
      survive: "same_plan",
      approvals: [approval("bob", { headSha: OLD, planDigests: { net: "d1", db: "d2" } })],
      currentDigests: { db: "d2", net: "d1" },
    });
    assert.deepEqual(r.approvedBy, ["bob"]);
  });

  test("under `same_plan` one changed, added or dropped project's plan invalidates it", () => {
    const old = approval("bob", { headSha: OLD, planDigests: { net: "d1", db: "d2" } });
    const changed = only({ survive: "same_plan", approvals: [old], currentDigests: { net: "d1", db: "d2-new" } });
    assert.equal(changed.satisfied, false);
    assert.match(changed.ignored[0]!.why, /^approved aaaaaaa; since then the plan of db changed/);
    const added = only({ survive: "same_plan", approvals: [old], currentDigests: { net: "d1", db: "d2", app: "d3" } });
    assert.match(added.ignored[0]!.why, /plan of app changed/);
    const dropped = only({ survive: "same_plan", approvals: [old], currentDigests: { net: "d1" } });
    assert.match(dropped.ignored[0]!.why, /plan of db changed/);
  });

  test("under `same_plan` nothing carries over without digests on both sides", () => {
    const noneRecorded = only({ survive: "same_plan", approvals: [approval("bob", { headSha: OLD })], currentDigests: { net: "d1" } });
    assert.match(noneRecorded.ignored[0]!.why, /before its plans were recorded/);
    const notReady = only({ survive: "same_plan", approvals: [approval("bob", { headSha: OLD, planDigests: { net: "d1" } })] });
    assert.match(notReady.ignored[0]!.why, /not ready to compare/);
  });

  test("a user's stale approval followed by a fresh one counts and is not listed as ignored", () => {
    const r = only({ approvals: [approval("bob", { headSha: OLD, at: 1 }), approval("bob", { at: 2 })] });
    assert.deepEqual(r.approvedBy, ["bob"]);
    assert.deepEqual(r.ignored, []);
  });

  test("approvals count only for the environments they name", () => {
    const result = evaluateApprovals(
      facts({
        environments: [
          { name: "staging", config: gate() },
          { name: "production", config: gate() },
        ],
        approvals: [approval("bob", { environments: ["staging"] })],
      }),
    );
    assert.equal(result.satisfied, false);
    assert.deepEqual(
      result.perEnvironment.map((e) => [e.name, e.approvedBy, e.missing]),
      [
        ["staging", ["bob"], 0],
        ["production", [], 1],
      ],
    );
  });

  test("with two approver lists (a changed .slipway.yml), a user must qualify under both", () => {
    const combined = stricterEnvironment(gate({ approvers: ["@acme/sre"] }), gate({ approvers: ["alice", "bob", "carol"] }));
    const teams = { bob: ["@acme/sre"], dave: ["@acme/sre"] };
    const r = only({
      environments: [{ name: "production", config: combined }],
      approvals: [approval("bob", { at: 1 }), approval("dave", { at: 2 }), approval("carol", { at: 3 })],
      userTeams: teams,
    });
    assert.deepEqual(r.approvedBy, ["bob"]);
    assert.deepEqual(
      r.ignored.map((i) => i.user),
      ["dave", "carol"],
    );
    assert.match(r.ignored[0]!.why, /approvers: @acme\/sre; and also one of alice, bob, carol/);
  });
});

describe("whyCannotApprove", () => {
  test("the author under allow_author: false, and a user outside the approvers, are told why; others may", () => {
    const production = gate({ approvers: ["carol", "@acme/sre"] });
    assert.match(whyCannotApprove("Alice", "production", production, "alice", {})!, /author.*allow_author: false/);
    assert.equal(whyCannotApprove("alice", "production", gate({ allow_author: true }), "alice", {}), undefined);
    assert.equal(whyCannotApprove("erin", "production", production, "alice", {}), "is not an approver of production (approvers: carol, @acme/sre)");
    assert.equal(whyCannotApprove("dave", "production", production, "alice", { dave: ["@acme/sre"] }), undefined);
    assert.equal(whyCannotApprove("CAROL", "production", production, "alice", {}), undefined);
  });
});

describe("stricterEnvironment", () => {
  test("takes the larger count, manual if either, allow_author only if both", () => {
    const s = stricterEnvironment(gate({ approvals: 1, manual: false, allow_author: true }), gate({ approvals: 3, manual: true, allow_author: false }));
    assert.deepEqual(s, { approvals: 3, approvers: [], allow_author: false, manual: true });
    const t = stricterEnvironment(gate({ approvals: 2, manual: true, allow_author: true }), gate({ approvals: 0, allow_author: true }));
    assert.deepEqual(t, { approvals: 2, approvers: [], allow_author: true, manual: true });
  });

  test("a head that drops the environment, or a base without it, cannot loosen the gate", () => {
    const base = gate({ approvals: 2, approvers: ["@acme/sre"], manual: true });
    assert.deepEqual(stricterEnvironment(base, undefined), base);
    assert.deepEqual(stricterEnvironment(undefined, base), base);
    assert.deepEqual(stricterEnvironment(undefined, undefined), { approvals: 0, approvers: [], allow_author: false, manual: false });
  });

  test("an empty approver list means anyone, so the other list applies", () => {
    assert.deepEqual(stricterEnvironment(gate({ approvers: [] }), gate({ approvers: ["bob"] })).approvers, ["bob"]);
    assert.deepEqual(stricterEnvironment(gate({ approvers: ["@acme/sre"] }), gate({ approvers: [] })).approvers, ["@acme/sre"]);
  });

  test("when one list is within the other, the smaller alone is kept", () => {
    const s = stricterEnvironment(gate({ approvers: ["alice", "@acme/sre"] }), gate({ approvers: ["@Acme/SRE"] }));
    assert.deepEqual([s.approvers, s.alsoApprovers], [["@Acme/SRE"], undefined]);
    const same = stricterEnvironment(gate({ approvers: ["bob"] }), gate({ approvers: ["BOB"] }));
    assert.deepEqual([same.approvers, same.alsoApprovers], [["bob"], undefined]);
  });

  test("lists sharing no entry are both kept, never collapsed to an empty (anyone) list", () => {
    const s = stricterEnvironment(gate({ approvers: ["alice"] }), gate({ approvers: ["mallory"] }));
    assert.deepEqual([s.approvers, s.alsoApprovers], [["alice"], [["mallory"]]]);
    const r = only({ environments: [{ name: "production", config: s }], approvals: [approval("alice"), approval("mallory")] });
    assert.equal(r.satisfied, false, "no one is in both lists, so no one may approve");
  });
});
