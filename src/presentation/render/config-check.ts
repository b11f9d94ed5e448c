// What users read about `.slipway.yml` itself: the failing `slipway/config` check, the comment on
// a repository without the file, and the notes on PRs Slipway deliberately does not plan.

import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TEXT_MAX, CHECK_RUN_TITLE_MAX, cutAtLineBoundary } from "./github-limits.ts";
import { escapeHtml, inlineCode, oneLine } from "./markdown.ts";
import { STICKY_MARKER } from "./plan-comment.ts";
import type { ConfigError } from "../../repo-config/parse-repo-config.ts";

export interface RenderedConfigCheck {
  name: "slipway/config";
  conclusion: "failure";
  title: string;
  summary: string;
  text: string;
}

const SUMMARY_ERRORS = 20;

function location(e: ConfigError): string {
  return `${oneLine(e.file, 200)}:${e.line}:${e.column}`;
}

// Messages quote the user's keys and values: escaped so a key like `<img>` stays text.
function errorBlock(e: ConfigError): string {
  const at = e.path ? ` (at ${inlineCode(oneLine(e.path, 200))})` : "";
  const hint = e.hint ? `\n  - Fix: ${escapeHtml(oneLine(e.hint, 1_000))}` : "";
  return `- ${inlineCode(location(e))} — ${escapeHtml(oneLine(e.message, 1_000))}${at}${hint}\n`;
}

export function renderConfigCheck(errors: ConfigError[]): RenderedConfigCheck {
  const n = errors.length;
  const first = errors[0];
  const title = first ? `${n === 1 ? "1 error" : `${n} errors; first`}: ${location(first)} — ${first.message}` : "Invalid configuration";
  const shown = errors.slice(0, SUMMARY_ERRORS).map(errorBlock).join("");
  const rest = n > SUMMARY_ERRORS ? `\n_${n - SUMMARY_ERRORS} more in the details below._\n` : "";
  const summary =
    `Slipway did not plan this commit: its configuration is invalid. ` +
    `Unknown keys are errors too, so that a typo cannot silently disable a gate.\n\n${shown}${rest}`;
  const all = errors.map(errorBlock).join("");
  const text = `### Errors (${n})\n\n${all}`;
  return {
    name: "slipway/config",
    conclusion: "failure",
    title: oneLine(title, CHECK_RUN_TITLE_MAX),
    summary: cutAtLineBoundary(summary, CHECK_RUN_SUMMARY_MAX, "\n_More errors were cut._\n").text,
    text: cutAtLineBoundary(text, CHECK_RUN_TEXT_MAX, "\n_More errors were cut._\n").text,
  };
}

/** The smallest useful `.slipway.yml`, offered wherever a repository has none. */
export const MINIMAL_CONFIG = [
  "version: 1",
  "projects:",
  "  - name: network-staging",
  "    dir: envs/staging/network",
  "    workflow: terraform",
  "    environment: staging",
].join("\n");

/** Sticky comment for a repository where Slipway is installed but `.slipway.yml` is missing. */
export function renderNoConfigComment(): string {
  return (
    `${STICKY_MARKER}\n## Slipway: no configuration\n\n` +
    "This repository has no `.slipway.yml` on the pull request's base branch, so Slipway does not plan it. " +
    "Add one at the root of the default branch; a minimal example:\n\n" +
    "```yaml\n" +
    MINIMAL_CONFIG +
    "\n```\n\n" +
    "Each project is a directory Slipway plans when files under it change. Comment `/help` for the commands.\n"
  );
}

export type SkipReason = "draft" | "fork";

/** One line saying why Slipway did not plan the PR automatically. */
export function skippedNote(reason: SkipReason): string {
  return reason === "draft"
    ? "Draft PR: not planned automatically; comment `/plan` or mark it ready for review."
    : "PR from a fork: not planned because `allow_forks` is false in `.slipway.yml` on the base branch.";
}

/** Sticky comment for a PR Slipway skipped (draft, or fork with `allow_forks: false`). */
export function renderSkippedComment(reason: SkipReason): string {
  return `${STICKY_MARKER}\n## Slipway: not planned\n\n${skippedNote(reason)}\n`;
}
