// Signing in to the console through the GitHub simulator's OAuth web flow, on a real Redis:
// the happy path, and every bad way in (forged or replayed state, a code for another client, an
// expired session, a cookie sealed with another secret) ending back at /login with nothing shown.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { CONTENT_SECURITY_POLICY } from "../../../src/console/render.ts";
import { SESSION_MS } from "../../../src/console/session.ts";
import { cookieOf, PUBLIC_URL, signIn, startConsole, startSignIn, type TestConsole } from "./console-support.ts";

let sim: GitHubSimulator;
let c: TestConsole;

before(async () => {
  sim = await startGitHubSimulator({ validateResponses: true });
  await sim.scenario.createRepo({ owner: "acme", name: "app" });
  sim.scenario.addUser("alice", { permission: { "acme/app": "write" } });
  c = await startConsole(sim);
});

after(async () => {
  await c.close();
  await sim.stop();
});

const backToLogin = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
  assert.equal(res.statusCode, 302);
  assert.equal(res.headers.location, "/login");
  assert.doesNotMatch(res.body, /acme|alice/);
};

describe("sign-in", () => {
  test("/login sends the browser to GitHub with the client id, a state and the callback URL", async () => {
    const res = await c.app.inject({ method: "GET", url: "/login" });
    assert.equal(res.statusCode, 302);
    const to = new URL(String(res.headers.location));
    assert.equal(`${to.origin}${to.pathname}`, `${sim.baseUrl}/login/oauth/authorize`);
    assert.equal(to.searchParams.get("client_id"), sim.clientId);
    assert.equal(to.searchParams.get("redirect_uri"), `${PUBLIC_URL}/login/callback`);
    assert.ok((to.searchParams.get("state") ?? "").length >= 32);
    const cookie = String(res.headers["set-cookie"]);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, "the public URL is http");
  });

  test("a signed-in person lands on the environments page; the GitHub token never reaches the browser", async () => {
    const cookie = await signIn(c, sim, "alice");
    const home = await c.app.inject({ method: "GET", url: "/", headers: { cookie } });
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /@alice/);
    assert.match(home.body, /acme\/app/);
    assert.equal(home.headers["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(home.body, /ghu_|<script>|<style>| on[a-z]+="/i);
    assert.doesNotMatch(cookie, /ghu_/);
    assert.doesNotMatch(decodeURIComponent(cookie), /ghu_|alice/, "the cookie is sealed: no token, no login in clear");
  });

  test("a forged state goes back to /login and signs nobody in", async () => {
    const { cookie, callback } = await startSignIn(c, sim, "alice");
    const forged = callback.replace(/state=[^&]+/, "state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const res = await c.app.inject({ method: "GET", url: forged, headers: { cookie } });
    backToLogin(res);
    const home = await c.app.inject({ method: "GET", url: "/", headers: { cookie: cookieOf(res, cookie) } });
    backToLogin(home);
  });

  test("a replayed callback (same state, same cookie) goes back to /login", async () => {
    const { cookie, callback } = await startSignIn(c, sim, "alice");
    const first = await c.app.inject({ method: "GET", url: callback, headers: { cookie } });
    assert.equal(first.headers.location, "/");
    const again = await c.app.inject({ method: "GET", url: callback, headers: { cookie } });
    backToLogin(again);
  });

  test("a state from another browser's sign-in goes back to /login", async () => {
    const mine = await startSignIn(c, sim, "alice");
    const theirs = await startSignIn(c, sim, "alice");
    const res = await c.app.inject({ method: "GET", url: theirs.callback, headers: { cookie: mine.cookie } });
    backToLogin(res);
  });

  test("a code GitHub issued for another client is refused by GitHub and goes back to /login", async () => {
    const start = await c.app.inject({ method: "GET", url: "/login" });
    const state = new URL(String(start.headers.location)).searchParams.get("state")!;
    const code = sim.core.oauth.codeFor("alice", `${PUBLIC_URL}/login/callback`, "Iv1.someoneelse");
    const res = await c.app.inject({ method: "GET", url: `/login/callback?code=${code}&state=${state}`, headers: { cookie: cookieOf(start) } });
    backToLogin(res);
    assert.equal(sim.core.oauth.records.at(-1)?.error, "bad_verification_code");
  });

  test("an expired session goes back to /login, for pages and the API alike", async () => {
    const cookie = await signIn(c, sim, "alice");
    c.clock.now += SESSION_MS + 1000;
    try {
      backToLogin(await c.app.inject({ method: "GET", url: "/locks", headers: { cookie } }));
      const api = await c.app.inject({ method: "GET", url: "/api/v1/locks", headers: { cookie } });
      assert.equal(api.statusCode, 401);
    } finally {
      c.clock.now -= SESSION_MS + 1000;
    }
  });

  test("a cookie sealed with another secret is no session", async () => {
    const other = await startConsole(sim, { secret: "another-secret-also-longer-than-32-chars!", prefix: c.prefix });
    try {
      const foreign = await signIn(other, sim, "alice");
      backToLogin(await c.app.inject({ method: "GET", url: "/", headers: { cookie: foreign } }));
      const tampered = foreign.replace(/=(.)/, (_m, ch: string) => `=${ch === "A" ? "B" : "A"}`);
      backToLogin(await c.app.inject({ method: "GET", url: "/", headers: { cookie: tampered } }));
    } finally {
      await other.close();
    }
  });

  test("signing out needs the page's CSRF token, then ends the session on the server", async () => {
    const cookie = await signIn(c, sim, "alice");
    const refused = await c.app.inject({ method: "POST", url: "/logout", headers: { cookie }, payload: { _csrf: "forged" } });
    assert.equal(refused.statusCode, 403);
    const page = await c.app.inject({ method: "GET", url: "/", headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const out = await c.app.inject({ method: "POST", url: "/logout", headers: { cookie }, payload: { _csrf: csrf } });
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, "/signed-out");
    // The old cookie is worthless now: the session it named is gone from Redis.
    backToLogin(await c.app.inject({ method: "GET", url: "/", headers: { cookie } }));
  });
});

describe("console off", () => {
  test("without its settings, / explains how to turn it on, with the callback URL to set on the App", async () => {
    const off = await startConsole(sim, { enabled: false });
    try {
      const res = await off.app.inject({ method: "GET", url: "/" });
      assert.equal(res.statusCode, 200);
      for (const s of ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SLIPWAY_SESSION_SECRET", `${PUBLIC_URL}/login/callback`])
        assert.ok(res.body.includes(s), s);
      assert.equal((await off.app.inject({ method: "GET", url: "/locks" })).statusCode, 404);
      assert.equal((await off.app.inject({ method: "GET", url: "/api/v1/locks" })).statusCode, 401);
    } finally {
      await off.close();
    }
  });
});
