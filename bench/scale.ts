// scale: 500 PRs across 50 repositories, all opened at once, planned by 4 worker processes of
// concurrency 2 (8 slots) behind one webhook server; the plan step sleeps 200 ms. Makespan — from
// the first `pull_request.opened` sent to the last final comment — against the ideal: the total
// step time (the workers' own measure) divided by the slots. Each worker has its own data dir,
// as on separate machines. Peak RSS per worker, sampled every 100 ms.
// Bounded in time: after BUDGET_MS the run stops; an unfinished run reports the makespan projected
// from its measured completion rate, and says so.
import type { PullInfo } from "../test/support/github-simulator/index.ts";
import type { SlipwayProcess } from "../test/support/slipway-process.ts";
import { openPulls, projectName, projectsRepoFiles, type PullSpec } from "./lib/bench-repos.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { CallWatch, sleep } from "./lib/call-watch.ts";
import { cpuSince, readCpuTimes, type CpuTimes } from "./lib/cpu-times.ts";
import { createDeliveryClient, findDelivery } from "./lib/deliveries.ts";
import { sampleRss } from "./lib/rss-sampler.ts";
import { ms, progress, ratio, round, sum } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const REPOS = 50;
const PRS_PER_REPO = 10;
const WORKERS = 4;
const CONCURRENCY = 2;
const STEP_SECONDS = 0.2;
const BUDGET_MS = 150_000;
const GOAL_RATIO = 1.1;

