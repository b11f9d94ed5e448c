// The simulator's OAuth web flow and user endpoints answer as GitHub does, refusals included.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";

let sim: GitHubSimulator;
const REDIRECT = "http://console.test/login/callback";

before(async () => {
  sim = await startGitHubSimulator({ validateResponses: true });
  await sim.scenario.createRepo({ owner: "acme", name: "app" });
  await sim.scenario.createRepo({ owner: "acme", name: "hidden" });
  sim.scenario.addUser("alice", { permission: { "acme/app": "maintain" } });
});

after(async () => {
  await sim.stop();
  assert.deepEqual(sim.violations, []);
});

const authorize = (q: Record<string, string>) => fetch(`${sim.baseUrl}/login/oauth/authorize?${new URLSearchParams(q)}`, { redirect: "manual" });
const exchange = async (body: Record<string, string>) =>
  (await (
    await fetch(`${sim.baseUrl}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body),
    })
  ).json()) as { access_token?: string; error?: string };
const api = (path: string, token: string) => fetch(`${sim.apiUrl}${path}`, { headers: { authorization: `token ${token}` } });

test("authorize checks the client, the redirect and the state, and needs someone signed in", async () => {
  sim.signInAs(undefined);
  assert.equal((await authorize({ client_id: sim.clientId, state: "s".repeat(20), redirect_uri: REDIRECT })).status, 403);
  sim.signInAs("alice");
  assert.equal((await authorize({ client_id: "Iv1.other", state: "s".repeat(20), redirect_uri: REDIRECT })).status, 404);
  assert.equal((await authorize({ client_id: sim.clientId, state: "s".repeat(20), redirect_uri: "javascript:alert(1)" })).status, 400);
  assert.equal((await authorize({ client_id: sim.clientId, redirect_uri: REDIRECT })).status, 400);
  const ok = await authorize({ client_id: sim.clientId, state: "s".repeat(20), redirect_uri: REDIRECT });
  assert.equal(ok.status, 302);
  const back = new URL(ok.headers.get("location")!);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  assert.equal(back.searchParams.get("state"), "s".repeat(20));
  assert.match(back.searchParams.get("code")!, /^[0-9a-f]{20}$/);
});

test("a code is good once, for its client, secret and redirect", async () => {
  const code = () => sim.core.oauth.codeFor("alice", REDIRECT);
  const base = { client_id: sim.clientId, client_secret: sim.clientSecret, redirect_uri: REDIRECT };
  assert.equal((await exchange({ ...base, client_secret: "wrong", code: code() })).error, "incorrect_client_credentials");
  assert.equal((await exchange({ ...base, redirect_uri: "http://elsewhere.test/cb", code: code() })).error, "redirect_uri_mismatch");
  assert.equal((await exchange({ ...base, code: sim.core.oauth.codeFor("alice", REDIRECT, "Iv1.other") })).error, "bad_verification_code");
  const c = code();
  const first = await exchange({ ...base, code: c });
  assert.match(first.access_token!, /^ghu_/);
  assert.equal((await exchange({ ...base, code: c })).error, "bad_verification_code");
});

test("the user's token lists only readable installations and repositories, with permissions; it opens no app route", async () => {
  const { access_token: token } = await exchange({ client_id: sim.clientId, client_secret: sim.clientSecret, code: sim.core.oauth.codeFor("alice", REDIRECT) });
  assert.equal(((await (await api("/user", token!)).json()) as { login: string }).login, "alice");
  const installations = (await (await api("/user/installations", token!)).json()) as { total_count: number; installations: { id: number }[] };
  assert.equal(installations.total_count, 1);
  const repos = (await (await api(`/user/installations/${installations.installations[0]!.id}/repositories`, token!)).json()) as {
    repositories: { full_name: string; permissions: Record<string, boolean> }[];
  };
  assert.deepEqual(
    repos.repositories.map((r) => [r.full_name, r.permissions.push, r.permissions.maintain, r.permissions.admin]),
    [["acme/app", true, true, false]],
  );
  assert.equal((await api("/repos/acme/app/pulls", token!)).status, 403);
  assert.equal((await api("/user/installations", sim.installationToken(installations.installations[0]!.id))).status, 403);
  sim.core.state.repo("acme/app")!.permissions.delete("alice");
  assert.equal(((await (await api("/user/installations", token!)).json()) as { total_count: number }).total_count, 0);
});
