// Comments are written by anyone who can comment on a PR. Whatever they write, the parser must
// answer quickly, return bounded results, and never hand back an argument that is not a plain name.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCommands, MAX_COMMANDS, MAX_ERRORS } from "../../../src/commands/parse-commands.ts";
import type { Command } from "../../../src/commands/command-types.ts";

const PLAIN_NAME = /^[A-Za-z0-9._/][A-Za-z0-9._/-]{0,99}$/;

function names(c: Command): string[] {
  switch (c.kind) {
    case "plan":
    case "unlock":
      return c.projects;
    case "apply":
      return c.targets;
    case "approve":
      return c.environments;
    default:
      return [];
  }
}

function assertOnlyPlainNames(commands: Command[]): void {
  for (const c of commands) for (const n of names(c)) assert.match(n, PLAIN_NAME);
}

describe("hostile comments", () => {
  test("shell metacharacters are refused, never passed through as names", () => {
    const lines = [
      "/plan $(rm -rf /)",
      "/plan `id`",
      "/plan dns; rm -rf /",
      "/plan dns | sh",
      "/apply dns && curl evil",
      "/unlock ../../etc/passwd'",
      '/approve "production"',
      "/plan --help",
      "/plan -rf",
      "/plan dns>out",
    ];
    const { commands, errors } = parseCommands(lines.join("\n"));
    assert.deepEqual(commands, []);
    assert.equal(errors.length, lines.length);
    for (const e of errors) assert.equal(e.code, "bad_argument", e.text);
    assert.match(errors[0]!.reason, /`\$` is not allowed/);
    assert.match(errors[1]!.reason, /`` ` `` is not allowed/);
    assert.match(errors[7]!.reason, /`--help` starts with `-`/);
    assert.match(parseCommands("/plan ..").errors[0]!.reason, /`\.\.` is not a name/);
  });

  test("zero-width, RTL override and fullwidth characters inside names are refused and named", () => {
    const { commands, errors } = parseCommands("/plan dn\u200Bs\n/plan \u202Esnd\n/plan ｄｎｓ\n/plan dns\u00A0x", { knownProjects: ["dns"] });
    // U+00A0 is whitespace: "dns x" is two names, and x is unknown.
    assert.deepEqual(commands, []);
    assert.match(errors[0]!.reason, /the invisible character U\+200B is not allowed/);
    assert.match(errors[1]!.reason, /the invisible character U\+202E is not allowed/);
    assert.match(errors[2]!.reason, /U\+FF44 \(ｄ\) is not allowed/);
    assert.equal(errors[3]!.code, "unknown_project");
  });

  test("a fullwidth or invisible-prefixed slash is reported, not run and not silently ignored", () => {
    const { commands, errors } = parseCommands("／plan\n\u200B/apply\n\u202E/help\n∕rollback\n／usr／bin");
    assert.deepEqual(commands, []);
    assert.deepEqual(
      errors.map((e) => [e.line, e.code]),
      [
        [1, "lookalike_slash"],
        [2, "lookalike_slash"],
        [3, "lookalike_slash"],
        [4, "lookalike_slash"],
      ],
    );
    assert.match(errors[0]!.reason, /looks like `\/plan` but starts with U\+FF0F/);
    assert.match(errors[1]!.reason, /the invisible character U\+200B/);
  });

  test("a 200 KB comment of prose with one command: the command is found", () => {
    const prose = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(1_800);
    const body = `${prose}\n/plan dns\n${prose}`;
    assert.ok(body.length > 200_000);
    const { commands } = parseCommands(body);
    assert.deepEqual(commands, [{ kind: "plan", projects: ["dns"] }]);
  });

  test("10,000 command lines: bounded commands and errors", () => {
    const typos = Array.from({ length: 10_000 }, () => "/aprove production").join("\n");
    const { commands, errors } = parseCommands(typos);
    assert.deepEqual(commands, []);
    assert.equal(errors.length, MAX_COMMANDS + 1, "the first 10 refused one by one, then one error for the rest");
    assert.equal(errors.at(-1)!.code, "too_many_commands");
    assert.match(errors.at(-1)!.reason, /the 9990 from line 11 on were not run/);

    // Lines that are not commands at all but still errors: capped, with a count of the rest.
    const glued = parseCommands(Array.from({ length: 10_000 }, () => "/plan.").join("\n"));
    assert.equal(glued.errors.length, MAX_ERRORS + 1);
    assert.equal(glued.errors.at(-1)!.code, "too_many_errors");
    assert.match(glued.errors.at(-1)!.reason, /9990 more problems from line 11 on are not listed/);

    const valid = Array.from({ length: 10_000 }, (_, i) => `/plan p${i}`).join("\n");
    const parsed = parseCommands(valid);
    assert.equal(parsed.commands.length, MAX_COMMANDS);
    assert.equal(parsed.errors.length, 1);
  });

  test("overlong lines, names and comments are refused without echoing them whole", () => {
    const longName = "a".repeat(101);
    const { errors } = parseCommands(`/plan ${longName}\n/plan ${"b ".repeat(600)}\n/plan ${"c".repeat(5_000)}`);
    assert.deepEqual(
      errors.map((e) => e.code),
      ["bad_argument", "line_too_long", "line_too_long"],
    );
    assert.match(errors[0]!.reason, /a name is too long/);
    for (const e of errors) assert.ok(e.text.length <= 201);

    const huge = parseCommands("/help\n" + "x".repeat(300_000));
    assert.deepEqual(huge.commands, [{ kind: "help" }]);
    assert.equal(huge.errors[0]!.code, "comment_too_long");
  });

  test("more than 50 names in one command is refused", () => {
    const { commands, errors } = parseCommands(`/plan ${Array.from({ length: 51 }, (_, i) => `p${i}`).join(" ")}`);
    assert.deepEqual(commands, []);
    assert.equal(errors[0]!.code, "too_many_arguments");
  });

  test("a random mix of junk never yields a non-plain name", () => {
    const alphabet = [
      "/",
      "plan",
      "apply",
      "unlock",
      " ",
      "\n",
      "$",
      "`",
      ";",
      "|",
      "\u200B",
      "\u202E",
      "／",
      "ｐ",
      "😀",
      "漢",
      "a",
      "-",
      ".",
      "\t",
      "\r",
      "'",
      '"',
      ">",
      "\\",
    ];
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 300; round++) {
      let body = "";
      for (let i = 0; i < 200; i++) body += alphabet[Math.floor(rand() * alphabet.length)];
      const { commands, errors } = parseCommands(body);
      assertOnlyPlainNames(commands);
      assert.ok(commands.length <= MAX_COMMANDS && errors.length <= MAX_ERRORS + 3);
    }
  });
});
