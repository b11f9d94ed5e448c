import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseRepoConfig, type ConfigError } from "../../../src/repo-config/parse-repo-config.ts";
import { effectiveGates } from "../../../src/policy/gates.ts";
import type { RepoConfig } from "../../../src/repo-config/schema.ts";
import { SPEC_EXAMPLE } from "./spec-example.ts";

function valid(text: string): RepoConfig {
  const result = parseRepoConfig(text);
  if (!result.ok) assert.fail(`expected a valid config, got:\n${result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n")}`);
  return result.config;
}

function errors(text: string, file?: string): ConfigError[] {
  const result = parseRepoConfig(text, file);
  if (result.ok) assert.fail("expected config errors, got a valid config");
  return result.errors;
}

/** The only error, checked for position; returns it for message/hint checks. */
function onlyError(text: string, line: number, column: number): ConfigError {
  const all = errors(text);
  assert.equal(all.length, 1, `expected one error, got: ${JSON.stringify(all, null, 1)}`);
  const [error] = all as [ConfigError];
  assert.deepEqual({ line: error.line, column: error.column }, { line, column }, error.message);
  return error;
}

describe("parseRepoConfig: valid files", () => {
  test("the SPEC example parses with every value as written", () => {
    const config = valid(SPEC_EXAMPLE);
    assert.equal(config.version, 1);
    assert.equal(config.apply, "after_merge");
    assert.deepEqual(
      config.projects.map((p) => [p.name, p.dir, p.workflow, p.environment, p.when_modified, p.depends_on]),
      [
        ["network-staging", "envs/staging/network", "terraform", "staging", ["**/*", "../../modules/**"], []],
        ["network-production", "envs/production/network", "terraform", "production", ["**/*"], ["network-staging"]],
      ],
    );
    assert.deepEqual(config.environments["production"], { approvals: 1, approvers: ["octocat", "@acme/sre"], allow_author: false, manual: true });
    assert.deepEqual(config.workflows["shell"]?.plan, [{ run: "sh plan.sh" }]);
    assert.deepEqual(config.drift, { schedule: "0 */6 * * *", remediate: false });
  });

  test("a minimal file gets every default", () => {
    const config = valid("version: 1\nprojects:\n  - dir: ./infra/\n");
    assert.deepEqual(config, {
      version: 1,
      apply: "after_merge",
      autoplan: true,
      allow_forks: false,
      approvals_survive: "commit",
      on_apply_failure: "report",
      projects: [{ name: "infra", dir: "infra", workflow: "terraform", when_modified: ["**/*"], depends_on: [] }],
      environments: {},
      workflows: {},
      drift: { remediate: false },
    });
  });

  test("non-default values are kept, and environment defaults fill in", () => {
    const config = valid(
      [
        "version: 1",
        "apply: before_merge",
        "autoplan: false",
        "allow_forks: true",
        "approvals_survive: same_plan",
        "on_apply_failure: revert_pr",
        "projects:",
        "  - {dir: ., name: root, environment: qa, workflow: opentofu}",
        "environments:",
        "  prod: {approvals: 2}",
        "workflows:",
        "  custom:",
        "    plan:",
        "      - run: [sh, -c, 'exit 2']",
        '        env: {TF_LOG: "1"}',
        "        timeout_seconds: 30",
        "drift: {remediate: true}",
      ].join("\n"),
    );
    assert.equal(config.apply, "before_merge");
    assert.equal(config.autoplan, false);
    assert.equal(config.allow_forks, true);
    assert.equal(config.approvals_survive, "same_plan");
    assert.equal(config.on_apply_failure, "revert_pr");
    assert.deepEqual(config.projects[0], { name: "root", dir: ".", workflow: "opentofu", environment: "qa", when_modified: ["**/*"], depends_on: [] });
    assert.deepEqual(config.environments["prod"], { approvals: 2, approvers: [], allow_author: false, manual: false });
    assert.deepEqual(config.workflows["custom"]?.plan, [{ run: ["sh", "-c", "exit 2"], env: { TF_LOG: "1" }, timeout_seconds: 30 }]);
    assert.deepEqual(config.drift, { remediate: true });
    // "qa" is used but not listed: not an error, it gets every default.
    const gates = effectiveGates(config, undefined);
    assert.deepEqual(gates.environment("qa"), { approvals: 0, approvers: [], allow_author: false, manual: false });
    assert.equal(gates.environment("prod").approvals, 2);
    assert.equal(gates.environment("constructor").approvals, 0);
  });

  test("YAML merge keys share settings between entries", () => {
    const config = valid("version: 1\nenvironments:\n  staging: &gate {approvals: 2, manual: true}\n  production:\n    <<: *gate\n    allow_author: true\n");
    assert.deepEqual(config.environments["production"], { approvals: 2, approvers: [], allow_author: true, manual: true });
  });

  test("a config with no projects is valid and empty", () => {
    assert.deepEqual(valid("version: 1\n").projects, []);
  });
});

