// Test helper: reads rendered markdown the way GitHub's CommonMark parser sees fences, so tests
// can assert that no output broke out of its code block and every <details> is closed.

export interface Structure {
  /** A fence opened and never closed: everything after it would render as code. */
  unclosedFence: boolean;
  detailsOpen: number;
  detailsClose: number;
  /** Lines outside any fenced code block. */
  outside: string[];
  /** Contents of each fenced block, in order. */
  blocks: string[];
}

export function readStructure(markdown: string): Structure {
  const s: Structure = { unclosedFence: false, detailsOpen: 0, detailsClose: 0, outside: [], blocks: [] };
  let open: { ch: string; len: number } | null = null;
  let current: string[] = [];
  for (const line of markdown.split("\n")) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (open) {
      if (m && m[1]![0] === open.ch && m[1]!.length >= open.len && m[2]!.trim() === "") {
        open = null;
        s.blocks.push(current.join("\n"));
        current = [];
      } else current.push(line);
      continue;
    }
    if (m && !(m[1]![0] === "`" && m[2]!.includes("`"))) {
      open = { ch: m[1]![0]!, len: m[1]!.length };
      continue;
    }
    s.outside.push(line);
    if (line.startsWith("<details>")) s.detailsOpen++;
    if (line.startsWith("</details>")) s.detailsClose++;
  }
  s.unclosedFence = open !== null;
  return s;
}

/** True when `text` has a lone surrogate (a character cut in half). */
export function hasBrokenSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
