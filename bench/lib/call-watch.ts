// When did Slipway make each PR's requests? Read from the simulator's record of API calls (the
// `at` of each request, on the benchmark's own clock), scanned incrementally so that waiting on
// hundreds of PRs stays cheap for the simulator that shares this process.
//   comment: the PR's sticky comment written (created or edited) — the "final comment"
import type { GitHubSimulator } from "../../test/support/github-simulator/index.ts";

export type CallKind = "comment";

const CREATE_COMMENT = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/;
const UPDATE_COMMENT = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/;

export class CallWatch {
  private scanned: number;
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, number>();

  constructor(private readonly sim: GitHubSimulator) {
    this.scanned = sim.calls.length;
  }

  firstAt(kind: CallKind, repo: string, number: number): number | undefined {
    this.scan();
    return this.first.get(key(kind, repo, number));
  }

  lastAt(kind: CallKind, repo: string, number: number): number | undefined {
    this.scan();
    return this.last.get(key(kind, repo, number));
  }

  private scan(): void {
    const calls = this.sim.calls;
    for (; this.scanned < calls.length; this.scanned++) {
      const c = calls[this.scanned]!;
      if (c.status >= 300) continue;
      const k = this.classify(c.method, c.path);
      if (!k) continue;
      if (!this.first.has(k)) this.first.set(k, c.at);
      this.last.set(k, c.at);
    }
  }

  private classify(method: string, path: string): string | undefined {
    let m: RegExpExecArray | null;
    if (method === "POST" && (m = CREATE_COMMENT.exec(path))) return key("comment", m[1]!, Number(m[2]));
    if (method === "PATCH" && (m = UPDATE_COMMENT.exec(path))) {
      const comment = this.sim.core.state.comments.get(Number(m[2]));
      if (comment) return key("comment", comment.repo, comment.issueNumber);
    }
    return undefined;
  }
}

function key(kind: CallKind, repo: string, number: number): string {
  return `${kind} ${repo.toLowerCase()}#${number}`;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
