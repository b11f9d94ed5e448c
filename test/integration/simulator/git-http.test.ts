import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";

const run = promisify(execFile);

function authArgs(token: string | undefined): string[] {
  if (!token) return [];
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return ["-c", `http.extraHeader=Authorization: Basic ${basic}`];
}

async function git(cwd: string, token: string | undefined, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_ASKPASS: "/bin/false" };
  const { stdout } = await run("git", [...authArgs(token), "-c", "user.name=Slipway", "-c", "user.email=bot@sim", ...args], { cwd, env, timeout: 30_000 });
  return stdout.trim();
}

describe("GitHub simulator git smart HTTP", () => {
  let sim: GitHubSimulator;
  let work: string;
  let token: string;
  let installationId: number;

  before(async () => {
    sim = await startGitHubSimulator();
    work = await mkdtemp(join(tmpdir(), "slipway-git-test-"));
    installationId = (await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" })).installationId;
    token = sim.installationToken(installationId);
  });
  after(async () => {
    await sim?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("clone with the installation token gets the fixture, scripts still executable", async () => {
    await git(work, token, "clone", "--quiet", sim.gitUrl("acme/infra"), "clone-ok");
    assert.equal(await readFile(join(work, "clone-ok", "app", "desired.txt"), "utf8"), "replicas=1\n");
    assert.ok(((await stat(join(work, "clone-ok", "app", "plan.sh"))).mode & 0o111) !== 0);
  });

  test("clone without a token or with a wrong one is refused with 401", async () => {
    const mark = sim.gitRequests.length;
    await assert.rejects(git(work, undefined, "clone", "--quiet", sim.gitUrl("acme/infra"), "clone-anon"));
    await assert.rejects(git(work, "ghs_wrong", "clone", "--quiet", sim.gitUrl("acme/infra"), "clone-wrong"));
    const statuses = sim.gitRequests.slice(mark).map((r) => r.status);
    assert.ok(statuses.length >= 2 && statuses.every((s) => s === 401), `got ${statuses.join(",")}`);
  });

  test("a pushed new branch becomes a PR through the API, and a push to it synchronizes the PR", async () => {
    const dir = join(work, "clone-push");
    await git(work, token, "clone", "--quiet", sim.gitUrl("acme/infra"), dir);
    await git(dir, undefined, "checkout", "--quiet", "-b", "revert-1");
    await writeFile(join(dir, "app", "desired.txt"), "replicas=0\n");
    await git(dir, undefined, "commit", "--quiet", "-am", "Revert");
    await git(dir, token, "push", "--quiet", "origin", "revert-1");
    const pushed = await git(dir, undefined, "rev-parse", "HEAD");
    await sim.idle();
    const pushHook = sim.deliveries.filter((d) => d.event === "push").at(-1);
    assert.equal(pushHook?.payload.ref, "refs/heads/revert-1");
    assert.equal(pushHook?.payload.after, pushed);

    const gh = new Octokit({ auth: token, baseUrl: sim.apiUrl });
    const pr = await gh.rest.pulls.create({ owner: "acme", repo: "infra", head: "revert-1", base: "main", title: "Revert" });
    assert.equal(pr.data.head.sha, pushed);

    await writeFile(join(dir, "app", "desired.txt"), "replicas=9\n");
    await git(dir, undefined, "commit", "--quiet", "-am", "Again");
    await git(dir, token, "push", "--quiet", "origin", "revert-1");
    const second = await git(dir, undefined, "rev-parse", "HEAD");
    const after = await gh.rest.pulls.get({ owner: "acme", repo: "infra", pull_number: pr.data.number });
    assert.equal(after.data.head.sha, second);
    await sim.idle();
    const sync = sim.deliveries.filter((d) => d.event === "pull_request" && d.action === "synchronize").at(-1);
    assert.equal((sync?.payload.pull_request as { head: { sha: string } }).head.sha, second);
  });

  test("refs/pull/N/head of a fork PR can be fetched; pushing to it is refused", async () => {
    const pr = await sim.scenario.openPullRequest({
      repo: "acme/infra",
      author: "outsider",
      branch: "fork-change",
      fork: true,
      files: { "app/desired.txt": "replicas=7\n" },
    });
    assert.equal(pr.headRepo, "outsider/infra");
    const dir = join(work, "clone-fetch");
    await git(work, token, "clone", "--quiet", sim.gitUrl("acme/infra"), dir);
    await git(dir, token, "fetch", "--quiet", "origin", `+refs/pull/${pr.number}/head:refs/remotes/pr/head`);
    assert.equal(await git(dir, undefined, "rev-parse", "refs/remotes/pr/head"), pr.headSha);
    await git(dir, token, "fetch", "--quiet", "origin", pr.headSha);
    await assert.rejects(git(dir, token, "push", "--quiet", "origin", `HEAD:refs/pull/${pr.number}/head`));
  });
});
