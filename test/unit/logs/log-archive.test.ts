// The whole-log archive: gzip members cut at batch boundaries once enough lines gather, each
// naming its first line, the rest at the end, and an earlier attempt's lines carried on.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { LogArchive, type ArchiveMember } from "../../../src/logs/log-archive.ts";
import type { LineBatch } from "../../../src/logs/line-batch-queue.ts";

const batch = (...texts: string[]): LineBatch => ({ lines: texts.length, bytes: Buffer.from(texts.map((t) => `${JSON.stringify([t])}\n`).join("")) });
const linesOf = (m: ArchiveMember) =>
  gunzipSync(m.data)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as string[])[0]);

describe("log archive", () => {
  test("a member is cut once enough bytes gather, at a batch boundary, naming its first line", async () => {
    const archive = new LogArchive(40); // each line below is 11 bytes as NDJSON
    assert.deepEqual(await archive.add([batch("aaaaaa", "bbbbbb")]), []);
    const cut = await archive.add([batch("cccccc", "dddddd", "eeeeee"), batch("ffffff")]);
    assert.equal(cut.length, 1);
    assert.deepEqual([cut[0]!.index, cut[0]!.start], [0, 0]);
    assert.deepEqual(linesOf(cut[0]!), ["aaaaaa", "bbbbbb", "cccccc", "dddddd", "eeeeee"]);
    assert.deepEqual(archive.counters, { next: 6, archived: 5, members: 1 });
    const last = await archive.finish();
    assert.deepEqual([last[0]!.index, last[0]!.start], [1, 5]);
    assert.deepEqual(linesOf(last[0]!), ["ffffff"]);
    assert.deepEqual(await archive.finish(), []);
    assert.deepEqual(archive.counters, { next: 6, archived: 6, members: 2 });
  });

  test("a batch taller than a member becomes one member of its own, bytes intact", async () => {
    const archive = new LogArchive(16);
    const long = "é".repeat(5000);
    const cut = await archive.add([batch(long, "next")]);
    assert.deepEqual(cut.map(linesOf), [[long, "next"]]);
  });

  test("a resumed archive goes on from an earlier attempt's counters and unarchived lines", async () => {
    const archive = new LogArchive(1024);
    archive.resume({ next: 12, archived: 10, members: 3 }, batch("ten", "eleven").bytes);
    await archive.add([batch("twelve")]);
    const [member] = await archive.finish();
    assert.deepEqual([member!.index, member!.start], [3, 10]);
    assert.deepEqual(linesOf(member!), ["ten", "eleven", "twelve"]);
    assert.deepEqual(archive.counters, { next: 13, archived: 13, members: 4 });
  });
});
