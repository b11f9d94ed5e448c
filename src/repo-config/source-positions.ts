// Offsets into the YAML text → 1-based line and column, and a map from a value's path
// (["projects", 0, "dir"]) to where its key and value sit in the source.

export type PathSegment = string | number;

export interface LineColumn {
  line: number;
  column: number;
}

export interface NodePosition {
  /** Offset of the mapping key naming this node, when it is a mapping value. */
  key?: number;
  /** Offset of the node itself (for an alias: of the alias). */
  value: number;
}

export function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

/** Converts offsets to line and column. YAML breaks lines on \n, \r\n and a lone \r. */
export class LineIndex {
  private readonly starts: number[];

  constructor(text: string) {
    // A byte-order mark is not a column a user can see.
    this.starts = [text.charCodeAt(0) === 0xfeff ? 1 : 0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) this.starts.push(i + 1);
    }
  }

  at(offset: number): LineColumn {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo] ?? 0;
    return { line: lo + 1, column: Math.max(0, offset - start) + 1 };
  }
}

export class PositionMap {
  private readonly byPath = new Map<string, NodePosition>();

  set(path: readonly PathSegment[], position: NodePosition): void {
    // Keep the first sighting: a later alias of the same path must not move it.
    const k = pathKey(path);
    if (!this.byPath.has(k)) this.byPath.set(k, position);
  }

  /**
   * The offset that best points at `path`: its key when `preferKey` (unknown keys), else its value.
   * A path with no recorded position (a default, a merged key, content behind an alias) falls back
   * to its nearest recorded ancestor.
   */
  offsetOf(path: readonly PathSegment[], preferKey = false): number {
    for (let n = path.length; n >= 0; n--) {
      const found = this.byPath.get(pathKey(path.slice(0, n)));
      if (found === undefined) continue;
      if (n === path.length && preferKey && found.key !== undefined) return found.key;
      return found.value;
    }
    return 0;
  }

  /** True when the exact path was written in the source (not defaulted, not behind an alias). */
  has(path: readonly PathSegment[]): boolean {
    return this.byPath.has(pathKey(path));
  }
}
