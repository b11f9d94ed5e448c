import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SlipwayError } from "../../../src/domain/types.ts";
import { git, gitAuthEnv, gitRetryingLocks, redactToken } from "../../../src/workspace/git.ts";
import { KeyedRwLock } from "../../../src/workspace/keyed-rw-lock.ts";
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

describe("KeyedRwLock", () => {
  /** A section that records its start and end, and ends when its gate opens. */
  function gated(events: string[], name: string) {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const body = async () => {
      events.push(`${name} start`);
      await gate;
      events.push(`${name} end`);
    };
    return { body, open };
  }
  const turn = () => new Promise((r) => setImmediate(r));

  test("shared sections of one key run side by side; an exclusive one waits for them and runs alone", async () => {
    const lock = new KeyedRwLock();
    const events: string[] = [];
    const [r1, r2, w] = [gated(events, "r1"), gated(events, "r2"), gated(events, "w")];
    const runs = [lock.shared("a", r1.body), lock.shared("a", r2.body), lock.exclusive("a", w.body)];
    await turn();
    assert.deepEqual(events, ["r1 start", "r2 start"]);
    r1.open();
    await turn();
    assert.deepEqual(events, ["r1 start", "r2 start", "r1 end"], "the writer waits for every reader");
    r2.open();
    await turn();
    assert.deepEqual(events.slice(3), ["r2 end", "w start"]);
    w.open();
    await Promise.all(runs);
  });

  test("a waiting writer goes before readers that came after it; other keys never wait", async () => {
    const lock = new KeyedRwLock();
    const events: string[] = [];
    const [r1, w, r2] = [gated(events, "r1"), gated(events, "w"), gated(events, "r2")];
    const runs = [lock.shared("a", r1.body), lock.exclusive("a", w.body), lock.shared("a", r2.body)];
    await lock.exclusive("b", async () => void events.push("b"));
    assert.deepEqual(events, ["r1 start", "b"]);
    r1.open();
    await turn();
    assert.deepEqual(events.slice(2), ["r1 end", "w start"], "r2 came after the writer: it waits");
    w.open();
    await turn();
    assert.deepEqual(events.slice(4), ["w end", "r2 start"]);
    r2.open();
    await Promise.all(runs);
  });

  test("a failing holder releases the key", async () => {
    const lock = new KeyedRwLock();
    await assert.rejects(lock.exclusive("k", async () => Promise.reject(new Error("boom"))));
    await assert.rejects(lock.shared("k", async () => Promise.reject(new Error("boom"))));
    assert.equal(await lock.exclusive("k", async () => 42), 42);
  });
});