function stepTimes(worker: SlipwayProcess): number[] {
  return [...worker.logs().matchAll(/"status":"[a-z_]+","ms":(\d+),"msg":"project planned"/g)].map((m) => Number(m[1]));
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("scale");
  try {
    const { sim } = stack;
    const gh = sim.scenario;
    gh.addUser("alice", { permission: "write" });
    const projects = Array.from({ length: PRS_PER_REPO }, (_, i) => projectName(i));
    const files = projectsRepoFiles(projects, { plan: [`sleep ${STEP_SECONDS}`] });
    const specs: PullSpec[] = [];
    const prepared = Date.now();
    for (let r = 0; r < REPOS; r++) {
      // Ten organisations (installations) of five repositories each.
      const repo = await gh.createRepo({ owner: `org-${r % 10}`, name: `infra-${r}`, files });
      for (const p of projects) specs.push({ repo: repo.fullName, branch: `change-${p}`, files: { [`${p}/main.tf`]: `# ${p} v2\n` } });
    }
    // Interleaved so that parallel lanes work on different repositories.
    const order = specs
      .map((s, i) => ({ s, k: (i % PRS_PER_REPO) * REPOS + Math.floor(i / PRS_PER_REPO) }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.s);
    const pulls = await openPulls(gh, order, "alice", 10);
    progress("scale", `${pulls.length} PRs in ${REPOS} repos prepared in ${((Date.now() - prepared) / 1000).toFixed(1)} s`);

    const server = await stack.slipway({ role: "server" });
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => stack.slipway({ role: "worker", concurrency: CONCURRENCY })));
    const hookUrl = `${server.url}/api/github/webhooks`;
    sim.setWebhookTarget(hookUrl);
    const rss = sampleRss([...workers.map((w) => w.pid), server.pid]);
    const baseline = new Map(workers.map((w) => [w.pid, rss.peaks().get(w.pid) ?? 0]));
    const watch = new CallWatch(sim);
    const client = createDeliveryClient(hookUrl, 64);

    // Where the 2 cores go: Slipway's processes and their git children, and this process (the
    // simulator, whose git http-backend children serve every fetch, and the delivery client).
    const cpuPids = [...workers.map((w) => w.pid), server.pid, process.pid];
    const cpuStart = new Map<number, CpuTimes>(cpuPids.map((pid) => [pid, readCpuTimes(pid)]));
    // "Opened at once": every PR's push and opened deliveries, as fast as the server takes them.
    const t0 = Date.now();
    const sent = await Promise.all(
      pulls.map(async (pr: PullInfo) => {
        await client.post(findDelivery(sim, pr, "push"));
        return client.post(findDelivery(sim, pr, "pull_request", "opened"));
      }),
    );
    client.close();
    const rejected = sent.filter((s) => s.status !== 200).length;
    const lastSent = Math.max(...sent.map((s) => s.sentAt));
    progress("scale", `${pulls.length} opened deliveries sent in ${((lastSent - t0) / 1000).toFixed(1)} s (${rejected} not 200)`);

    const deadline = t0 + BUDGET_MS;
    let done: number[] = [];
    let lastReport = Date.now();
    for (;;) {
      done = pulls.map((pr) => watch.firstAt("comment", pr.repo, pr.number)).filter((t): t is number => t !== undefined);
      if (done.length === pulls.length || Date.now() > deadline) break;
      if (Date.now() - lastReport > 15_000) {
        progress("scale", `${done.length}/${pulls.length} PRs commented after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        lastReport = Date.now();
      }
      await sleep(50);
    }
    const stoppedAt = Date.now();
    rss.stop();
    const cpu = new Map(cpuPids.map((pid) => [pid, cpuSince(pid, cpuStart.get(pid)!)]));
    const workersCpu = workers.map((w) => cpu.get(w.pid)!);
    const cpuSeconds = {
      workers_node: round(sum(workersCpu.map((c) => c.own)), 1),
      workers_node_system: round(sum(workersCpu.map((c) => c.system)), 1),
      workers_children: round(sum(workersCpu.map((c) => c.children)), 1),
      server: round(cpu.get(server.pid)!.own, 1),
      simulator_and_bench: round(cpu.get(process.pid)!.own, 1),
      simulator_git: round(cpu.get(process.pid)!.children, 1),
    };
    const finished = done.length === pulls.length;
    const elapsed = ((finished ? Math.max(...done) : stoppedAt) - t0) / 1000;
    // Unfinished: the rate of the run so far, extended to every PR.
    const makespan = finished ? elapsed : (elapsed * pulls.length) / Math.max(1, done.length);
    const steps = workers.flatMap(stepTimes);
    const stepTotal = steps.length > 0 ? (sum(steps) / steps.length) * pulls.length : pulls.length * STEP_SECONDS * 1000;
    const ideal = stepTotal / 1000 / (WORKERS * CONCURRENCY);
    const makespanRatio = ratio(makespan, ideal);
    const peaks = rss.peaks();
    const perWorker = workers.map((w, i) => ({
      worker: i + 1,
      plans: stepTimes(w).length,
      peak_rss_mb: round(peaks.get(w.pid) ?? 0, 1),
      start_rss_mb: round(baseline.get(w.pid) ?? 0, 1),
    }));
    const label = finished ? `${round(elapsed, 1)} s` : `≈ ${round(makespan, 0)} s projected (${done.length}/${pulls.length} done in ${round(elapsed, 0)} s)`;

    return {
      headline: { scale_makespan_ratio: makespanRatio },
      goals: [
        {
          what: "makespan ÷ ideal (total step time / slots)",
          target: `≤ ${GOAL_RATIO}`,
          value: finished ? String(makespanRatio) : `≈ ${makespanRatio} (projected)`,
          met: finished && makespanRatio <= GOAL_RATIO,
        },
        { what: "peak RSS of the largest worker", target: "reported", value: `${Math.max(...perWorker.map((w) => w.peak_rss_mb))} MB`, met: true },
      ],
      table: {
        title: `scale — ${pulls.length} PRs across ${REPOS} repos opened at once, ${WORKERS} workers × concurrency ${CONCURRENCY}, step sleeps ${STEP_SECONDS * 1000} ms`,
        headers: ["figure", "value"],
        rows: [
          ["makespan (first opened sent → last final comment)", label],
          ["ideal (total step time ÷ 8 slots)", `${round(ideal, 1)} s`],
          ["makespan ÷ ideal", finished ? makespanRatio : `≈ ${makespanRatio} (projected)`],
          ["PRs planned per second", round(done.length / elapsed, 2)],
          ["median step time inside Slipway", ms(steps.length ? [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]! : Number.NaN)],
          ...perWorker.map((w) => [`worker ${w.worker}: plans run, peak RSS (at start)`, `${w.plans}, ${w.peak_rss_mb} MB (${w.start_rss_mb} MB)`]),
          ["webhook server peak RSS", `${round(peaks.get(server.pid) ?? 0, 1)} MB`],
          [
            "CPU s: workers (node, of which system) / their children (git, steps)",
            `${cpuSeconds.workers_node} (${cpuSeconds.workers_node_system}) / ${cpuSeconds.workers_children}`,
          ],
          [
            "CPU s: webhook server / simulator + bench / simulator's git",
            `${cpuSeconds.server} / ${cpuSeconds.simulator_and_bench} / ${cpuSeconds.simulator_git}`,
          ],
        ],
        notes: finished
          ? [`All ${pulls.length} PRs planned; deliveries sent over ${round((lastSent - t0) / 1000, 1)} s.`]
          : [`Stopped after the ${BUDGET_MS / 1000} s budget with ${done.length} of ${pulls.length} PRs planned: the makespan is projected from that rate.`],
      },
      detail: {
        repos: REPOS,
        prs: pulls.length,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        finished,
        prs_done: done.length,
        makespan_s: round(makespan, 2),
        makespan_projected: !finished,
        elapsed_s: round(elapsed, 2),
        ideal_s: round(ideal, 2),
        deliveries_not_200: rejected,
        per_worker: perWorker,
        server_peak_rss_mb: round(peaks.get(server.pid) ?? 0, 1),
        cpu_seconds: cpuSeconds,
      },
    };
  } finally {
    await stack.stop();
  }
}

export const scale: Bench = { name: "scale", summary: "500 PRs in 50 repos at once on 4 workers × 2: makespan vs ideal, RSS per worker", run };
