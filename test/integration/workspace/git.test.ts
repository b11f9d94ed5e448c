import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "../../../src/domain/types.ts";
import { git, gitAuthEnv, gitRetryingLocks, redactToken } from "../../../src/workspace/git.ts";
import { KeyedMutex } from "../../../src/workspace/keyed-mutex.ts";
import { createRemote, runGit } from "./git-fixtures.ts";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-git-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("git helper", () => {
  test("auth goes in config env entries as a Basic header for x-access-token", () => {
    const env = gitAuthEnv("ghs_abc");
    assert.equal(env.GIT_TERMINAL_PROMPT, "0");
    assert.equal(env.GIT_CONFIG_KEY_0, "http.extraHeader");
    assert.equal(env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${Buffer.from("x-access-token:ghs_abc").toString("base64")}`);
    assert.equal(Number(env.GIT_CONFIG_COUNT), 2);
    assert.ok(!Object.values(gitAuthEnv(undefined)).some((v) => v.includes("Authorization")));
  });

  test("redactToken removes the token and its base64 form", () => {
    const b64 = Buffer.from("x-access-token:ghs_abcdef").toString("base64");
    assert.equal(redactToken(`a ghs_abcdef b ${b64} c`, "ghs_abcdef"), "a *** b *** c");
  });

  test("a failing command throws a SlipwayError with code git_failed and git's message", async () => {
    await assert.rejects(git(["rev-parse", "--verify", "nope"], { dir: root }), (err: unknown) => {
      return err instanceof SlipwayError && err.code === "git_failed" && /git rev-parse failed \(exit 128\)/.test(err.message);
    });
  });

  test("a held index.lock is retried: success when it goes away, error when it stays", async () => {
    const remote = createRemote(join(root, "remote"), "o", "r");
    remote.commit({ "a.txt": "a\n" });
    const work = join(root, "remote", "_work", "o", "r");
    const lock = join(work, ".git", "index.lock");
    await writeFile(lock, "");
    setTimeout(() => void rm(lock, { force: true }), 100);
    await gitRetryingLocks(["reset", "--hard", "--quiet"], { dir: work });

    await writeFile(lock, "");
    await assert.rejects(gitRetryingLocks(["reset", "--hard", "--quiet"], { dir: work }), /index\.lock/);
    await rm(lock, { force: true });
    assert.equal(runGit(["status", "--porcelain"], work), "");
  });
});

describe("KeyedMutex", () => {
  test("one key runs one at a time in order; another key does not wait", async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    let releaseA!: () => void;
    const gateA = new Promise<void>((r) => (releaseA = r));
    const a1 = mutex.run("a", async () => {
      events.push("a1 start");
      await gateA;
      events.push("a1 end");
    });
    const a2 = mutex.run("a", async () => {
      events.push("a2");
    });
    await mutex.run("b", async () => {
      events.push("b");
    });
    assert.deepEqual(events, ["a1 start", "b"]);
    releaseA();
    await Promise.all([a1, a2]);
    assert.deepEqual(events, ["a1 start", "b", "a1 end", "a2"]);
  });

  test("a failing holder releases the key", async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(mutex.run("k", async () => Promise.reject(new Error("boom"))));
    assert.equal(await mutex.run("k", async () => 42), 42);
  });
});
