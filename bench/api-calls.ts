// api_calls: GitHub API requests for one PR's autoplan of one project, counted from the
// simulator's record of every request Slipway made (the installation token included). A second
// PR on the same installation shows the cached token is not fetched again.
import type { ApiCall, GitHubSimulator, PullInfo } from "../test/support/github-simulator/index.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { projectsRepoFiles } from "./lib/bench-repos.ts";
import { sleep } from "./lib/call-watch.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const GOAL = 4;

async function plannedCalls(sim: GitHubSimulator, open: () => Promise<PullInfo>): Promise<ApiCall[]> {
  const mark = sim.mark();
  const pr = await open();
  const short = pr.headSha.slice(0, 7);
  await sim.scenario.waitFor(
    () =>
      sim.scenario.comments(pr.repo, pr.number).some((c) => c.body.includes(short)) &&
      sim.scenario.checkRuns(pr.repo, { headSha: pr.headSha }).every((c) => c.status === "completed"),
    { timeoutMs: 30_000, what: `the plan of ${pr.repo}#${pr.number}` },
  );
  // Anything the job does after its comment (cleanup) would still count: let it finish.
  await sim.idle();
  await sleep(1500);
  return sim.callsSince(mark);
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("api-calls");
  try {
    const { sim } = stack;
    const slipway = await stack.slipway({ concurrency: 2 });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    sim.scenario.addUser("alice", { permission: "write" });
    const files = projectsRepoFiles(["app", "web"], { plan: ["sh -c 'echo planned; exit 2'"] });
    await sim.scenario.createRepo({ owner: "bench-org", name: "infra", files });
    const cold = await plannedCalls(sim, () =>
      sim.scenario.openPullRequest({ repo: "bench-org/infra", author: "alice", branch: "one", files: { "app/main.tf": "# v2\n" } }),
    );
    const warm = await plannedCalls(sim, () =>
      sim.scenario.openPullRequest({ repo: "bench-org/infra", author: "alice", branch: "two", files: { "web/main.tf": "# v2\n" } }),
    );
    // With the time of each request after the first: the spacing shows any client-side throttling.
    const describe = (calls: ApiCall[]) =>
      calls.map((c) => `${c.method} ${c.path.replace(/^\/repos\/[^/]+\/[^/]+/, "")} → ${c.status} (+${c.at - calls[0]!.at} ms)`);
    const tokenCalls = (calls: ApiCall[]) => calls.filter((c) => c.operationId === "apps/create-installation-access-token").length;
    return {
      headline: { api_calls: cold.length },
      goals: [{ what: "API requests, first PR of an installation", target: `≤ ${GOAL}`, value: String(cold.length), met: cold.length <= GOAL }],
      table: {
        title: "api_calls — GitHub API requests for one PR's autoplan of one project",
        headers: ["PR", "requests", "token requests", "calls"],
        rows: [
          ["first PR (token not cached)", cold.length, tokenCalls(cold), describe(cold).join("; ")],
          ["second PR (token cached)", warm.length, tokenCalls(warm), describe(warm).join("; ")],
        ],
        notes: ["Counted from the simulator's record of every REST request; git fetches are not API requests."],
      },
      detail: { first_pr: describe(cold), second_pr: describe(warm), second_pr_count: warm.length, violations: sim.violations.length },
    };
  } finally {
    await stack.stop();
  }
}

export const apiCalls: Bench = { name: "api_calls", summary: "GitHub API requests for one PR's autoplan of one project", run };