describe("parseRepoConfig: schema errors point at the line and column", () => {
  test("an unknown key suggests the closest known key", () => {
    const error = onlyError("version: 1\nprojects:\n  - dir: a\n    when_modifed: ['x/**']\n", 4, 5);
    assert.equal(error.path, "projects[0].when_modifed");
    assert.match(error.message, /unknown key `when_modifed`/);
    assert.equal(error.hint, "did you mean `when_modified`?");
    assert.equal(error.file, ".slipway.yml");
  });

  test("an unknown key with no close match lists the allowed keys", () => {
    const error = onlyError("version: 1\nenvironments:\n  prod:\n    approvals: 1\n    colour: red\n", 5, 5);
    assert.equal(error.path, "environments.prod.colour");
    assert.equal(error.hint, "allowed keys here: `approvals`, `approvers`, `allow_author`, `manual`");
  });

  test("a top-level typo is an error, not a silently ignored gate", () => {
    const error = onlyError("version: 1\nallow_fork: true\n", 2, 1);
    assert.equal(error.hint, "did you mean `allow_forks`?");
  });

  test("a wrong enum value lists the allowed values", () => {
    const error = onlyError("version: 1\napply: on_merge\n", 2, 8);
    assert.equal(error.path, "apply");
    assert.match(error.message, /`apply` must be one of `after_merge`, `before_merge`, `in_merge_queue`; got "on_merge"/);
    assert.equal(error.hint, "use one of: `after_merge`, `before_merge`, `in_merge_queue`");
    const close = onlyError("version: 1\non_apply_failure: revert-pr\n", 2, 19);
    assert.equal(close.hint, "did you mean `revert_pr`?");
  });

  test("a missing version says to add `version: 1`", () => {
    const error = onlyError("projects: []\n", 1, 1);
    assert.equal(error.path, "version");
    assert.match(error.message, /missing required key `version`/);
    assert.equal(error.hint, "add `version: 1` at the top of the file");
  });

  test("a wrong or quoted version", () => {
    assert.match(onlyError("version: 2\n", 1, 10).message, /unsupported version 2/);
    assert.equal(onlyError("version: '1'\n", 1, 10).hint, "write `version: 1` without quotes");
  });

  test("wrong types name the expected type with a fix", () => {
    const bool = onlyError("version: 1\nautoplan: yes\n", 2, 11);
    assert.match(bool.message, /`autoplan` must be `true` or `false`; got "yes"/);
    assert.equal(bool.hint, "write `true` without quotes");
    const env = onlyError("version: 1\nworkflows:\n  w:\n    plan:\n      - run: make\n        env: {TF_LOG: 1}\n", 6, 23);
    assert.equal(env.path, "workflows.w.plan[0].env.TF_LOG");
    assert.equal(env.hint, 'quote it: "1"');
    const project = onlyError("version: 1\nprojects:\n  - envs/prod\n", 3, 5);
    assert.equal(project.path, "projects[0]");
    assert.equal(project.hint, "each project is a mapping, e.g. `- dir: envs/prod`");
  });

  test("an empty value and a mapping where a list belongs", () => {
    const empty = onlyError("version: 1\nprojects:\n", 2, 1);
    assert.match(empty.message, /`projects` must be a list; got null/);
    assert.equal(empty.hint, "give `projects` a value, or remove the key");
    const mapping = onlyError("version: 1\nworkflows:\n  w:\n    plan:\n      run: x\n", 5, 7);
    assert.equal(mapping.hint, "make it a list: start each entry with `- `");
  });

  test("a missing required key points at its mapping", () => {
    const error = onlyError("version: 1\nprojects:\n  - name: a\n    workflow: terraform\n", 3, 5);
    assert.equal(error.path, "projects[0].dir");
    assert.match(error.message, /missing required key `dir` in projects\[0\]/);
  });

  test("numbers out of range and empty commands", () => {
    const negative = onlyError("version: 1\nenvironments:\n  prod: {approvals: -1}\n", 3, 21);
    assert.match(negative.message, /`approvals` must be at least 0; got -1/);
    const timeout = onlyError("version: 1\nworkflows:\n  w:\n    apply: [{run: x, timeout_seconds: 0}]\n", 4, 39);
    assert.match(timeout.message, /greater than 0/);
    const empty = onlyError("version: 1\nworkflows:\n  w:\n    apply: [{run: []}]\n", 4, 19);
    assert.match(empty.message, /`run` must not be an empty list/);
    const wrong = onlyError("version: 1\nworkflows:\n  w:\n    apply: [{run: 5}]\n", 4, 19);
    assert.match(wrong.message, /`run` must be a string or a list; got 5/);
  });

  test("project dirs are normalised and must stay inside the repository", () => {
    assert.equal(valid("version: 1\nprojects: [{dir: envs//prod/../staging/}]\n").projects[0]?.dir, "envs/staging");
    assert.match(onlyError("version: 1\nprojects:\n  - dir: /etc\n", 3, 10).message, /is absolute/);
    const escape = onlyError("version: 1\nprojects:\n  - dir: envs/../../x\n", 3, 10);
    assert.match(escape.message, /leaves the repository/);
  });

  test("bad names, approvers and cron expressions", () => {
    const name = onlyError("version: 1\nprojects:\n  - {dir: a, name: 'my project'}\n", 3, 20);
    assert.match(name.message, /project name "my project" is not a valid name/);
    const envKey = onlyError("version: 1\nenvironments:\n  'pro d': {}\n", 3, 3);
    assert.equal(envKey.path, 'environments["pro d"]');
    const team = onlyError("version: 1\nenvironments:\n  prod:\n    approvers: [octocat, acme/sre]\n", 4, 26);
    assert.equal(team.hint, 'teams start with "@": "@acme/sre"');
    const cron = onlyError("version: 1\ndrift:\n  schedule: '0 */6 * *'\n", 3, 13);
    assert.match(cron.message, /expected 5 fields/);
    const range = onlyError("version: 1\ndrift:\n  schedule: 60 * * * *\n", 3, 13);
    assert.equal(range.message, "`schedule` is not a valid cron expression: Constraint error, got value 60 expected range 0-59");
    assert.match(range.hint ?? "", /or a macro such as @daily/);
    assert.equal(valid("version: 1\ndrift:\n  schedule: '@hourly'\n").drift.schedule, "@hourly");
  });

  test("every error is reported, sorted by position", () => {
    const all = errors("version: 1\napply: x\nautoplan: 3\nprojects: [{dir: a, workflw: b}]\n");
    assert.deepEqual(
      all.map((e) => [e.line, e.column, e.path]),
      [
        [2, 8, "apply"],
        [3, 11, "autoplan"],
        [4, 21, "projects[0].workflw"],
      ],
    );
  });

  test("positions count CRLF lines and ignore a byte-order mark", () => {
    assert.deepEqual(pick(onlyError("\uFEFFversion: 1\r\napply: x\r\n", 2, 8)), { line: 2, column: 8 });
    assert.deepEqual(pick(onlyError("\uFEFFzzz: 1\nversion: 1\n", 1, 1)), { line: 1, column: 1 });
  });

  test("the file name given is reported", () => {
    assert.equal(errors("version: 3\n", "infra/.slipway.yml")[0]?.file, "infra/.slipway.yml");
  });
});

