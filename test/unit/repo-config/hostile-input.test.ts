import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseRepoConfig, type ConfigError } from "../../../src/repo-config/parse-repo-config.ts";

/**
 * Parses, asserting exactly one error; returns that error. An input that made the parser blow up
 * would exhaust memory or hit the test runner's time limit: how fast it is belongs in bench/.
 */
function refused(text: string): ConfigError {
  const result = parseRepoConfig(text);
  if (result.ok) assert.fail("expected an error");
  assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
  return result.errors[0] as ConfigError;
}

function billionLaughs(levels: number): string {
  let text = 'version: 1\nl0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  for (let i = 1; i < levels; i++)
    text += `l${i}: &l${i} [${Array(10)
      .fill(`*l${i - 1}`)
      .join(", ")}]\n`;
  return text;
}

describe("parseRepoConfig: hostile and degenerate input", () => {
  test("a 1 MB file is refused at once, naming the 256 KiB limit", () => {
    const error = refused(`version: 1\n# ${"x".repeat(1024 * 1024)}\n`);
    assert.deepEqual([error.line, error.column], [1, 1]);
    assert.equal(error.message, "file is 1.0 MiB; the limit is 256 KiB");
  });

  test("the limit counts UTF-8 bytes, not characters", () => {
    // 131,100 two-byte characters: under 256 Ki characters, over 256 KiB.
    const error = refused(`version: 1\n# ${"é".repeat(131_100)}\n`);
    assert.match(error.message, /the limit is 256 KiB/);
    assert.equal(parseRepoConfig(`version: 1\n# ${"x".repeat(200_000)}\n`).ok, true);
  });

  test("a billion-laughs alias bomb ends fast with a clear error", () => {
    const error = refused(billionLaughs(10));
    assert.match(error.message, /too many YAML nodes: more than 100,000 once aliases are expanded/);
    assert.match(error.hint, /billion laughs/);
    // It stops at the alias that crosses the limit, not at the end of the file.
    assert.equal(error.line, 6);
  });

  test("a bomb hidden where the schema looks (a project's globs) is refused before validation", () => {
    const text =
      billionLaughs(7).replace("version: 1\n", "version: 1\nx-anchors:\n").replace(/^l/gm, "  l") +
      "projects:\n  - dir: a\n    when_modified: [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]\n";
    assert.match(refused(text).message, /too many YAML nodes/);
  });

  test("deep nesting, direct or through aliases, ends fast", () => {
    assert.match(refused(`version: 1\nx: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`).message, /nesting exceeded maxDepth \(32\)/);
    const block = Array.from({ length: 100 }, (_, i) => `${" ".repeat(i * 2)}k${i}:`).join("\n");
    assert.match(refused(`version: 1\n${block}\n`).message, /maxDepth/);
    let viaAliases = "version: 1\nd0: &d0 [1]\n";
    for (let i = 1; i < 40; i++) viaAliases += `d${i}: &d${i} [*d${i - 1}]\n`;
    assert.match(refused(viaAliases).message, /nesting deeper than 32 levels \(aliases expanded\)/);
  });

  test("a recursive alias is refused, not turned into a cyclic object", () => {
    const error = refused("version: 1\nprojects: &p\n  - dir: a\n    depends_on: *p\n");
    assert.match(error.message, /alias \*p refers to a node that contains it/);
    assert.deepEqual([error.line, error.column], [4, 17]);
  });

  test("empty, comment-only and null documents", () => {
    for (const text of ["", "\n\n", "# just a comment\n", "null\n", "~\n", "---\n...\n"]) {
      const error = refused(text);
      assert.equal(error.message, "the file is empty", JSON.stringify(text));
      assert.match(error.hint, /version: 1/);
    }
  });

  test("a top level that is not a mapping", () => {
    assert.equal(refused("- dir: a\n").message, "the top level is a list; it must be a mapping of keys");
    assert.equal(refused("version 1\n").message, "the top level is a string; it must be a mapping of keys");
    assert.equal(refused("1\n").message, "the top level is a number; it must be a mapping of keys");
  });

  test("several YAML documents", () => {
    const error = refused("version: 1\n---\nversion: 1\n");
    assert.equal(error.message, "the file holds more than one YAML document");
    assert.equal(error.line, 3);
  });

  test("YAML syntax errors carry the parser's line and column", () => {
    const tab = refused("version: 1\nprojects:\n\t- dir: a\n");
    assert.deepEqual([tab.line, tab.column], [3, 1]);
    assert.equal(tab.hint, "YAML indentation must use spaces, not tabs");
    const duplicate = refused("version: 1\nprojects: []\nversion: 1\n");
    assert.match(duplicate.message, /YAML syntax error: duplicated mapping key/);
    assert.deepEqual([duplicate.line, duplicate.column], [3, 1]);
    const unclosed = refused("version: 1\nprojects: [{dir: a}\nautoplan: true\n");
    assert.match(unclosed.message, /^YAML syntax error: /);
    assert.equal(unclosed.line, 3);
    const alias = refused("version: 1\nprojects: *nowhere\n");
    assert.match(alias.message, /unidentified alias "nowhere"/);
    assert.deepEqual([alias.line, alias.column], [2, 12]);
  });

  test("a very long error list is cut with a count of the rest", () => {
    const text = `version: 1\n${Array.from({ length: 80 }, (_, i) => `unknown_${i}: 1`).join("\n")}\n`;
    const result = parseRepoConfig(text);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.errors.length, 51);
    assert.equal(result.errors[50]?.message, "30 more errors not shown");
  });

  test("never throws, whatever bytes arrive", () => {
    // A fixed-seed generator: the same inputs on every run, so a failure can be reproduced.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = "version: 1\nprojects:- dir[]{}&*!|>'\"#%@`,?\t \\\u0000\uFEFF\u2028é💥";
    for (let round = 0; round < 500; round++) {
      const length = next() % 120;
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      const result = parseRepoConfig(text);
      if (!result.ok) {
        for (const e of result.errors) {
          assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0 && e.hint.length > 0, JSON.stringify({ text, e }));
        }
      }
    }
  });
});
