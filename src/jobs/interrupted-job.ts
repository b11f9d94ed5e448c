// An apply or deploy whose worker died mid-way (BullMQ found its job stalled). It is never run
// again on its own — the world may be half-changed — so it is reported where people look, the
// project stays locked, and a human decides: `/apply` (again) or `/unlock`.
import type { WorldIntent } from "../domain/intent.ts";
import type { JobDeps } from "./deps.ts";
import { postOnPull } from "./deploy-job.ts";

const INTERRUPTED = "interrupted, not re-run automatically";

export async function reportInterrupted(intent: WorldIntent, deps: JobDeps): Promise<void> {
  // A drift run that dies changed nothing unless it was remediating; the next tick runs again.
  if (intent.kind === "drift") return;
  const repo = intent.kind === "deploy" ? intent.repo : intent.pull.repo;
  const gh = await deps.github.forRepo(repo);
  const log = deps.log.child({ delivery: intent.deliveryId, repo: `${repo.owner}/${repo.name}` });
  if (intent.kind === "apply") {
    const projects = intent.projects.map((p) => `\`${p}\``).join(", ");
    await gh.createComment(intent.pull.number, `The apply of ${projects} at ${intent.pull.headSha.slice(0, 7)} was ${INTERRUPTED}: the worker running it stopped. Check the infrastructure, then comment \`/apply\` to run it again, or \`/unlock\`.`);
    log.warn({ pr: intent.pull.number, projects: intent.projects }, "apply interrupted");
    return;
  }
  const repoName = `${repo.owner}/${repo.name}`;
  const state = await deps.deploys.update(repoName, intent.sha, (s) => {
    for (const env of Object.values(s!.environments)) {
      if (env.state !== "in_progress") continue;
      env.state = "waiting";
      const applying = (s!.inFlight ?? []).join(", ");
      env.reason = `${env.name} was ${INTERRUPTED}${applying ? ` while applying ${applying}` : ""}: an approver comments \`/apply ${env.name}\` on the merged pull request to run it again`;
    }
    return s!;
  });
  for (const env of Object.values(state.environments)) {
    if (env.state === "waiting" && env.reason?.includes(INTERRUPTED) && env.deploymentId !== undefined) {
      await gh.setDeploymentStatus(env.deploymentId, "error", `${env.name}: ${INTERRUPTED}`);
    }
  }
  if (state.pullNumber !== undefined) {
    // Held until a human runs it again or unlocks it: nobody else may change a half-applied project.
    // The merge commit as headSha marks it as a deploy's lock, not a stale one (see plan-job.ts).
    for (const project of state.inFlight ?? []) {
      await deps.locks.tryAcquire({ owner: repo.owner, repo: repo.name, project }, { pull: state.pullNumber, headSha: intent.sha, since: Date.now() });
    }
    await postOnPull(deps, gh, state);
  }
  log.warn({ sha: intent.sha, project: state.inFlight }, "deploy interrupted");
}
