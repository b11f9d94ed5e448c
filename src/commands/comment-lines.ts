// Splits a comment into lines that may hold commands. Lines inside fenced code blocks are skipped:
// a command shown in a code block is an example (or a pasted log), not a request. Linear time.

export interface CommentLine {
  /** 1-based. */
  number: number;
  text: string;
}

// An opening or closing fence: up to three spaces, then ``` or ~~~ (or longer).
function fenceOf(line: string): { ch: string; len: number; rest: string } | null {
  let i = 0;
  while (i < 3 && line[i] === " ") i++;
  const ch = line[i];
  if (ch !== "`" && ch !== "~") return null;
  let j = i;
  while (line[j] === ch) j++;
  return j - i >= 3 ? { ch, len: j - i, rest: line.slice(j) } : null;
}

export function* commentLines(body: string): Generator<CommentLine> {
  let open: { ch: string; len: number } | null = null;
  let start = 0;
  let number = 0;
  while (start <= body.length) {
    let end = body.indexOf("\n", start);
    if (end < 0) end = body.length;
    number++;
    const text = body.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    const fence = fenceOf(text);
    if (open) {
      // Only a bare fence of the same kind, at least as long, closes the block.
      if (fence && fence.ch === open.ch && fence.len >= open.len && fence.rest.trim() === "") open = null;
      continue;
    }
    if (fence && !(fence.ch === "`" && fence.rest.includes("`"))) {
      open = { ch: fence.ch, len: fence.len };
      continue;
    }
    yield { number, text };
  }
}
