// burst: 20 pushes to one PR within 2 s → how many plans actually execute. The plan step appends
// the SHA it plans to a file named by $BENCH_PLAN_LOG (passed in Slipway's environment) before
// working for a second, so each execution leaves exactly one line whether or not it is cancelled.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBenchStack } from "./lib/bench-stack.ts";
import { sleep } from "./lib/call-watch.ts";
import { progress } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const PUSHES = 20;
const WINDOW_MS = 2000;
const GOAL_PLANS = 1;
const SETTLE_MS = 3000;

const PLAN_SH = `#!/bin/sh
# One line per execution, first thing, then a plan that takes a second.
echo "$SLIPWAY_SHA" >> "$BENCH_PLAN_LOG"
sleep 1
cat desired.txt
echo "Plan: 1 to add, 0 to change, 0 to destroy."
exit 2
`;

const CONFIG = `version: 1
projects:
  - name: app
    dir: app
    workflow: bench
workflows:
  bench:
    plan: [{run: "sh plan.sh"}]
`;

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("burst");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-burst-"));
  const planLog = path.join(dir, "plans.log");
  try {
    const { sim } = stack;
    const gh = sim.scenario;
    const slipway = await stack.slipway({ concurrency: 2, env: { BENCH_PLAN_LOG: planLog } });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    gh.addUser("alice", { permission: "write" });
    await gh.createRepo({ owner: "acme", name: "infra", files: { ".slipway.yml": CONFIG, "app/plan.sh": PLAN_SH, "app/desired.txt": "v0\n" } });
    const pr = await gh.openPullRequest({ repo: "acme/infra", author: "alice", branch: "burst", files: { "app/desired.txt": "opened\n" } });
    const mentions = (sha: string) => gh.comments(pr.repo, pr.number)[0]?.body.includes(sha.slice(0, 7)) === true;
    await gh.waitFor(() => mentions(pr.headSha), { timeoutMs: 60_000, what: "the plan of the opened PR" });
    await sim.idle();
    await writeFile(planLog, ""); // only the burst's executions count

    const t0 = Date.now();
    const shas: string[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const due = t0 + ((i - 1) * WINDOW_MS) / PUSHES;
      if (Date.now() < due) await sleep(due - Date.now());
      shas.push((await gh.pushToPullRequest(pr, { "app/desired.txt": `push ${i}\n` })).headSha);
    }
    const spanMs = Date.now() - t0;
    const last = shas[shas.length - 1]!;
    progress("burst", `${PUSHES} pushes delivered in ${spanMs} ms`);
    await gh.waitFor(() => mentions(last), { timeoutMs: 90_000, what: "a comment for the last SHA" });
    const commentAfterMs = Date.now() - t0;
    // Room for any late plan of an older head to run (and to overwrite the comment, wrongly).
    await sim.idle();
    await sleep(SETTLE_MS);
    await sim.idle();

    const executed = await lines(planLog);
    const finalIsLast = mentions(last);
    const lastCheck = gh.checkRuns(pr.repo, { headSha: last }).find((c) => c.name === "slipway/plan: app");
    const oldChecks = shas.slice(0, -1).flatMap((sha) => gh.checkRuns(pr.repo, { headSha: sha }));
    const skipped = (slipway.logs().match(/head superseded before the plan started/g) ?? []).length;
    const position = (sha: string) => shas.indexOf(sha) + 1;
    return {
      headline: { burst_plans: executed.length },
      goals: [
        { what: "plans executed for 20 pushes in 2 s", target: `≤ ${GOAL_PLANS}`, value: String(executed.length), met: executed.length <= GOAL_PLANS },
        { what: "final comment is for the last SHA", target: "yes", value: finalIsLast ? "yes" : "no", met: finalIsLast },
      ],
      table: {
        title: `burst — ${PUSHES} pushes to one PR within ${WINDOW_MS / 1000} s (plan step: 1 s)`,
        headers: ["figure", "value"],
        rows: [
          ["pushes delivered over", `${spanMs} ms`],
          ["plans executed (step started)", `${executed.length}: push ${executed.map(position).join(", push ")}`],
          ["jobs skipped before starting (head superseded)", skipped],
          ["check runs on older heads", `${oldChecks.length} (${oldChecks.filter((c) => c.conclusion === "neutral").length} neutral)`],
          ["final comment for the last SHA", finalIsLast ? `yes, ${(commentAfterMs / 1000).toFixed(1)} s after the first push` : "no"],
          ["last SHA's plan check", lastCheck ? `${lastCheck.status} / ${lastCheck.conclusion}` : "none"],
        ],
      },
      detail: {
        pushes: PUSHES,
        span_ms: spanMs,
        executed_pushes: executed.map(position),
        skipped_jobs: skipped,
        old_head_checks: oldChecks.length,
        final_comment_is_last: finalIsLast,
        comment_after_ms: commentAfterMs,
        last_check: lastCheck ? `${lastCheck.status}/${lastCheck.conclusion}` : null,
      },
    };
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const burst: Bench = { name: "burst", summary: "20 pushes to one PR within 2 s: plans executed, final comment", run };
