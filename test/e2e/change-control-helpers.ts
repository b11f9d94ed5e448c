// Shared by the change-control e2e files: the people of issue 4's story, a Slipway whose steps
// record what they applied in a temp "world" dir, and the reads every test makes (newest check of
// a name, the bot's replies, 👀 reactions, apply records).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo, PullTarget, Scenario } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import type { CommentState } from "../support/github-simulator/state.ts";

type Json = Record<string, any>;

export const BOT = "slipway[bot]";
export const STICKY = "<!-- slipway:sticky -->";
const WAIT_MS = 30_000;

/** alice writes the PRs, bob only reads, carol is a listed approver, dave approves through @acme/sre, erin writes but may not approve. */
export function addPeople(gh: Scenario): void {
  gh.addUser("alice", { permission: "write" });
  gh.addUser("bob", { permission: "read" });
  gh.addUser("carol", { permission: "write" });
  gh.addUser("dave", { permission: "write" });
  gh.addUser("erin", { permission: "write" });
  gh.addTeam("acme", "sre", ["dave"]);
}

export interface Gated {
  e2e: E2E;
  gh: Scenario;
  /** Where apply.sh records its runs (SLIPWAY_WORLD_DIR of the Slipway processes). */
  worldDir: string;
  newRepo(files?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

let repoCount = 0;

/** A repo from the gated-repo fixture, optionally with files changed on main before any PR. */
export async function newGatedRepo(gh: Scenario, label: string, files: Record<string, string> = {}): Promise<string> {
  const name = `${label}-${++repoCount}`;
  await gh.createRepo({ owner: "acme", name, fixture: "gated-repo", files });
  return `acme/${name}`;
}

export function makeWorldDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "slipway-world-"));
}

/** One simulator and one Slipway (role all) for a test file; each test makes its own repo. */
export async function startGated(label: string): Promise<Gated> {
  const worldDir = await makeWorldDir();
  let e2e: E2E;
  try {
    e2e = await startE2E({ env: { SLIPWAY_WORLD_DIR: worldDir } });
  } catch (err) {
    await rm(worldDir, { recursive: true, force: true });
    throw err;
  }
  addPeople(e2e.gh);
  return {
    e2e,
    gh: e2e.gh,
    worldDir,
    newRepo: (files) => newGatedRepo(e2e.gh, label, files),
    async stop() {
      await keepLogs(label, [e2e.slipway.logs()]);
      await e2e.stop();
      await rm(worldDir, { recursive: true, force: true });
    },
  };
}

/** With CC_E2E_LOG_DIR set, Slipway's output is kept there for reading after a failed run. */
export async function keepLogs(label: string, logs: string[]): Promise<void> {
  const dir = process.env.CC_E2E_LOG_DIR;
  if (dir) await writeFile(path.join(dir, `${label}.log`), logs.join("\n----- next process -----\n"));
}

export function checkText(c: Json): string {
  return `${c.output?.title ?? ""}\n${c.output?.summary ?? ""}\n${c.output?.text ?? ""}`;
}

/** The current check of a name on a SHA: several may exist, the newest (highest id) counts. */
export function newestCheck(gh: Scenario, repo: string, headSha: string, name: string): Json | undefined {
  return gh.checkRuns(repo, { headSha, name }).at(-1);
}

/** Waits until the newest completed check of `name` on the SHA (newer than `afterId`) satisfies `ok`. */
export function waitForCheck(
  gh: Scenario,
  pr: { repo: string; headSha: string },
  name: string,
  ok: (c: Json) => boolean,
  what: string,
  afterId = 0,
): Promise<Json> {
  return waitFor(
    () => {
      const c = newestCheck(gh, pr.repo, pr.headSha, name);
      return c && c.id > afterId && c.status === "completed" && ok(c) ? c : null;
    },
    { timeoutMs: WAIT_MS, what: `${what} (${name} on ${pr.headSha.slice(0, 7)})` },
  );
}

/** The plan of `project` at the PR head ended with changes. */
export function planned(gh: Scenario, pr: PullInfo, project: string, afterId = 0): Promise<Json> {
  return waitForCheck(gh, pr, `slipway/plan: ${project}`, (c) => c.conclusion === "success", `a successful plan of ${project}`, afterId);
}

export function approvalIs(gh: Scenario, pr: PullInfo, conclusion: "success" | "failure", what: string, afterId = 0): Promise<Json> {
  return waitForCheck(gh, pr, "slipway/approval", (c) => c.conclusion === conclusion, what, afterId);
}

/** Slipway's reply comments (not the sticky plan comment) posted after `afterCommentId`. */
export function botReplies(gh: Scenario, pr: PullTarget, afterCommentId = 0): Json[] {
  return gh.comments(pr.repo, pr.number).filter((c) => c.id > afterCommentId && c.user.login === BOT && !String(c.body).includes(STICKY));
}

/** The first reply Slipway posted after a command comment. */
export function replyTo(gh: Scenario, pr: PullTarget, command: CommentState, what: string): Promise<Json> {
  return waitFor(() => botReplies(gh, pr, command.id)[0], { timeoutMs: WAIT_MS, what });
}

export function hasEyes(gh: Scenario, commentId: number): boolean {
  return gh.reactions(commentId).some((r) => r.content === "eyes" && r.user.login === BOT);
}

export function eyesOn(gh: Scenario, command: CommentState): Promise<boolean> {
  return waitFor(() => hasEyes(gh, command.id), { timeoutMs: WAIT_MS, what: `a 👀 reaction on ${JSON.stringify(command.body)}` });
}

export function sticky(gh: Scenario, pr: PullTarget): Json | undefined {
  return gh.comments(pr.repo, pr.number).find((c) => c.user.login === BOT && String(c.body).includes(STICKY));
}

export interface ApplyRecord {
  phase: "start" | "end";
  project: string;
  sha: string;
  at: number;
}

/** What apply.sh wrote to $SLIPWAY_WORLD_DIR/applies.log, optionally for one SHA. */
export async function applyRecords(worldDir: string, sha?: string): Promise<ApplyRecord[]> {
  let text = "";
  try {
    text = await readFile(path.join(worldDir, "applies.log"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [phase, project, recordSha, at] = line.split(" ");
      return { phase: phase as ApplyRecord["phase"], project: project!, sha: recordSha!, at: Number(at) };
    })
    .filter((r) => !sha || r.sha === sha);
}
