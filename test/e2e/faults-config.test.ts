// Fault test: hostile or broken `.slipway.yml` on pull requests. Each variant must end as a clear
// `slipway/config` failure naming the file and the line, fast, and the process must keep serving
// (a valid pull request opened afterwards is planned as usual).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { configVariants, type ConfigVariant } from "../integration/faults/malformed-configs.ts";
import { keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

const REPO = "acme/faults-config";
const variants = configVariants();
let e2e: E2E;
const opened = new Map<string, PullInfo>();

const checkText = (c: Json) => `${c.output?.title ?? ""}\n${c.output?.summary ?? ""}\n${c.output?.text ?? ""}`;

function linesNamed(text: string): number[] {
  return [...text.matchAll(/\.slipway\.yml:(\d+):(\d+)/g)].map((m) => Number(m[1]));
}

function lineMatches(line: number, want: ConfigVariant["line"]): boolean {
  return typeof want === "number" ? line === want : line >= want[0] && line <= want[1];
}

describe("malformed .slipway.yml variants", () => {
  before(async () => {
    e2e = await startE2E();
    e2e.gh.addUser("alice", { permission: "write" });
    await e2e.gh.createRepo({ owner: "acme", name: "faults-config", fixture: "two-projects" });
    // All at once: the worker meets them back to back, as it would a burst of bad pushes.
    for (const [i, v] of variants.entries()) {
      const pr = await e2e.gh.openPullRequest({ repo: REPO, author: "alice", branch: `bad-config-${i}`, title: v.name, files: { ".slipway.yml": v.text } });
      opened.set(v.name, pr);
    }
  });
  after(async () => {
    await keepLogs("faults-config", [e2e?.slipway.logs() ?? ""]);
    await e2e?.stop();
  });

  for (const v of variants) {
    test(`${v.name}: slipway/config fails naming .slipway.yml and the line`, async () => {
      const pr = opened.get(v.name)!;
      const check = await waitFor(() => e2e.gh.checkRuns(REPO, { headSha: pr.headSha, name: "slipway/config" }).find((c) => c.status === "completed"), {
        timeoutMs: 60_000,
        what: `the slipway/config check of "${v.name}"`,
      });
      const text = checkText(check);
      assert.equal(check.conclusion, "failure", text);
      const first = linesNamed(check.output.title)[0];
      assert.ok(first !== undefined, `the title names .slipway.yml:line:column: ${check.output.title}`);
      assert.ok(lineMatches(first, v.line), `the error points at line ${JSON.stringify(v.line)}, not ${first}:\n${text}`);
      assert.match(text, v.message);
      assert.match(text, /Fix: /, "with a hint");
      assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+\)?\n/, "no stack trace");
      assert.ok(text.length < 70_000, `bounded output (${text.length} characters)`);

      assert.equal(e2e.gh.checkRuns(REPO, { headSha: pr.headSha, name: "slipway/config" }).length, 1, "one config check");
      const planChecks = e2e.gh.checkRuns(REPO, { headSha: pr.headSha }).filter((c) => c.name.startsWith("slipway/plan"));
      assert.deepEqual(
        planChecks.map((c) => c.name),
        [],
        "nothing planned from an invalid config",
      );
      const comments = await waitFor(
        () => {
          const all = e2e.gh.comments(REPO, pr.number);
          return all.length > 0 ? all : null;
        },
        { timeoutMs: 15_000, what: "the sticky comment" },
      );
      assert.equal(comments.length, 1, "one comment");
      assert.match(comments[0]!.body, /\.slipway\.yml:\d+:\d+/, "the comment names the file and line too");
      assert.ok(comments[0]!.body.length <= 65_536);
    });
  }

  test("after every variant the process still serves: health, and a valid pull request is planned", async () => {
    assert.equal((await fetch(`${e2e.slipway.url}/healthz`)).status, 200);
    const pr = await e2e.gh.openPullRequest({ repo: REPO, author: "alice", branch: "valid-after-faults", files: { "alpha/desired.txt": "still works\n" } });
    const check = await waitFor(() => e2e.gh.checkRuns(REPO, { headSha: pr.headSha, name: "slipway/plan: alpha" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan of a valid pull request",
    });
    assert.equal(check.conclusion, "success", checkText(check));
    const logs = e2e.slipway.logs();
    assert.doesNotMatch(logs, /"msg":"job failed"/, "no job failed on a bad config");
    assert.doesNotMatch(logs, /"level":60/, "nothing fatal");
    assert.deepEqual(e2e.sim.violations, [], "every request Slipway made is one GitHub would accept");
  });
});
