// recovery: 50 pull requests opened while Slipway was down (every delivery refused), then Slipway
// started: seconds from its start to the last of them planned, fetched back from GitHub's
// delivery log by the redeliverer (src/recovery/). Goal: within one interval + 30 s.
import { freePort } from "../test/support/private-redis.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { openPulls, projectName, projectsRepoFiles } from "./lib/bench-repos.ts";
import { sleep } from "./lib/call-watch.ts";
import { progress } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const PRS = 50;
/** SLIPWAY_REDELIVERY_INTERVAL_SECONDS in this benchmark: short, as an operator expecting outages might set it. */
const INTERVAL_SECONDS = 10;
const GOAL_S = INTERVAL_SECONDS + 30;
const LIMIT_MS = 180_000;

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("recovery");
  try {
    const { sim } = stack;
    const gh = sim.scenario;
    const port = await freePort();
    sim.setWebhookTarget(`http://127.0.0.1:${port}/api/github/webhooks`); // Slipway is down: refused
    gh.addUser("alice", { permission: "write" });
    const projects = Array.from({ length: PRS }, (_, i) => projectName(i));
    const repo = await gh.createRepo({ owner: "acme", name: "infra", files: projectsRepoFiles(projects, { plan: ["true"] }) });
    const pulls = await openPulls(
      gh,
      projects.map((p) => ({ repo: repo.fullName, branch: `change-${p}`, files: { [`${p}/main.tf`]: `# ${p} v2\n` } })),
      "alice",
    );
    const refused = sim.deliveries.filter((d) => d.attempted && d.status === 0).length;
    progress("recovery", `${PRS} PRs opened while Slipway was down: ${refused} deliveries refused`);

    const planned = (i: number) =>
      gh.checkRuns(repo.fullName, { headSha: pulls[i]!.headSha, name: `slipway/plan: ${projects[i]}` }).some((c) => c.status === "completed");
    const t0 = Date.now();
    const slipway = await stack.slipway({ env: { PORT: String(port), SLIPWAY_REDELIVERY_INTERVAL_SECONDS: String(INTERVAL_SECONDS) } });
    const listeningS = (Date.now() - t0) / 1000;
    let firstS: number | undefined;
    let done = 0;
    while (Date.now() - t0 < LIMIT_MS) {
      done = pulls.filter((_, i) => planned(i)).length;
      if (done > 0 && firstS === undefined) firstS = (Date.now() - t0) / 1000;
      if (done === PRS) break;
      await sleep(100);
    }
    const recoveryS = (Date.now() - t0) / 1000;
    const redelivered = sim.deliveries.filter((d) => d.redelivery).length;
    const redeliveredTwice = new Set(sim.deliveries.filter((d) => d.redelivery).map((d) => d.id)).size !== redelivered;
    const scanLine = slipway.logs().match(/"deliveries":(\d+),"attempts":(\d+)/);
    const complete = done === PRS;
    return {
      headline: { recovery_s: Math.round(recoveryS * 10) / 10 },
      goals: [
        {
          what: `${PRS} missed PRs planned after a restart (interval ${INTERVAL_SECONDS} s)`,
          target: `≤ ${GOAL_S} s`,
          value: complete ? `${recoveryS.toFixed(1)} s` : `${done} of ${PRS} after ${recoveryS.toFixed(0)} s`,
          met: complete && recoveryS <= GOAL_S,
        },
        { what: "each missed delivery asked for once", target: "yes", value: redeliveredTwice ? "no" : "yes", met: !redeliveredTwice },
      ],
      table: {
        title: `recovery — ${PRS} PRs opened while Slipway was down, then started (SLIPWAY_REDELIVERY_INTERVAL_SECONDS=${INTERVAL_SECONDS})`,
        headers: ["figure", "value"],
        rows: [
          ["deliveries refused while down", refused],
          ["start → webhook server listening", `${listeningS.toFixed(1)} s`],
          ["start → first PR planned", firstS === undefined ? "none" : `${firstS.toFixed(1)} s`],
          ["start → last PR planned (recovery_s)", complete ? `${recoveryS.toFixed(1)} s` : `not all: ${done} of ${PRS}`],
          ["redeliveries asked (first scan: missed / attempts listed)", `${redelivered} (${scanLine ? `${scanLine[1]} / ${scanLine[2]}` : "?"})`],
        ],
      },
      detail: {
        prs: PRS,
        interval_s: INTERVAL_SECONDS,
        refused,
        listening_s: listeningS,
        first_planned_s: firstS ?? null,
        recovery_s: recoveryS,
        planned: done,
        redelivered,
      },
    };
  } finally {
    await stack.stop();
  }
}

export const recovery: Bench = {
  name: "recovery",
  summary: "50 PRs opened while Slipway was down: seconds from its start to the last one planned (redelivery)",
  run,
};
