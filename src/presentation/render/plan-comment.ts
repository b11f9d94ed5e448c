// The sticky PR comment: header, table of projects, each project's output collapsed, notes.
// The whole body must fit GitHub's comment limit however much the tools printed, and must stay
// well-formed: the table and every section are laid out first, then the room left is shared
// between the outputs.

import type { ProjectRunResult } from "../../domain/types.ts";
import { ISSUE_COMMENT_BODY_MAX, cutAtCharBoundary } from "./github-limits.ts";
import { escapeHtml, inlineCode, oneLine, tableCell } from "./markdown.ts";
import { fitOutputBlock, prepareOutput } from "./output-block.ts";
import { renderResourceList } from "./resource-list.ts";
import { formatCounts, statusIcon, statusLabel, type Phase, type RunStatus } from "./run-status.ts";
import { shareFairly } from "./share-fairly.ts";

/** Hidden first line by which the comment writer finds this PR's sticky comment again. */
export const STICKY_MARKER = "<!-- slipway:sticky -->";

export interface PlanCommentInput {
  pr: number;
  headSha: string;
  results: ProjectRunResult[];
  /** Lines shown at the end, e.g. "Comment `/plan` to re-plan". Markdown, written by Slipway. */
  notes?: string[];
  phase?: Phase;
}

// Bounds that keep the laid-out skeleton far below the limit, so outputs always get room.
const MAX_TABLE_ROWS = 100;
const MAX_NOTE_CHARS = 500;
const MAX_NOTES_CHARS = 2_000;
const MAX_REASON_CHARS = 1_000;
// Few per project: the comment is shared by every project; the check run lists more.
const RESOURCES_SHOWN = 15;

const TALLY: [RunStatus, string][] = [
  ["changes", "with changes"],
  ["no_changes", "without changes"],
  ["error", "failed"],
  ["timed_out", "timed out"],
  ["locked", "locked"],
  ["superseded", "superseded"],
];

function header(input: PlanCommentInput, phase: Phase): string {
  const sha = input.headSha.slice(0, 7);
  const n = input.results.length;
  const tally = TALLY.map(([status, words]) => [input.results.filter((r) => r.status === status).length, words] as const)
    .filter(([count]) => count > 0)
    .map(([count, words]) => `${count} ${words}`)
    .join(", ");
  const projects = n === 1 ? "1 project" : `${n} projects`;
  return `${STICKY_MARKER}\n## Slipway ${phase} for ${inlineCode(sha)}\n\nPull request #${input.pr} · ${projects}${tally ? `: ${tally}` : ""}\n\n`;
}

function tableRow(r: ProjectRunResult): string {
  const cells = [
    inlineCode(oneLine(r.project, 100)),
    inlineCode(oneLine(r.dir, 100)),
    r.environment ? escapeHtml(oneLine(r.environment, 50)) : "—",
    `${statusIcon(r.status)} ${escapeHtml(statusLabel(r))}`,
    r.counts ? `\`${formatCounts(r.counts)}\`` : "",
  ];
  return `| ${cells.map(tableCell).join(" | ")} |\n`;
}

function table(results: ProjectRunResult[]): string {
  if (results.length === 0) return "_No project is affected by this pull request._\n\n";
  const rows = results.slice(0, MAX_TABLE_ROWS).map(tableRow).join("");
  const more = results.length - MAX_TABLE_ROWS;
  const moreRow = more > 0 ? `| … and ${more} more | | | | |\n` : "";
  return `| Project | Dir | Environment | Result | Changes |\n| --- | --- | --- | --- | --- |\n${rows}${moreRow}\n`;
}

function sectionHead(r: ProjectRunResult): string {
  const counts = r.counts ? ` (${formatCounts(r.counts)})` : "";
  const label = statusLabel(r);
  const summary = `${statusIcon(r.status)} ${escapeHtml(oneLine(r.project, 100))} — ${escapeHtml(label)}${counts}`;
  // A lock's reason is already the label ("locked by #17"); do not say it twice.
  const plain = r.status === "changes" || r.status === "no_changes" || oneLine(r.reason ?? "", 80) === label;
  const reason = r.reason && !plain ? `**Reason:** ${escapeHtml(oneLine(r.reason, MAX_REASON_CHARS))}\n\n` : "";
  return `<details><summary>${summary}</summary>\n\n${reason}${renderResourceList(r, RESOURCES_SHOWN)}`;
}

const SECTION_TAIL = "\n</details>\n\n";

function notesPart(notes: string[] | undefined): string {
  if (!notes || notes.length === 0) return "";
  const joined = notes
    .map((n) => oneLine(n, MAX_NOTE_CHARS))
    .filter((n) => n !== "")
    .join("\n\n");
  return joined === "" ? "" : `${cutAtCharBoundary(joined, MAX_NOTES_CHARS)}\n`;
}

export function renderPlanComment(input: PlanCommentInput): string {
  const phase = input.phase ?? "plan";
  const results = input.results;
  const top = header(input, phase) + table(results);
  const bottom = notesPart(input.notes);
  const heads = results.map(sectionHead);

  // Sections for as many projects as their (bounded) heads allow; normally all of them.
  let fixed = top.length + bottom.length;
  let shown = 0;
  const omittedLine = (k: number) => (k > 0 ? `_${k} more project${k === 1 ? "" : "s"} not shown here; see the \`slipway/${phase}\` check runs._\n\n` : "");
  const reserve = omittedLine(results.length).length;
  for (const head of heads) {
    const cost = head.length + SECTION_TAIL.length;
    if (fixed + cost + reserve > ISSUE_COMMENT_BODY_MAX) break;
    fixed += cost;
    shown++;
  }
  const omitted = omittedLine(results.length - shown);
  fixed += omitted.length;

  const prepared = results.slice(0, shown).map((r) => prepareOutput(r));
  const budgets = shareFairly(
    prepared.map((p) => p.fullBlock.length),
    ISSUE_COMMENT_BODY_MAX - fixed,
  );
  const sections = prepared.map((p, i) => {
    const r = results[i]!;
    const elsewhere = results.length > 1 ? `The ${inlineCode(`slipway/${phase}: ${r.project}`)} check run shows more.` : undefined;
    return heads[i]! + fitOutputBlock(p, budgets[i]!, elsewhere) + SECTION_TAIL;
  });
  return top + sections.join("") + omitted + bottom;
}
