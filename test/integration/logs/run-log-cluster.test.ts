// Run logs on a real 3-master Redis Cluster: a flush's MULTI, the reader's script and the shared
// waiter's XREAD over several runs' streams all stay in one hash tag, so none fails with CROSSSLOT.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RedisRunLogReader } from "../../../src/logs/redis-run-log-reader.ts";
import { RedisRunLogWriter } from "../../../src/logs/run-log-writer.ts";
import { StreamWaiter } from "../../../src/logs/stream-waiter.ts";
import { uniquePrefix } from "../../support/redis.ts";
import { clusterForTests } from "../../support/redis-topology.ts";

const { connect } = clusterForTests();

describe("run logs on a Redis Cluster", { timeout: 60_000 }, () => {
  test("lines written in batches reach readers waiting on several runs, and read back whole", async () => {
    const prefix = uniquePrefix("runlog-cluster");
    const redis = connect();
    const waiter = new StreamWaiter(connect(), redis);
    const reader = new RedisRunLogReader(redis, prefix, waiter);
    try {
      const runs = ["plan/acme/a/1/x", "plan/acme/b/2/y", "apply/acme/c/3/z/d"];
      const writers = runs.map(
        (runId) => new RedisRunLogWriter(redis, prefix, { runId, repo: "acme/a", kind: "plan", startedAt: new Date().toISOString() }, { memberBytes: 4096 }),
      );
      for (const w of writers) w.line("first");
      await Promise.all(writers.map((w) => w.flush()));
      const waits = runs.map((id) => reader.read(id, "0", { max: 10, waitMs: 30_000 }));
      writers.forEach((w, i) => w.line(`second of ${runs[i]}`));
      assert.deepEqual(
        (await Promise.all(waits)).map((c) => c.entries.map((e) => e.line)),
        runs.map((id) => [`second of ${id}`]),
      );
      for (let i = 0; i < 500; i++) writers[0]!.line(`line ${i} of a log long enough to be archived in several gzip members`);
      await Promise.all(writers.map((w) => w.end()));
      const all = [];
      let cursor: string | undefined;
      for (;;) {
        const chunk = await reader.read(runs[0]!, cursor, { max: 1000, waitMs: 0 });
        if (chunk.entries.length === 0) break;
        all.push(...chunk.entries);
        cursor = chunk.entries.at(-1)!.id;
      }
      assert.deepEqual(
        all.map((e) => e.id),
        Array.from({ length: 502 }, (_, i) => String(i)),
      );
      assert.equal(all[501]!.line, "line 499 of a log long enough to be archived in several gzip members");
      assert.equal((await reader.read(runs[0]!, "501", { max: 10, waitMs: 0 })).ended, true);
      assert.deepEqual(await reader.existing([...runs, "plan/acme/none/9/q"]), new Set(runs));
    } finally {
      waiter.close();
    }
  });
});
