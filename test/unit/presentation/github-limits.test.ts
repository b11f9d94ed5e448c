import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cutAtLineBoundary, safeCutIndex } from "../../../src/presentation/render/github-limits.ts";
import { shareFairly } from "../../../src/presentation/render/share-fairly.ts";
import { hasBrokenSurrogate } from "./markdown-structure.ts";

describe("cutAtLineBoundary", () => {
  test("text that fits is returned unchanged, without the note", () => {
    assert.deepEqual(cutAtLineBoundary("a\nb\n", 4, "[cut]"), { text: "a\nb\n", cut: false });
  });

  test("cuts after the last whole line that leaves room for the note", () => {
    const text = "line one\nline two\nline three\n";
    const note = "[cut]\n";
    const r = cutAtLineBoundary(text, 24, note);
    assert.equal(r.cut, true);
    assert.equal(r.text, "line one\nline two\n[cut]\n");
    assert.ok(r.text.length <= 24);
  });

  test("the note counts toward the limit", () => {
    const text = "x\n".repeat(100);
    for (let max = 0; max < 60; max++) {
      const r = cutAtLineBoundary(text, max, "— output cut —\n");
      assert.ok(r.text.length <= max, `max ${max}: got ${r.text.length}`);
    }
  });

  test("a single line longer than the budget is cut inside, ending with a newline before the note", () => {
    const r = cutAtLineBoundary("a".repeat(100), 20, "[cut]");
    assert.equal(r.text, "a".repeat(14) + "\n[cut]");
    assert.equal(r.text.length, 20);
  });

  test("a line longer than the whole budget after short lines: the short lines stay, the long one is cut", () => {
    const r = cutAtLineBoundary("ok\n" + "b".repeat(100) + "\nend\n", 20, "[cut]");
    assert.equal(r.text, "ok\n" + "b".repeat(11) + "\n[cut]");
    assert.equal(r.text.length, 20);
  });

  test("a line that would fit the budget on its own is never cut inside", () => {
    const r = cutAtLineBoundary("ok\n" + "b".repeat(12) + "\nend of the output\n", 20, "[cut]");
    assert.equal(r.text, "ok\n[cut]");
  });

  test("never splits a surrogate pair when a line must be cut", () => {
    const line = "😀".repeat(50); // 100 UTF-16 code units
    for (let max = 1; max < 40; max++) {
      const r = cutAtLineBoundary(line, max, "!");
      assert.ok(r.text.length <= max);
      assert.equal(hasBrokenSurrogate(r.text), false, `max ${max}: ${JSON.stringify(r.text)}`);
    }
    assert.equal(safeCutIndex("a😀", 2), 1);
  });

  test("a note longer than the budget is itself cut, safely", () => {
    const r = cutAtLineBoundary("abc\ndef\n", 3, "😀😀😀");
    assert.equal(r.cut, true);
    assert.equal(r.text, "😀");
  });
});

describe("shareFairly", () => {
  test("small needs are met in full; the rest is split evenly among the large", () => {
    assert.deepEqual(shareFairly([10, 1_000_000, 20, 1_000_000], 1030), [10, 500, 20, 500]);
  });

  test("never hands out more than available", () => {
    const alloc = shareFairly([7, 7, 7], 10);
    assert.ok(alloc.reduce((a, b) => a + b, 0) <= 10);
    assert.deepEqual(shareFairly([5], -3), [0]);
  });
});
