// A project's output as a fenced code block that fits a given budget. Shared by the sticky
// comment (many projects share 65,536) and the check run text (one project, 65,535).

import { cutAtLineBoundary } from "./github-limits.ts";
import { fenceFor, formatBytes, inlineCode } from "./markdown.ts";

export interface OutputSource {
  output: string;
  /** True when the runner already shortened `output`. */
  truncated: boolean;
  fullLogPath?: string;
  /** The console page with the whole log; preferred to the worker's path when there is one. */
  fullLogUrl?: string;
}

export interface PreparedOutput {
  /** Sanitised output, ending with a newline (or empty). */
  text: string;
  fence: string;
  /** The block with the whole of `text`; used when it fits. */
  fullBlock: string;
  totalBytes: number;
  source: OutputSource;
}

const EMPTY_BLOCK = "_No output._\n";

// NUL and other C0 controls make GitHub reject or mangle a body; CR-only progress lines would
// otherwise overwrite each other. Tabs and newlines stay.
function sanitize(output: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  const text = output.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "");
  return text === "" || text.endsWith("\n") ? text : text + "\n";
}

/** Where to read what was cut: the console's page of the run, else the worker's file. */
function fullLogWhere(src: OutputSource): string {
  if (src.fullLogUrl) return `[the full log](${src.fullLogUrl}) is on Slipway's console`;
  return src.fullLogPath ? `the full log is at ${inlineCode(src.fullLogPath)} on the worker` : "the full log was not kept";
}

function runnerNote(src: OutputSource): string {
  const where = fullLogWhere(src);
  return `_Output shortened by the runner; ${where}._\n`;
}

/** Prepares once (fence search and sizes are linear scans of possibly megabytes). */
export function prepareOutput(src: OutputSource): PreparedOutput {
  const text = sanitize(src.output);
  const fence = fenceFor(text);
  let fullBlock = text === "" ? EMPTY_BLOCK : `${fence}\n${text}${fence}\n`;
  if (src.truncated) fullBlock += `\n${runnerNote(src)}`;
  return { text, fence, fullBlock, totalBytes: Buffer.byteLength(src.output, "utf8"), source: src };
}

function cutNote(p: PreparedOutput, elsewhere: string | undefined): string {
  const size = `${formatBytes(p.totalBytes)}${p.source.truncated ? " kept by the runner" : " in total"}`;
  const where = fullLogWhere(p.source);
  return `_Output cut at a line boundary: ${size}; ${where}.${elsewhere ? ` ${elsewhere}` : ""}_\n`;
}

/**
 * The block for `p` in at most `budget` code units: whole when it fits, else the first lines that
 * fit followed by a note saying how big the output was and where the full log is. `elsewhere`
 * names another place showing more (e.g. the check run). Returns "" only when not even the note fits.
 */
export function fitOutputBlock(p: PreparedOutput, budget: number, elsewhere?: string): string {
  if (p.fullBlock.length <= budget) return p.fullBlock;
  const note = cutNote(p, elsewhere);
  const overhead = 2 * p.fence.length + 2 + 1 + note.length;
  const kept = cutAtLineBoundary(p.text, budget - overhead, "").text;
  if (kept === "") return note.length <= budget ? note : "";
  return `${p.fence}\n${kept}${p.fence}\n\n${note}`;
}
