// The token path over real HTTP: git must send it as a header, and nowhere else.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "../../../src/domain/types.ts";
import { Workspaces } from "../../../src/workspace/workspaces.ts";
import { createRemote, runGit } from "./git-fixtures.ts";
import { startDumbGitServer, type DumbGitServer } from "./dumb-http-git-server.ts";

const TOKEN = "ghs_HttpOnlyInstallationToken77";
const header = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;
let root: string;
let server: DumbGitServer;
let sha: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-ws-http-"));
  const remote = createRemote(join(root, "remote"), "acme", "infra");
  sha = remote.commit({ "main.tf": "# hello\n" });
  runGit(["update-server-info"], remote.bare);
  server = await startDumbGitServer(join(root, "remote"), header);
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe("Workspaces over HTTP", () => {
  test("git sends the token as an Authorization header and the checkout works", async () => {
    const dataDir = join(root, "data");
    const ws = new Workspaces({ dataDir, gitBaseUrl: server.url });
    const wt = await ws.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha, refs: ["refs/heads/main"] });
    try {
      assert.equal(await readFile(join(wt.path, "main.tf"), "utf8"), "# hello\n");
      assert.ok(server.authorizations.includes(header));
      const config = readFileSync(join(dataDir, "mirrors", "acme", "infra.git", "config"), "utf8");
      assert.ok(!config.includes(TOKEN) && !config.includes(header) && !config.includes("127.0.0.1"), config);
    } finally {
      await wt.remove();
    }
  });

  test("a refused token is a git_failed error that does not contain the token", async () => {
    const ws = new Workspaces({ dataDir: join(root, "data-wrong"), gitBaseUrl: server.url });
    await assert.rejects(ws.checkout({ owner: "acme", repo: "infra", token: "ghs_WrongTokenValue00", sha }), (err: unknown) => {
      assert.ok(err instanceof SlipwayError);
      assert.equal(err.code, "git_failed");
      assert.ok(!err.message.includes("ghs_WrongTokenValue00"));
      assert.ok(!err.message.includes(Buffer.from("x-access-token:ghs_WrongTokenValue00").toString("base64")));
      return true;
    });
  });

  test("a slow fetch of one repo does not block another repo", async () => {
    const ws = new Workspaces({ dataDir: join(root, "data-parallel"), gitBaseUrl: server.url });
    const held = server.hold("/acme/slow.git");
    const slow = ws.checkout({ owner: "acme", repo: "slow", token: TOKEN, sha });
    const slowSettled = slow.then(
      () => "ok",
      (e: SlipwayError) => e.code,
    );
    try {
      const wt = await ws.checkout({ owner: "acme", repo: "infra", token: TOKEN, sha });
      await wt.remove();
      // Still held: a settled promise would win the race (its reaction is queued first).
      assert.equal(await Promise.race([slowSettled, Promise.resolve("pending")]), "pending");
    } finally {
      held.release();
    }
    assert.equal(await slowSettled, "git_failed"); // the slow repo does not exist: 404
  });
});
