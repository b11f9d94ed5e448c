// A direct push to the default branch has no pull request to comment `/apply <environment>` on:
// Slipway opens a release issue for the waiting deploy, releases from a writer who is an approver
// there (same rules as on a pull request), and closes the issue when nothing waits any more or a
// newer commit takes over.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { AuditEvent } from "../../src/audit/event.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

let e2e: E2E;
let world: string;
let repoCount = 0;
const TOKEN = "e2e-api-token-release-0123456789";

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);
const releaseIssues = (repo: string, state: "open" | "closed" | "all" = "open") => e2e.gh.issues(repo, { labels: ["release"], state });

async function newRepo(): Promise<string> {
  const name = `release-${++repoCount}`;
  await e2e.gh.createRepo({ owner: "acme", name, fixture: "deploy-repo" });
  return `acme/${name}`;
}

function statuses(repo: string, environment: string, sha: string): string[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === environment && d.sha === sha);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => s.state) : [];
}

describe("release issue of a direct push", () => {
  before(async () => {
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: world, SLIPWAY_API_TOKEN: TOKEN } });
    for (const user of ["alice", "carol", "erin"]) e2e.gh.addUser(user, { permission: "write" });
    e2e.gh.addUser("bob", { permission: "read" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(world, { recursive: true, force: true });
  });

  test("staging applies, an issue asks for production's release; a reader and a non-approver are refused, an approver applies it and the issue closes", async () => {
    const repo = await newRepo();
    const { after: sha } = await e2e.gh.pushToDefaultBranch(repo, { "staging/desired.txt": "pushed\n", "production/desired.txt": "pushed\n" });
    await waitFor(async () => (await readWorld("staging.txt")) === "pushed\n", { timeoutMs: 30_000, what: "staging applied from a push" });
    const issue = await waitFor(() => releaseIssues(repo)[0], { timeoutMs: 30_000, what: "the release issue" });
    assert.equal(issue.title, `Deploy of ${sha.slice(0, 7)} to production waits for release`);
    assert.match(String(issue.body), /`\/apply production`/);
    assert.match(
      String(issue.body),
      /production was pushed straight to the default branch: waiting until an approver comments `\/apply production` on the release issue of this commit/,
    );
    assert.deepEqual(statuses(repo, "production", sha), ["queued"]);
    const target = { repo, number: Number(issue.number) };

    const byReader = await e2e.gh.comment(target, "bob", "/apply production");
    await waitFor(() => e2e.gh.comments(repo, target.number).find((c) => c.id > byReader.id && /write/i.test(c.body)), { what: "the reader refused" });
    const byWriter = await e2e.gh.comment(target, "erin", "/apply production");
    await waitFor(() => e2e.gh.comments(repo, target.number).find((c) => c.id > byWriter.id && /not an approver/i.test(c.body)), {
      what: "the non-approver refused",
    });
    assert.equal(await readWorld("production.txt"), undefined, "untouched after the refusals");

    await e2e.gh.comment(target, "carol", "/apply production");
    await waitFor(async () => (await readWorld("production.txt")) === "pushed\n", { timeoutMs: 30_000, what: "production applied" });
    await waitFor(() => releaseIssues(repo, "closed").length === 1, { timeoutMs: 30_000, what: "the issue closed" });
    assert.deepEqual(statuses(repo, "production", sha), ["queued", "in_progress", "success"]);
    assert.match(e2e.gh.comments(repo, target.number).at(-1)!.body, /nothing waits any more.*`production` success/);
    await e2e.idle();
    const res = await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}&limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { events } = (await res.json()) as { events: AuditEvent[] };
    const released = events.filter((e) => e.kind === "deploy.released");
    assert.deepEqual(
      released.map((e) => [e.actor, e.environment, e.outcome, e.via, e.sha]),
      [["carol", "production", "released", "comment", sha]],
    );
    assert.equal(events.filter((e) => e.kind === "command.refused").length, 2, "both refusals audited");
  });

  test("a newer push closes the older release issue, saying so, and opens its own", async () => {
    const repo = await newRepo();
    const { after: older } = await e2e.gh.pushToDefaultBranch(repo, { "production/desired.txt": "older\n" });
    const first = await waitFor(() => releaseIssues(repo)[0], { timeoutMs: 30_000, what: "the first release issue" });
    const { after: newer } = await e2e.gh.pushToDefaultBranch(repo, { "production/desired.txt": "newer\n" });
    await waitFor(() => releaseIssues(repo).length === 1 && releaseIssues(repo)[0]!.number !== first.number, {
      timeoutMs: 30_000,
      what: "the older issue closed and the newer one open",
    });
    assert.match(releaseIssues(repo)[0]!.title as string, new RegExp(newer.slice(0, 7)));
    const closing = e2e.gh.comments(repo, Number(first.number)).at(-1)!.body;
    assert.match(closing, new RegExp(`${newer.slice(0, 7)} is on the default branch now`));
    assert.match(closing, new RegExp(`not applied at ${older.slice(0, 7)}`));
    assert.notEqual(await readWorld("production.txt"), "older\n");
  });
});
