import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter } from "../../../src/runner/line-splitter.ts";

function split(chunks: Buffer[], max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.write(c);
  s.end();
  return lines;
}

describe("LineSplitter", () => {
  test("joins a line split across chunks and splits several lines in one chunk", () => {
    assert.deepEqual(split([Buffer.from("ab"), Buffer.from("c\nde\nf"), Buffer.from("g\n")]), ["abc", "de", "fg"]);
  });

  test("a final line without newline is emitted at end; CRLF loses its CR", () => {
    assert.deepEqual(split([Buffer.from("one\r\ntwo")]), ["one", "two"]);
  });

  test("a UTF-8 character split between chunks decodes intact", () => {
    const bytes = Buffer.from("café ☃ 𝄞\n");
    for (let cut = 1; cut < bytes.length - 1; cut++) {
      assert.deepEqual(split([bytes.subarray(0, cut), bytes.subarray(cut)]), ["café ☃ 𝄞"], `cut at ${cut}`);
    }
  });

  test("a line longer than the limit is cut into pieces of at most the limit", () => {
    const lines = split([Buffer.from("a".repeat(25) + "\n")], 10);
    assert.deepEqual(lines, ["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
  });

  test("a forced cut never splits a multi-byte character, even one started in an earlier chunk", () => {
    // "é" is 2 bytes: with a limit of 5, "aaaa" + "é" would need 6 bytes, so the cut moves before "é".
    const text = "aaaaé" + "b".repeat(3) + "\n";
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines = split([bytes.subarray(0, cut), bytes.subarray(cut)], 5);
      assert.equal(lines.join(""), "aaaaébbb", `cut at ${cut}`);
      assert.ok(
        lines.every((l) => Buffer.byteLength(l) <= 5 && !l.includes("\uFFFD")),
        `cut at ${cut}: ${lines}`,
      );
    }
  });

  test("64 KiB is the default limit", () => {
    const lines = split([Buffer.alloc(64 * 1024 * 2 + 7, "x")]);
    assert.deepEqual(
      lines.map((l) => l.length),
      [65536, 65536, 7],
    );
  });
});
