// An apply or deploy whose worker died mid-way (BullMQ found its job stalled). It is never run
// again on its own — the world may be half-changed — so it is reported where people look (a
// direct push's deploy: on its release issue), the project stays locked (when a pull request can
// hold it), and a human decides: `/apply` (again) or `/unlock`.
import { deploymentUpdates, INTERRUPTED, type DeployState } from "../domain/deploy-state.ts";
import type { ApplyIntent, DeployIntent, DriftIntent, MergeGroupIntent, WorldIntent } from "../domain/intent.ts";
import type { RepoGitHub } from "../github/port.ts";
import { writeDeployComment } from "../presentation/deploy-comment.ts";
import { DRIFT_LABEL, driftIssueTitle, driftMarker, renderRepairInterrupted } from "../presentation/render/drift-issue.ts";
import { renderReleaseIssueInterrupted } from "../presentation/render/release-issue.ts";
import type { JobDeps } from "./deps.ts";
import { syncReleaseIssue } from "./release-issue.ts";

type InterruptedDeps = Pick<JobDeps, "github" | "deploys" | "locks" | "sticky" | "audit" | "log" | "driftRepairs">;

export async function reportInterrupted(intent: WorldIntent, deps: InterruptedDeps): Promise<void> {
  // A drift run that dies changed nothing unless it was repairing; the next tick checks again.
  if (intent.kind === "drift") return driftRepairInterrupted(intent, deps);
  if (intent.kind === "apply") return applyInterrupted(intent, deps);
  if (intent.kind === "merge_group") return groupInterrupted(intent, deps);
  return deployInterrupted(intent, deps);
}

/** Repairs the dead drift job had under way (jobs/drift-job.ts notes them): told on their drift issues. */
async function driftRepairInterrupted(intent: DriftIntent, deps: InterruptedDeps): Promise<void> {
  const repo = `${intent.repo.owner}/${intent.repo.name}`;
  const repairs = (await deps.driftRepairs.unfinished(repo)).filter((r) => r.delivery === intent.deliveryId);
  if (repairs.length === 0) return;
  const gh = await deps.github.forRepo(intent.repo);
  for (const repair of repairs) {
    const text = renderRepairInterrupted(repair.project, repair.sha, INTERRUPTED);
    if (repair.issue !== undefined) await gh.createComment(repair.issue, text);
    else await gh.createIssue({ title: driftIssueTitle(repair.project), body: `${driftMarker(repair.project)}\n${text}`, labels: [DRIFT_LABEL] });
    await deps.driftRepairs.finish(repo, repair.project);
    deps.log.warn({ delivery: intent.deliveryId, repo, project: repair.project, sha: repair.sha }, "drift repair interrupted");
  }
}

async function applyInterrupted(intent: ApplyIntent, deps: InterruptedDeps): Promise<void> {
  const gh = await deps.github.forRepo(intent.pull.repo);
  const projects = intent.projects.map((p) => `\`${p}\``).join(", ");
  await gh.createComment(
    intent.pull.number,
    `The apply of ${projects} at ${intent.pull.headSha.slice(0, 7)} was ${INTERRUPTED}: the worker running it stopped. Check the infrastructure, then comment \`/apply\` to run it again, or \`/unlock\`.`,
  );
  deps.log.warn({ delivery: intent.deliveryId, pr: intent.pull.number, projects: intent.projects }, "apply interrupted");
}

/**
 * A merge queue group whose apply was cut short: its apply check would spin until the queue's
 * timeout. A failed check says so at once — the queue takes the pull request out, and the
 * `destroyed` that follows reports the world as ahead of the default branch (it was attempted).
 */
