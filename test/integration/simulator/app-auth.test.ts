import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Probot } from "probot";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";

function jwt(privateKey: string, payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${enc({ alg: "RS256", typ: "JWT" })}.${enc(payload)}`;
  const signature = createSign("RSA-SHA256").update(head).sign(privateKey).toString("base64url");
  return `${head}.${signature}`;
}

describe("GitHub simulator app authentication", () => {
  let sim: GitHubSimulator;
  let installationId: number;

  before(async () => {
    sim = await startGitHubSimulator();
    installationId = (await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" })).installationId;
  });
  after(async () => {
    await sim?.stop();
  });

  test("Probot authenticates as the app and gets a working installation token", async () => {
    const probot = new Probot({ appId: sim.appId, privateKey: sim.privateKey, baseUrl: sim.apiUrl });
    const appOctokit = await probot.auth();
    const app = await appOctokit.request("GET /app");
    assert.equal(app.data?.id, sim.appId);
    const installation = await appOctokit.request("GET /repos/{owner}/{repo}/installation", { owner: "acme", repo: "infra" });
    assert.equal(installation.data.id, installationId);

    const octokit = await probot.auth(installationId);
    const repo = await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "infra" });
    assert.equal(repo.data.default_branch, "main");
    const tokenCalls = sim.calls.filter((c) => c.operationId === "apps/create-installation-access-token");
    assert.equal(tokenCalls.length, 1);
    assert.equal(tokenCalls[0]?.status, 201);
    assert.equal(sim.calls.at(-1)?.installationId, installationId);
  });

  test("a JWT signed with another key, or expired, or for another app is refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const attempt = async (token: string) =>
      (await fetch(`${sim.apiUrl}/app/installations/${installationId}/access_tokens`, { method: "POST", headers: { authorization: `Bearer ${token}` } }))
        .status;
    assert.equal(await attempt(jwt(sim.privateKey, { iat: now - 30, exp: now + 540, iss: sim.appId })), 201);
    assert.equal(await attempt(jwt(other, { iat: now - 30, exp: now + 540, iss: sim.appId })), 401);
    assert.equal(await attempt(jwt(sim.privateKey, { iat: now - 900, exp: now - 60, iss: sim.appId })), 401);
    assert.equal(await attempt(jwt(sim.privateKey, { iat: now - 30, exp: now + 540, iss: sim.appId + 1 })), 401);
    assert.equal(await attempt(jwt(sim.privateKey, { iat: now - 30, exp: now + 3600, iss: sim.appId })), 401);
  });

  test("an expired installation token is refused for the API and for git", async () => {
    const token = sim.installationToken(installationId);
    const get = () => fetch(`${sim.apiUrl}/repos/acme/infra`, { headers: { authorization: `token ${token}` } });
    assert.equal((await get()).status, 200);
    sim.core.tokens.expire(token);
    const res = await get();
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { message: string }).message, "Bad credentials");
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const git = await fetch(`${sim.gitUrl("acme/infra")}/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${basic}` } });
    assert.equal(git.status, 401);
    assert.equal(git.headers.get("www-authenticate"), 'Basic realm="GitHub"');
  });
});

describe("GitHub simulator lifecycle", () => {
  test("stop closes the port and removes the repositories it created", async () => {
    const sim = await startGitHubSimulator();
    await sim.scenario.createRepo({ owner: "acme", name: "infra" });
    const root = sim.core.reposRoot;
    assert.ok(existsSync(join(root, "acme", "infra.git")));
    await sim.stop();
    assert.equal(existsSync(root), false);
    await assert.rejects(fetch(`${sim.apiUrl}/app`, { signal: AbortSignal.timeout(2000) }));
  });
});
