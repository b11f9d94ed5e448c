// A comment with commands, on a pull request, a drift issue or a release issue: parse, gather the facts each
// command's decision reads, decide (policy/command-decisions.ts), then carry out and answer.
// Every command gets a visible answer: 👀 when accepted, and a reply when refused or when it
// changes nothing; the comment, the reply and the checks are the audit trail.
import { parseCommands } from "../commands/parse-commands.ts";
import type { CommentIntent } from "../domain/intent.ts";
import { decideCommand, type CommandAction } from "../policy/command-decisions.ts";
import { commandLabel } from "../policy/permissions.ts";
import { renderAnswer, renderCommandErrors, renderRefusal } from "../presentation/render/command-reply.ts";
import type { RepoGitHub } from "../github/port.ts";
import { carryOutOnDriftIssue, carryOutOnPull, carryOutOnReleaseIssue, type CommandContext } from "./carry-out-command.ts";
import { driftScene, pullScene, releaseScene, type CommandDeps, type CommandScene } from "./command-scene.ts";

export async function runCommentJob(intent: CommentIntent, deps: CommandDeps): Promise<{ ran: string[]; refused: number }> {
  const log = deps.log.child({ delivery: intent.deliveryId, pr: `${intent.repo.owner}/${intent.repo.name}#${intent.pullNumber}`, user: intent.user });
  const gh = await deps.github.forRepo(intent.repo);
  const scene = await sceneOf(deps, gh, intent);
  const parsed = parseCommands(intent.body, scene.parseOptions);
  // Every line that looks like a command and is not one is answered, with the valid commands:
  // a typo must never pass for a command that silently did nothing.
  const replies = parsed.errors.length > 0 ? [renderCommandErrors(parsed.errors)] : [];
  const ctx: CommandContext = { deps, gh, intent };
  const ran: string[] = [];
  let acknowledged = false;
  // One at a time, in order: `/approve` then `/apply` in one comment must see the approval.
  for (const command of parsed.commands) {
    const decision = decideCommand(command, await scene.factsFor(command));
    const label = commandLabel(command.kind);
    const sha = scene.on === "pull_request" ? scene.pull.facts.headSha : scene.on === "release_issue" ? scene.sha : undefined;
    if (decision.verdict === "refuse") {
      log.info({ command: command.kind, sha, reason: decision.reason }, "command refused");
      replies.push(renderRefusal(label, decision.reason));
      await deps.audit.record({
        kind: "command.refused",
        actor: intent.user,
        repo: `${intent.repo.owner}/${intent.repo.name}`,
        pull: intent.pullNumber,
        ...(sha ? { sha } : {}),
        outcome: "refused",
        reason: `${label}: ${decision.reason}`,
        delivery: intent.deliveryId,
        via: "comment",
      });
      continue;
    }
    if (!acknowledged) await gh.addReaction(intent.commentId, "eyes");
    acknowledged = true;
    log.info({ command: command.kind, sha, action: decision.action.kind }, "command accepted");
    const reply = await carryOut(decision.action, ctx, scene);
    if (decision.answer) replies.push(renderAnswer(label, decision.answer));
    if (reply) replies.push(reply);
    ran.push(command.kind);
  }
  if (replies.length > 0) await gh.createComment(intent.pullNumber, replies.join("\n"));
  return { ran, refused: parsed.errors.length + parsed.commands.length - ran.length };
}

/** Where the comment is: a pull request, a drift issue or a release issue. */
async function sceneOf(deps: CommandDeps, gh: RepoGitHub, intent: CommentIntent): Promise<CommandScene> {
  if (intent.driftProject !== undefined) return driftScene(deps, gh, intent, intent.driftProject);
  if (intent.releaseSha !== undefined) return releaseScene(deps, gh, intent, intent.releaseSha);
  return pullScene(deps, gh, intent);
}

async function carryOut(action: CommandAction, ctx: CommandContext, scene: CommandScene): Promise<string | undefined> {
  if (scene.on === "pull_request") return carryOutOnPull(action, ctx, scene);
  if (scene.on === "release_issue") await carryOutOnReleaseIssue(action, ctx);
  else await carryOutOnDriftIssue(action, ctx, scene.branch);
  return undefined;
}
