// Approvals recorded while their commit's plan runs get that plan's digests once it is recorded
// (SPEC §7 "No approval is lost to timing"), without overwriting anything newer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import type { Approval } from "../../../src/policy/approvals.ts";
import { ApprovalStore } from "../../../src/state/approval-store.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";

const prefix = uniquePrefix("approvals");
const HEAD = "c".repeat(40);
const OLD = "a".repeat(40);
let redis: Redis;

const approval = (user: string, a: Partial<Approval> = {}): Approval => ({ user, environments: "all", headSha: HEAD, source: "command", at: 1, ...a });
const byUser = async (store: ApprovalStore, pull: string) => Object.fromEntries((await store.list(pull)).map((a) => [a.user, a]));

before(() => {
  redis = new Redis(TEST_REDIS_URL);
});
after(async () => {
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

test("only approvals of that commit still waiting for digests get them", async () => {
  const store = new ApprovalStore(redis, prefix);
  await store.record("o/r#1", approval("carol"));
  await store.record("o/r#1", approval("dave", { planDigests: { app: "earlier" } }));
  await store.record("o/r#1", approval("erin", { headSha: OLD }));
  assert.equal(await store.fillPlanDigests("o/r#1", HEAD, { app: "d1" }), 1);
  const after = await byUser(store, "o/r#1");
  assert.deepEqual(after.carol!.planDigests, { app: "d1" });
  assert.deepEqual(after.dave!.planDigests, { app: "earlier" }, "digests given at approval time stay");
  assert.equal(after.erin!.planDigests, undefined, "another commit's approval waits for its own plan");
  assert.equal(await store.fillPlanDigests("o/r#1", HEAD, { app: "d2" }), 0, "filled once");
});

test("an empty plan fills in as an empty map: the plan is known, and had no digests", async () => {
  const store = new ApprovalStore(redis, prefix);
  await store.record("o/r#2", approval("carol"));
  await store.fillPlanDigests("o/r#2", HEAD, {});
  assert.deepEqual((await byUser(store, "o/r#2")).carol!.planDigests, {});
});

test("an approval replaced or withdrawn between the read and the write is left as it now is", async () => {
  const plain = new ApprovalStore(redis, prefix);
  await plain.record("o/r#3", approval("carol"));
  await plain.record("o/r#3", approval("dave"));
  // Another job gets in between the store's read and its write: carol approves again, dave withdraws.
  const meddling = new Proxy(redis, {
    get(target, name, receiver) {
      if (name !== "eval") return Reflect.get(target, name, receiver);
      return async (...args: unknown[]) => {
        await plain.record("o/r#3", approval("carol", { environments: ["production"], at: 2 }));
        await plain.withdraw("o/r#3", "dave");
        return (target.eval as (...a: unknown[]) => Promise<unknown>)(...args);
      };
    },
  });
  assert.equal(await new ApprovalStore(meddling, prefix).fillPlanDigests("o/r#3", HEAD, { app: "d1" }), 0);
  const now = await byUser(plain, "o/r#3");
  assert.deepEqual(now.carol, approval("carol", { environments: ["production"], at: 2 }), "the newer approval is not overwritten by the older one");
  assert.equal(now.dave, undefined, "a withdrawn approval does not come back");
  assert.equal(await plain.fillPlanDigests("o/r#3", HEAD, { app: "d1" }), 1, "the next fill gives the newer approval its digests");
  assert.equal(await plain.has("o/r#3", "CAROL"), true);
  assert.equal(await plain.has("o/r#3", "dave"), false);
});
