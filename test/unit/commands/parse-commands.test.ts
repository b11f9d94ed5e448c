import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCommands, MAX_COMMANDS } from "../../../src/commands/parse-commands.ts";
import { closestWord, editDistance } from "../../../src/commands/closest-command.ts";
import { COMMAND_WORDS } from "../../../src/commands/grammar.ts";

const known = { knownProjects: ["network-staging", "network-production", "dns"], knownEnvironments: ["staging", "production"] };

describe("parseCommands: the grammar", () => {
  test("each command, with and without arguments", () => {
    const { commands, errors } = parseCommands(
      [
        "/plan",
        "/plan dns network-staging",
        "/apply",
        "/apply production",
        "/approve",
        "/approve staging production",
        "/approve cancel",
        "/unlock dns",
        "/rollback",
        "/help",
      ].join("\n"),
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(commands, [
      { kind: "plan", projects: [] },
      { kind: "plan", projects: ["dns", "network-staging"] },
      { kind: "apply", targets: [] },
      { kind: "apply", targets: ["production"] },
      { kind: "approve", environments: [] },
      { kind: "approve", environments: ["staging", "production"] },
      { kind: "approve_cancel" },
      { kind: "unlock", projects: ["dns"] },
      { kind: "rollback" },
      { kind: "help" },
    ]);
  });

  test("prose and commands mix; leading whitespace and CRLF are fine; case of the word is not", () => {
    const body = "Looks good to me.\r\n\r\n   /PLAN dns\r\nThanks!\r\n\t/approve production";
    const { commands, errors } = parseCommands(body, known);
    assert.deepEqual(errors, []);
    assert.deepEqual(commands, [
      { kind: "plan", projects: ["dns"] },
      { kind: "approve", environments: ["production"] },
    ]);
  });

  test("a slash not followed by a command-like word is prose, not an error", () => {
    const body = ["/usr/bin/env bash", "/ something", "//comment", "/42", "/etc/hosts is wrong", "/tmp/x.log", "and/or", "/"].join("\n");
    assert.deepEqual(parseCommands(body), { commands: [], errors: [] });
  });

  test("commands inside fenced code blocks and quotes are examples, not requests", () => {
    const body = "Try this:\n```\n/apply production\n```\n> /rollback\n~~~~\n/unlock\n~~~~\n/help";
    assert.deepEqual(parseCommands(body).commands, [{ kind: "help" }]);
  });

  test("unknown command: says so, lists the commands and suggests the closest", () => {
    const { commands, errors } = parseCommands("/aprove production");
    assert.deepEqual(commands, []);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, "unknown_command");
    assert.equal(errors[0]!.suggestion, "approve");
    assert.equal(errors[0]!.line, 1);
    assert.equal(errors[0]!.text, "/aprove production");
    assert.match(errors[0]!.reason, /did you mean `\/approve`\?/);
    for (const w of COMMAND_WORDS) assert.ok(errors[0]!.reason.includes(`\`/${w}\``), w);
  });

  test("unknown command far from any: no suggestion, still the list", () => {
    const [e] = parseCommands("/lgtm").errors;
    assert.equal(e!.code, "unknown_command");
    assert.equal(e!.suggestion, undefined);
    assert.match(e!.reason, /^unknown command `\/lgtm`\. Commands: /);
  });

  test("arguments to a command that takes none", () => {
    const { commands, errors } = parseCommands("/rollback now\n/help me\n/approve cancel staging");
    assert.deepEqual(commands, []);
    assert.deepEqual(
      errors.map((e) => [e.line, e.code]),
      [
        [1, "unexpected_arguments"],
        [2, "unexpected_arguments"],
        [3, "unexpected_arguments"],
      ],
    );
    assert.match(errors[0]!.reason, /`\/rollback` takes no arguments/);
  });

  test("unknown projects and environments list the known ones", () => {
    const { commands, errors } = parseCommands("/plan dsn\n/approve prod\n/unlock dns", known);
    assert.deepEqual(commands, [{ kind: "unlock", projects: ["dns"] }]);
    assert.equal(errors[0]!.code, "unknown_project");
    assert.match(errors[0]!.reason, /unknown project `dsn`; known projects: `network-staging`, `network-production`, `dns`\./);
    assert.equal(errors[1]!.code, "unknown_environment");
    assert.match(errors[1]!.reason, /unknown environment `prod`; known environments: `staging`, `production`\./);
  });

  test("/apply takes projects, or one environment alone", () => {
    assert.deepEqual(parseCommands("/apply dns network-staging", known).commands, [{ kind: "apply", targets: ["dns", "network-staging"] }]);
    assert.deepEqual(parseCommands("/apply production", known).commands, [{ kind: "apply", targets: ["production"] }]);
    const mixed = parseCommands("/apply production dns", known);
    assert.deepEqual(mixed.commands, []);
    assert.equal(mixed.errors[0]!.code, "mixed_targets");
    const unknown = parseCommands("/apply nowhere", known);
    assert.match(unknown.errors[0]!.reason, /`nowhere` is neither a project nor an environment/);
  });

  test("without known lists, any plausible name is accepted", () => {
    assert.deepEqual(parseCommands("/plan envs/staging/network a_b.c").commands, [{ kind: "plan", projects: ["envs/staging/network", "a_b.c"] }]);
  });

  test("repeated names and repeated commands run once", () => {
    assert.deepEqual(parseCommands("/plan dns dns\n/plan dns dns").commands, [{ kind: "plan", projects: ["dns"] }]);
  });

  test("a command glued to punctuation is reported; someone else's path is not", () => {
    const { errors } = parseCommands("/plan.\n/apply: now\n/planet");
    assert.deepEqual(
      errors.map((e) => e.code),
      ["bad_syntax", "bad_syntax", "unknown_command"],
    );
    assert.match(errors[0]!.reason, /`\/plan` must be followed by a space or the end of the line, not `\.`/);
  });

  test(`more than ${MAX_COMMANDS} commands: the first ${MAX_COMMANDS} run, the rest are refused with one error`, () => {
    const body = Array.from({ length: 15 }, (_, i) => `/plan p${i}`).join("\n");
    const { commands, errors } = parseCommands(body);
    assert.equal(commands.length, MAX_COMMANDS);
    assert.deepEqual(commands.at(-1), { kind: "plan", projects: ["p9"] });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, "too_many_commands");
    assert.equal(errors[0]!.line, 11);
    assert.match(errors[0]!.reason, /the 5 from line 11 on were not run/);
  });
});

describe("closest command", () => {
  test("typos, swaps and prefixes find the command; unrelated words do not", () => {
    assert.equal(editDistance("aplpy", "apply"), 1);
    assert.equal(closestWord("aplpy", COMMAND_WORDS), "apply");
    assert.equal(closestWord("pln", COMMAND_WORDS), "plan");
    assert.equal(closestWord("unlcok", COMMAND_WORDS), "unlock");
    assert.equal(closestWord("roll", COMMAND_WORDS), "rollback");
    assert.equal(closestWord("assign", COMMAND_WORDS), undefined);
  });
});
