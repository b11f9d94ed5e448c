// One contract for every LockStore implementation (Redis, memory): the behaviour PR authors
// see — "locked by #N", replans after a release, `/unlock` — must not depend on the backend.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LockStore, ProjectKey, RepoKey } from "../../../src/locks/lock-store.ts";

export interface LockStoreFixture {
  store: LockStore;
  /** Another handle on the same locks (for Redis: a new connection), as a restarted or second worker would have. */
  another(): LockStore;
  cleanup(): Promise<void>;
}

const repo: RepoKey = { owner: "acme", repo: "infra" };
const at = (project: string, r: RepoKey = repo): ProjectKey => ({ ...r, project });

export function runLockStoreContract(name: string, makeStore: () => Promise<LockStoreFixture>): void {
  describe(`${name} lock store contract`, () => {
    let fixture: LockStoreFixture;
    let store: LockStore;
    before(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    after(async () => {
      await fixture.cleanup();
    });
    // Each test uses its own project names on the shared fixture, so tests stay independent.

    test("the first PR acquires; a second PR is refused with the holder's details", async () => {
      const p = at("envs/staging/network");
      assert.deepEqual(await store.tryAcquire(p, { pull: 1, headSha: "a".repeat(40), author: "alice", since: 1000 }), {
        acquired: true,
        reentrant: false,
      });
      assert.deepEqual(await store.tryAcquire(p, { pull: 2, headSha: "b".repeat(40), author: "bob", since: 2000 }), {
        acquired: false,
        heldBy: { pull: 1, headSha: "a".repeat(40), author: "alice", since: 1000 },
      });
      assert.deepEqual(await store.holder(p), { pull: 1, headSha: "a".repeat(40), author: "alice", since: 1000 });
    });

    test("the holder acquiring again is reentrant, refreshes its head SHA and keeps `since`", async () => {
      const p = at("reentrant");
      await store.tryAcquire(p, { pull: 3, headSha: "old", author: "carol", since: 10 });
      assert.deepEqual(await store.tryAcquire(p, { pull: 3, headSha: "new", since: 99 }), { acquired: true, reentrant: true });
      assert.deepEqual(await store.holder(p), { pull: 3, headSha: "new", author: "carol", since: 10 });
    });

    test("optional holder fields stay absent when not given", async () => {
      const p = at("bare");
      await store.tryAcquire(p, { pull: 4, since: 5 });
      assert.deepEqual(await store.holder(p), { pull: 4, since: 5 });
      assert.equal(await store.holder(at("never-locked")), null);
    });

    test("only the holder's PR releases; then another PR can acquire", async () => {
      const p = at("release-me");
      await store.tryAcquire(p, { pull: 5, since: 1 });
      assert.equal(await store.release(p, 6), false);
      assert.equal((await store.holder(p))?.pull, 5);
      assert.equal(await store.release(p, 5), true);
      assert.equal(await store.release(p, 5), false, "a second release finds nothing");
      assert.equal(await store.holder(p), null);
      assert.deepEqual(await store.tryAcquire(p, { pull: 6, since: 2 }), { acquired: true, reentrant: false });
    });

    test("releaseAll frees every lock of one PR in one repository, and nothing else", async () => {
      const r: RepoKey = { owner: "acme", repo: "release-all" };
      const other: RepoKey = { owner: "acme", repo: "elsewhere" };
      await store.tryAcquire(at("b-net", r), { pull: 7, since: 1 });
      await store.tryAcquire(at("a-db", r), { pull: 7, since: 1 });
      await store.tryAcquire(at("c-app", r), { pull: 8, since: 1 });
      await store.tryAcquire(at("b-net", other), { pull: 7, since: 1 });
      assert.deepEqual(await store.releaseAll(r, 7), ["a-db", "b-net"]);
      assert.deepEqual(
        (await store.listForRepo(r)).map((l) => [l.project, l.holder.pull]),
        [["c-app", 8]],
      );
      assert.equal((await store.holder(at("b-net", other)))?.pull, 7, "same PR number in another repository is untouched");
      assert.deepEqual(await store.releaseAll(r, 7), []);
    });

    test("listForRepo returns every held lock with its holder, sorted by project", async () => {
      const r: RepoKey = { owner: "acme", repo: "listing" };
      await store.tryAcquire(at("prod/network", r), { pull: 11, headSha: "s1", author: "dana", since: 100 });
      await store.tryAcquire(at("dev.app-1_x", r), { pull: 12, since: 200 });
      assert.deepEqual(await store.listForRepo(r), [
        { project: "dev.app-1_x", holder: { pull: 12, since: 200 } },
        { project: "prod/network", holder: { pull: 11, headSha: "s1", author: "dana", since: 100 } },
      ]);
      assert.deepEqual(await store.listForRepo({ owner: "acme", repo: "empty" }), []);
    });

    test("owner and repository names match case-insensitively; project names do not", async () => {
      const p = { owner: "Acme", repo: "Infra-Case", project: "Net" };
      await store.tryAcquire(p, { pull: 13, since: 1 });
      assert.equal((await store.holder({ owner: "acme", repo: "infra-case", project: "Net" }))?.pull, 13);
      assert.equal(await store.holder({ owner: "acme", repo: "infra-case", project: "net" }), null);
    });

    test("refused PRs wait in order without duplicates; takeWaiters empties the list", async () => {
      const p = at("contended");
      await store.tryAcquire(p, { pull: 20, since: 1 });
      await store.tryAcquire(p, { pull: 22, since: 2 });
      await store.tryAcquire(p, { pull: 21, since: 3 });
      await store.tryAcquire(p, { pull: 22, since: 4 });
      await store.addWaiter(p, 21);
      await store.addWaiter(p, 23);
      await store.addWaiter(p, 20); // the holder does not wait for itself
      assert.equal(await store.release(p, 20), true);
      assert.deepEqual(await store.takeWaiters(p), [22, 21, 23]);
      assert.deepEqual(await store.takeWaiters(p), []);
    });

    test("a PR that acquires leaves the waiting list; releaseAll drops a closed PR from every list", async () => {
      const r: RepoKey = { owner: "acme", repo: "waiting" };
      const x = at("x", r);
      const y = at("y", r);
      await store.tryAcquire(x, { pull: 30, since: 1 });
      await store.tryAcquire(y, { pull: 30, since: 1 });
      await store.tryAcquire(x, { pull: 31, since: 2 });
      await store.tryAcquire(y, { pull: 31, since: 2 });
      await store.tryAcquire(x, { pull: 32, since: 3 });
      await store.release(x, 30);
      assert.deepEqual(await store.tryAcquire(x, { pull: 31, since: 4 }), { acquired: true, reentrant: false });
      assert.deepEqual(await store.releaseAll(r, 31), ["x"]);
      assert.deepEqual(await store.takeWaiters(x), [32]);
      assert.deepEqual(await store.takeWaiters(y), [], "#31 was closed: it must not be replanned for y");
    });

    test("forceRelease frees a stale holder's lock but never a lock another PR took since", async () => {
      const p = at("stale");
      await store.tryAcquire(p, { pull: 40, since: 1 });
      assert.equal(await store.forceRelease(p, 40), true);
      await store.tryAcquire(p, { pull: 41, since: 2 });
      assert.equal(await store.forceRelease(p, 40), false);
      assert.equal((await store.holder(p))?.pull, 41);
    });

    test("locks are seen through another handle, as after a restart", async () => {
      const p = at("durable");
      await store.tryAcquire(p, { pull: 50, headSha: "abc", since: 7 });
      const later = fixture.another();
      assert.deepEqual(await later.holder(p), { pull: 50, headSha: "abc", since: 7 });
      assert.deepEqual(await later.tryAcquire(p, { pull: 51, since: 8 }), {
        acquired: false,
        heldBy: { pull: 50, headSha: "abc", since: 7 },
      });
      assert.equal(await later.release(p, 50), true);
      assert.equal(await store.holder(p), null);
    });

    test("50 PRs racing for one project: exactly one wins, the other 49 wait", async () => {
      const p = at("race");
      const handles = Array.from({ length: 5 }, () => fixture.another());
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => handles[i % handles.length]!.tryAcquire(p, { pull: 100 + i, since: i })));
      const winners = results.flatMap((r, i) => (r.acquired ? [100 + i] : []));
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (!r.acquired) assert.equal(r.heldBy.pull, winners[0], "every loser is told the winner");
      }
      assert.equal((await store.holder(p))?.pull, winners[0]);
      const waiters = await store.takeWaiters(p);
      assert.equal(waiters.length, 49);
      assert.equal(new Set(waiters).size, 49);
      assert.ok(!waiters.includes(winners[0]!));
    });
  });
}
