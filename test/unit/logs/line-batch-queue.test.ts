// The byte queue of a run log's lines: batches of bounded lines and bytes, in order, and a
// bound on what it holds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LineBatchQueue, type LineBatch } from "../../../src/logs/line-batch-queue.ts";
import { parseNdjson } from "../../../src/logs/run-log-keys.ts";

const json = (text: string) => JSON.stringify([text]);
const texts = (batches: LineBatch[]) => batches.flatMap((b) => parseNdjson(b.bytes.toString("utf8")).map((l) => l[0]));

describe("line batch queue", () => {
  test("lines come out in order, as NDJSON, in batches of at most maxLines", () => {
    const q = new LineBatchQueue({ maxLines: 4, batchBytes: 1024, maxBytes: 1 << 20 });
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ✓ "quoted"`);
    for (const l of lines) assert.equal(q.push(json(l)), true);
    assert.equal(q.lines, 10);
    const batches = q.take(1 << 20);
    assert.deepEqual(
      batches.map((b) => b.lines),
      [4, 4, 2],
    );
    assert.deepEqual(texts(batches), lines);
    assert.equal(q.lines, 0);
    assert.equal(q.bytes, 0);
  });

  test("a batch ends where its buffer is full, and a line longer than a buffer gets its own", () => {
    const q = new LineBatchQueue({ maxLines: 100, batchBytes: 64, maxBytes: 1 << 20 });
    const long = "x".repeat(200);
    for (const l of ["a".repeat(30), "b".repeat(30), long, "c"]) q.push(json(l));
    const batches = q.take(1 << 20);
    assert.ok(batches.every((b) => b.bytes.length <= 64 || b.lines === 1));
    assert.deepEqual(texts(batches), ["a".repeat(30), "b".repeat(30), long, "c"]);
  });

  test("take stops near maxBytes but always gives one batch, and lines pushed later follow", () => {
    const q = new LineBatchQueue({ maxLines: 2, batchBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 0; i < 6; i++) q.push(json(`l${i}`));
    const first = q.take(1);
    assert.deepEqual(texts(first), ["l0", "l1"]);
    q.push(json("l6"));
    assert.deepEqual(texts(q.take(1 << 20)), ["l2", "l3", "l4", "l5", "l6"]);
    assert.deepEqual(q.take(1 << 20), []);
  });

  test("a full queue refuses a line unless forced, and takes lines again once emptied", () => {
    const q = new LineBatchQueue({ maxLines: 100, batchBytes: 1024, maxBytes: 24 });
    assert.equal(q.push(json("0123456")), true); // 12 bytes with its newline
    assert.equal(q.push(json("0123456")), true);
    assert.equal(q.push(json("x")), false);
    assert.equal(q.push(json("note"), true), true);
    assert.equal(q.lines, 3);
    assert.deepEqual(texts(q.take(1 << 20)), ["0123456", "0123456", "note"]);
    assert.equal(q.push(json("again")), true);
  });

  test("a batch taken before it was full keeps its lines when the buffer is used again", () => {
    const q = new LineBatchQueue({ maxLines: 100, batchBytes: 1024, maxBytes: 1 << 20 });
    q.push(json("first"));
    const taken = q.take(1 << 20);
    q.push(json("second"));
    assert.deepEqual(texts(taken), ["first"]);
    assert.deepEqual(texts(q.take(1 << 20)), ["second"]);
  });
});