async function groupInterrupted(intent: MergeGroupIntent, deps: InterruptedDeps): Promise<void> {
  if (intent.action !== "checks_requested") return;
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  const applied = new Set(await deps.deploys.queueApplied(repoName, intent.headSha));
  const cut = (await deps.deploys.queueAttempted(repoName, intent.headSha)).filter((p) => !applied.has(p));
  if (cut.length === 0) return;
  const gh = await deps.github.forRepo(intent.repo);
  for (const project of cut) {
    await gh.createCheckRun({
      name: `slipway/apply: ${project}`,
      headSha: intent.headSha,
      status: "completed",
      conclusion: "failure",
      output: {
        title: `Apply ${INTERRUPTED}`,
        summary: `The worker applying \`${project}\` at ${intent.headSha.slice(0, 7)} stopped: the world may be half-changed.`,
      },
    });
  }
  if (intent.pullNumber !== undefined) {
    const projects = cut.map((p) => `\`${p}\``).join(", ");
    await gh.createComment(
      intent.pullNumber,
      `The merge queue apply of ${projects} at ${intent.headSha.slice(0, 7)} was ${INTERRUPTED}: the worker running it stopped, so the queue takes this pull request out. Check the infrastructure, then queue the pull request again.`,
    );
  }
  deps.log.warn({ delivery: intent.deliveryId, repo: repoName, sha: intent.headSha, projects: cut }, "merge group apply interrupted");
}

async function deployInterrupted(intent: DeployIntent, deps: InterruptedDeps): Promise<void> {
  const repo = intent.repo;
  const gh = await deps.github.forRepo(repo);
  const repoName = `${repo.owner}/${repo.name}`;
  if (!(await deps.deploys.get(repoName, intent.sha))) return; // died before the deploy started: nothing changed
  const { before, after } = await deps.deploys.apply(repoName, intent.sha, { type: "interrupted" });
  for (const u of deploymentUpdates(before, after)) await gh.setDeploymentStatus(u.deploymentId, u.state, u.description);
  if (after.pullNumber !== undefined) {
    // Held until a human runs it again or unlocks it: nobody else may change a half-applied project.
    // The merge commit as headSha marks it as a deploy's lock, not a stale one (see plan-job.ts).
    for (const project of after.inFlight ?? []) {
      const lock = await deps.locks.tryAcquire(
        { owner: repo.owner, repo: repo.name, project },
        { pull: after.pullNumber, headSha: intent.sha, since: Date.now() },
      );
      if (lock.acquired && !lock.reentrant)
        await deps.audit.record({
          kind: "lock.acquired",
          actor: "slipway",
          repo: repoName,
          pull: after.pullNumber,
          sha: intent.sha,
          project,
          outcome: "acquired",
          reason: "its apply was interrupted: held until someone runs it again or unlocks it",
          delivery: intent.deliveryId,
        });
    }
  }
  await writeDeployComment(gh, deps.sticky, after);
  // Told once: a second report of the same death (nothing newly interrupted) adds no comment.
  const newly = Object.values(after.environments).some((e) => e.interrupted && !before.environments[e.name]?.interrupted);
  if (after.pullNumber === undefined && newly) await tellReleaseIssue(gh, deps, after);
  deps.log.warn({ delivery: intent.deliveryId, repo: repoName, sha: intent.sha, projects: after.inFlight }, "deploy interrupted");
}

/**
 * A direct push has no pull request to tell: its release issue says it instead, and takes the
 * `/apply <environment>` that runs it again — the issue open already (another environment
 * waited), or opened now. An issue closed because a newer commit took over is left closed: the
 * older commit is never applied over it.
 */
async function tellReleaseIssue(gh: RepoGitHub, deps: InterruptedDeps, state: DeployState): Promise<void> {
  if (state.releaseIssue !== undefined && !state.releaseIssueClosed) {
    await gh.createComment(state.releaseIssue, renderReleaseIssueInterrupted(state));
    return;
  }
  const repoName = `${gh.repo.owner}/${gh.repo.name}`;
  await syncReleaseIssue(gh, state, async (event) => (await deps.deploys.apply(repoName, state.sha, event)).after);
}
