// Replies to PR comment commands: refusals with their reasons, and /help.

import type { CommandError } from "../../commands/command-types.ts";
import { COMMAND_SPECS } from "../../commands/grammar.ts";
import { ISSUE_COMMENT_BODY_MAX, cutAtLineBoundary } from "./github-limits.ts";
import { DETAILS } from "./failed-plan.ts";
import { escapeHtml, inertMentions, inlineCode, oneLine, tableCell } from "./markdown.ts";

/** Makes invisible and control characters visible, so a user sees why `/plan` "looked right". */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (ch) => `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`);
}

function fit(body: string): string {
  return cutAtLineBoundary(body, ISSUE_COMMENT_BODY_MAX, "\n_…reply cut to fit GitHub's limit._\n").text;
}

/** A reply listing each refused line and why. User text appears only inside code spans. */
export function renderCommandErrors(errors: CommandError[]): string {
  if (errors.length === 0) return "";
  const items = errors.map((e) => {
    const quoted = e.text ? ` ${inlineCode(visible(e.text))}` : "";
    return `- Line ${e.line}${quoted}: ${oneLine(e.reason, 2_000)}\n`;
  });
  const head = errors.length === 1 ? "Slipway did not run this:" : "Slipway did not run these:";
  return fit(`${head}\n\n${items.join("")}\nComment \`/help\` for the list of commands.\n`);
}

/** A refusal by policy (permissions, missing approvals, a merged PR…), for one command. */
export function renderRefusal(commandText: string, reason: string): string {
  return fit(`Slipway did not run ${inlineCode(visible(commandText))}: ${replyText(reason)}\n`);
}

/** The answer to a command that ran but changed nothing (yet), saying why (SPEC §7). */
export function renderAnswer(commandText: string, answer: string): string {
  return fit(`Slipway ran ${inlineCode(visible(commandText))}. ${replyText(answer)}\n`);
}

/**
 * Commands whose job failed for good (failed-command.ts): `reason` is safe words only, the error's
 * own message stays in the worker's log. They may have been carried out in part, so the person
 * is asked to look before repeating them.
 */
export function renderFailedCommand(commandTexts: string[], reason: string, on: "pull request" | "issue"): string {
  const names = commandTexts.map((c) => inlineCode(visible(c))).join(", ");
  const [it, It, itIs] = commandTexts.length === 1 ? ["it", "It", "it is"] : ["them", "They", "they are"];
  return fit(
    `Slipway could not complete ${names}: ${replyText(reason)} (${DETAILS}), and ${itIs} not tried again. ` +
      `${It} may have been carried out in part: check this ${on}'s checks and comments before you comment ${it} again, which runs ${it} again.\n`,
  );
}

/** A reason or an answer: one line, no HTML, and nobody it names is notified. */
function replyText(text: string): string {
  return inertMentions(escapeHtml(oneLine(text, 4_000)));
}

export interface HelpState {
  headSha?: string;
  apply?: "after_merge" | "before_merge" | "in_merge_queue";
  projects?: { name: string; environment?: string; result?: string }[];
  approvals?: { environment: string; approvedBy: string[]; required: number }[];
  /** Other PRs holding locks on projects this PR touches. */
  locks?: { project: string; heldByPr: number }[];
}

function list<T>(items: T[], max: number, line: (item: T) => string): string {
  const shown = items.slice(0, max).map(line).join("");
  return items.length > max ? `${shown}- … and ${items.length - max} more\n` : shown;
}

function stateSection(state: HelpState): string {
  const parts: string[] = [];
  if (state.headSha) parts.push(`- Head: ${inlineCode(state.headSha.slice(0, 7))}\n`);
  if (state.apply) {
    parts.push(
      state.apply === "after_merge"
        ? "- Apply: after merge (merge to apply; `/apply <environment>` releases a manual environment)\n"
        : state.apply === "before_merge"
          ? "- Apply: before merge (`/apply` on this PR, then merge)\n"
          : "- Apply: in the merge queue (add this PR to the queue: it merges once it applied; `/apply <environment>` releases a manual environment after merge)\n",
    );
  }
  if (state.projects) {
    const lines = list(state.projects, 50, (p) => {
      const env = p.environment ? ` (${escapeHtml(oneLine(p.environment, 50))})` : "";
      return `  - ${inlineCode(p.name)}${env}: ${escapeHtml(oneLine(p.result ?? "not planned yet", 100))}\n`;
    });
    parts.push(state.projects.length === 0 ? "- Projects: none affected\n" : `- Projects:\n${lines}`);
  }
  if (state.approvals && state.approvals.length > 0) {
    const lines = list(state.approvals, 20, (a) => {
      const by = a.approvedBy.length > 0 ? ` by ${a.approvedBy.map((u) => inlineCode(u)).join(", ")}` : "";
      return `  - ${escapeHtml(oneLine(a.environment, 50))}: ${a.approvedBy.length}/${a.required}${by}\n`;
    });
    parts.push(`- Approvals:\n${lines}`);
  }
  if (state.locks && state.locks.length > 0) {
    parts.push(`- Locks:\n${list(state.locks, 20, (l) => `  - ${inlineCode(l.project)}: held by #${l.heldByPr}\n`)}`);
  }
  return parts.length > 0 ? `\n### This pull request\n\n${parts.join("")}` : "";
}

/** The /help reply: one line per command, then this PR's state when known. */
export function renderHelp(state?: HelpState): string {
  // A pipe inside a table cell splits it, even inside a code span; GFM wants it escaped.
  const rows = COMMAND_SPECS.map((s) => `| ${tableCell(`\`${s.usage}\``)} | ${tableCell(s.summary)} |\n`).join("");
  const body =
    "### Slipway commands\n\n| command | effect |\n| --- | --- |\n" +
    rows +
    "\nOne command per line, at the start of a line. Commands need write permission on the repository.\n" +
    (state ? stateSection(state) : "");
  return fit(body);
}
