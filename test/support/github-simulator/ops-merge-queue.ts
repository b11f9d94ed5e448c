// GitHub's merge queue, as the simulator plays it. Enqueuing builds the group's commit — the pull
// requests merged one by one on top of the base branch, or of the entry ahead — on a
// `gh-readonly-queue/<base>/pr-<N>-<sha>` branch, and sends `merge_group.checks_requested`.
// Each check on a group's commit makes the queue look again (`advanceQueue`): the first entry
// whose required checks all passed is merged (the base branch fast-forwards to its commit:
// `pull_request.closed` merged, `push`, `merge_group.destroyed` merged); an entry whose required
// check failed leaves the queue (`destroyed` dequeued), and the entries built on it are
// invalidated and built again on what is left.
import type { PendingEvent, SimCore } from "./core.ts";
import { commitsBetween, deleteRef, mergeCommit, resolveCommit, updateRef } from "./git.ts";
import { nowIso, type MergeQueueEntry, type PullState, type RepoState, type SimUser } from "./state.ts";
import { mergeGroupPayload, pullRequestPayload, pushPayload } from "./webhook-payloads.ts";

const PASSING = new Set(["success", "neutral", "skipped"]);

function pending(core: SimCore, repo: RepoState): MergeQueueEntry[] {
  return core.state.mergeQueue.filter((e) => e.repo === repo.fullName && e.state === "pending");
}

/** Builds a group of `pulls` on `onto`; undefined when one of them does not merge cleanly. */
async function buildGroup(core: SimCore, repo: RepoState, pulls: PullState[], onto: string, user: SimUser): Promise<MergeQueueEntry | undefined> {
  let sha = onto;
  for (const pull of pulls) {
    const issue = core.state.issue(repo.fullName, pull.number);
    const headOwner = core.state.repo(pull.head.repoFullName)?.owner.login ?? repo.owner.login;
    const message = `Merge pull request #${pull.number} from ${headOwner}/${pull.head.ref}\n\n${issue?.title ?? ""}`;
    const next = await mergeCommit(repo.gitDir, sha, pull.head.sha, message, { name: user.login, email: `${user.id}+${user.login}@users.noreply.sim` });
    if (!next) return undefined;
    sha = next;
  }
  const last = pulls[pulls.length - 1]!;
  const headRef = `gh-readonly-queue/${last.base.ref}/pr-${last.number}-${last.head.sha}`;
  await updateRef(repo.gitDir, `refs/heads/${headRef}`, sha);
  const entry: MergeQueueEntry = {
    repo: repo.fullName,
    pulls: pulls.map((p) => p.number),
    baseRef: last.base.ref,
    baseSha: onto,
    headSha: sha,
    headRef,
    enqueuedBy: user,
    state: "pending",
  };
  core.state.mergeQueue.push(entry);
  return entry;
}

/** Adds one group (one pull request, or several merged together) at the end of the queue. */
export async function enqueue(core: SimCore, repo: RepoState, pulls: PullState[], user: SimUser): Promise<{ entry?: MergeQueueEntry; events: PendingEvent[] }> {
  const base = pulls[0]!.base.ref;
  if (pulls.some((p) => p.merged || core.state.issue(repo.fullName, p.number)?.state !== "open")) throw new Error("only open pull requests can be queued");
  if (pulls.some((p) => p.base.ref !== base)) throw new Error("a merge group has one base branch");
  const queued = new Set(pending(core, repo).flatMap((e) => e.pulls));
  if (pulls.some((p) => queued.has(p.number))) throw new Error("the pull request is already in the merge queue");
  const ahead = pending(core, repo)
    .filter((e) => e.baseRef === base)
    .at(-1);
  const onto = ahead?.headSha ?? (await resolveCommit(repo.gitDir, `refs/heads/${base}`));
  if (!onto) throw new Error(`no branch ${base}`);
  const entry = await buildGroup(core, repo, pulls, onto, user);
  if (!entry) throw new Error("the pull request does not merge cleanly: it cannot be queued");
  return { entry, events: [async () => ["merge_group", await mergeGroupPayload(core, "checks_requested", entry, user)]] };
}

/** Required checks of the queue on the group's commit: all passed, one failed, or still waiting. */
function verdict(core: SimCore, repo: RepoState, sha: string): "passed" | "failed" | "waiting" {
  let waiting = false;
  for (const context of repo.mergeQueueChecks ?? []) {
    const runs = [...core.state.checkRuns.values()].filter((r) => r.repo === repo.fullName && r.headSha === sha && r.name === context);
    const run = runs.sort((a, b) => a.id - b.id).at(-1);
    const status = core.state.statuses.filter((s) => s.repo === repo.fullName && s.sha === sha && s.context === context).at(-1);
    if ((run?.status === "completed" && PASSING.has(run.conclusion ?? "")) || status?.state === "success") continue;
    if ((run?.status === "completed" && !PASSING.has(run.conclusion ?? "")) || status?.state === "failure" || status?.state === "error") return "failed";
    waiting = true;
  }
  return waiting ? "waiting" : "passed";
}