describe("parseRepoConfig: cross-field checks", () => {
  test("duplicate project names, written or defaulted from dir", () => {
    const named = onlyError("version: 1\nprojects:\n  - {name: a, dir: x}\n  - {name: a, dir: y}\n", 4, 12);
    assert.equal(named.path, "projects[1].name");
    assert.match(named.message, /project name `a` is already used by projects\[0\]/);
    const defaulted = onlyError("version: 1\nprojects:\n  - dir: x\n  - dir: ./x\n", 4, 10);
    assert.equal(defaulted.path, "projects[1].dir");
    assert.match(defaulted.hint, /add a distinct `name`/);
  });

  test("unknown depends_on names suggest the closest project", () => {
    const error = onlyError("version: 1\nprojects:\n  - {name: network, dir: n}\n  - {name: app, dir: a, depends_on: [netwrok]}\n", 4, 38);
    assert.equal(error.path, "projects[1].depends_on[0]");
    assert.equal(error.hint, "did you mean `network`?");
  });

  test("a depends_on cycle is named", () => {
    const error = onlyError(
      "version: 1\nprojects:\n  - name: a\n    dir: a\n    depends_on: [c]\n  - {name: b, dir: b, depends_on: [a]}\n  - {name: c, dir: c, depends_on: [b]}\n",
      5,
      18,
    );
    assert.equal(error.message, "`depends_on` cycle: a → c → b → a");
    assert.equal(error.path, "projects[0].depends_on[0]");
    assert.match(onlyError("version: 1\nprojects:\n  - {name: a, dir: a, depends_on: [a]}\n", 3, 36).message, /`a` depends on itself/);
  });

  test("a workflow must be built in or defined", () => {
    const error = onlyError("version: 1\nprojects:\n  - {dir: a, workflow: shel}\nworkflows:\n  shell: {plan: [{run: sh plan.sh}]}\n", 3, 24);
    assert.equal(error.hint, "did you mean `shell`?");
    assert.match(onlyError("version: 1\nprojects:\n  - {dir: a, workflow: pulumi}\n", 3, 24).hint, /define `pulumi` under `workflows`/);
    for (const builtIn of ["terraform", "opentofu", "ansible", "kubernetes"]) valid(`version: 1\nprojects:\n  - {dir: a, workflow: ${builtIn}}\n`);
  });

  test("globs that leave the repository, and exclusion-only globs", () => {
    const escape = onlyError("version: 1\nprojects:\n  - dir: envs/prod\n    when_modified: ['**/*', '../../../modules/**']\n", 4, 29);
    assert.equal(escape.path, "projects[0].when_modified[1]");
    assert.match(onlyError("version: 1\nprojects:\n  - {dir: a, when_modified: ['!*.md']}\n", 3, 29).message, /only exclusions/);
    valid("version: 1\nprojects:\n  - {dir: a, when_modified: []}\n");
  });

  test("kubernetes.prune_selector: one label selector, read only by the built-in kubernetes workflow", () => {
    const config = valid(
      "version: 1\nprojects:\n  - dir: k8s\n    workflow: kubernetes\n    kubernetes: {prune_selector: 'app.kubernetes.io/part-of=shop,tier in (web, api)'}\n",
    );
    assert.equal(config.projects[0]!.kubernetes?.prune_selector, "app.kubernetes.io/part-of=shop,tier in (web, api)");
    assert.equal(valid("version: 1\nprojects:\n  - {dir: k8s, workflow: kubernetes}\n").projects[0]!.kubernetes, undefined, "no prune by default");
    assert.match(
      onlyError("version: 1\nprojects:\n  - dir: k8s\n    workflow: kubernetes\n    kubernetes: {prune_selector: '--all'}\n", 5, 34).message,
      /may not start with `-`/,
    );
    assert.match(
      onlyError("version: 1\nprojects:\n  - dir: k8s\n    workflow: kubernetes\n    kubernetes: {prune_selector: 'a=b; rm -rf /'}\n", 5, 34).message,
      /label selector/,
    );
    const ignored = onlyError("version: 1\nprojects:\n  - dir: k8s\n    workflow: ansible\n    kubernetes: {prune_selector: app=x}\n", 5, 5);
    assert.match(ignored.message, /read only by the built-in `kubernetes` workflow/);
    const replaced =
      "version: 1\nprojects:\n  - dir: k8s\n    workflow: kubernetes\n    kubernetes: {prune_selector: app=x}\nworkflows:\n  kubernetes: {plan: [{run: 'true'}]}\n";
    assert.match(onlyError(replaced, 5, 5).message, /runs a custom `kubernetes` workflow/);
  });

  test("more required approvals than listed approvers can never be met", () => {
    const error = onlyError("version: 1\nenvironments:\n  prod:\n    approvals: 2\n    approvers: [octocat]\n", 4, 16);
    assert.match(error.message, /needs 2 approvals but lists only 1 approver/);
    valid("version: 1\nenvironments:\n  prod: {approvals: 2, approvers: [octocat, '@acme/sre']}\n");
  });
});

function pick(e: ConfigError) {
  return { line: e.line, column: e.column };
}