/** What the queue does now: merge what passed at its head, take out what failed. */
export async function advanceQueue(core: SimCore, repo: RepoState): Promise<PendingEvent[]> {
  const events: PendingEvent[] = [];
  for (;;) {
    const failed = pending(core, repo).find((e) => verdict(core, repo, e.headSha) === "failed");
    if (failed) {
      events.push(...(await removeEntry(core, repo, failed, "dequeued")));
      continue;
    }
    const first = pending(core, repo)[0];
    if (!first || verdict(core, repo, first.headSha) !== "passed") return events;
    events.push(...(await mergeEntry(core, repo, first)));
  }
}

/** The test (or a person) takes a pull request out of the queue. */
export async function dequeue(core: SimCore, repo: RepoState, pull: number): Promise<PendingEvent[]> {
  const entry = pending(core, repo).find((e) => e.pulls.includes(pull));
  if (!entry) throw new Error(`#${pull} is not in the merge queue`);
  return [...(await removeEntry(core, repo, entry, "dequeued")), ...(await advanceQueue(core, repo))];
}

async function mergeEntry(core: SimCore, repo: RepoState, entry: MergeQueueEntry): Promise<PendingEvent[]> {
  const ref = `refs/heads/${entry.baseRef}`;
  const before = await resolveCommit(repo.gitDir, ref);
  // The queue merges only a group built on the branch as it is: a fast-forward.
  if (before !== entry.baseSha || !(await updateRef(repo.gitDir, ref, entry.headSha, before))) {
    return removeEntry(core, repo, entry, "invalidated");
  }
  entry.state = "merged";
  await deleteRef(repo.gitDir, `refs/heads/${entry.headRef}`);
  const now = nowIso();
  const user = entry.enqueuedBy;
  const merged: PullState[] = [];
  for (const number of entry.pulls) {
    const pull = core.state.pull(repo.fullName, number);
    const issue = core.state.issue(repo.fullName, number);
    if (!pull || !issue) continue;
    Object.assign(pull, { merged: true, mergedAt: now, mergedBy: user, mergeCommitSha: entry.headSha });
    pull.base.sha = before;
    Object.assign(issue, { state: "closed", stateReason: "completed", closedAt: now, updatedAt: now });
    merged.push(pull);
  }
  for (const other of core.state.pullsOf(repo.fullName)) if (!other.merged && other.base.ref === entry.baseRef) other.base.sha = entry.headSha;
  const list = await commitsBetween(repo.gitDir, before, entry.headSha);
  return [
    ...merged.map((pull): PendingEvent => () => ["pull_request", pullRequestPayload(core, "closed", pull, user)]),
    async () => ["push", await pushPayload(core, repo, { ref, before, after: entry.headSha, commits: list, pusher: user })],
    async () => ["merge_group", await mergeGroupPayload(core, "destroyed", entry, user, "merged")],
  ];
}

/** Takes an entry out; the entries built on it are invalidated and built again on what is left. */
async function removeEntry(core: SimCore, repo: RepoState, entry: MergeQueueEntry, reason: "dequeued" | "invalidated"): Promise<PendingEvent[]> {
  const behind = pending(core, repo).filter(
    (e) => e !== entry && e.baseRef === entry.baseRef && core.state.mergeQueue.indexOf(e) > core.state.mergeQueue.indexOf(entry),
  );
  entry.state = reason;
  await deleteRef(repo.gitDir, `refs/heads/${entry.headRef}`);
  const user = entry.enqueuedBy;
  const events: PendingEvent[] = [async () => ["merge_group", await mergeGroupPayload(core, "destroyed", entry, user, reason)]];
  for (const e of behind) {
    e.state = "invalidated";
    await deleteRef(repo.gitDir, `refs/heads/${e.headRef}`);
    events.push(async () => ["merge_group", await mergeGroupPayload(core, "destroyed", e, user, "invalidated")]);
  }
  for (const e of behind) {
    const pulls = e.pulls.map((n) => core.state.pull(repo.fullName, n)).filter((p): p is PullState => !!p);
    const ahead = pending(core, repo)
      .filter((x) => x.baseRef === e.baseRef)
      .at(-1);
    const onto = ahead?.headSha ?? (await resolveCommit(repo.gitDir, `refs/heads/${e.baseRef}`));
    const rebuilt = onto ? await buildGroup(core, repo, pulls, onto, e.enqueuedBy) : undefined;
    if (rebuilt) events.push(async () => ["merge_group", await mergeGroupPayload(core, "checks_requested", rebuilt, e.enqueuedBy)]);
  }
  return events;
}
