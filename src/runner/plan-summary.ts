// What a plan's text says: resource counts and a digest stable across runs of the same change.
// Pure. Both work line by line, so the runner can feed them every line of an output too big to keep.
import { createHash } from "node:crypto";
import type { ChangeCounts } from "../domain/types.ts";

const TF_PLAN = /^\s*Plan:\s(.*\d+ to (?:add|change|destroy).*)$/;
const TF_NO_CHANGES = /^\s*No changes\.(?:\s|$)/;
const TF_APPLIED = /^\s*(?:Apply|Destroy) complete! Resources:\s(.*)$/;
const ANSIBLE_RECAP = /^PLAY RECAP\b/;
const ANSIBLE_HOST = /^\S.*?:\s+ok=\d+\s+changed=(\d+)\b/;
const ANSIBLE_HOST_STATS = /^\S.*?:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\b/;

function count(text: string, word: string): number {
  const m = new RegExp(`(\\d+) ${word}\\b`).exec(text);
  return m ? Number(m[1]) : 0;
}

/** Feeds lines one by one; `counts` is what the last summary seen says. */
export class ChangeCountScanner {
  counts: ChangeCounts | undefined;
  private inRecap = false;

  add(line: string): void {
    let m = TF_PLAN.exec(line);
    if (m) {
      this.set({ add: count(m[1]!, "to add"), change: count(m[1]!, "to change"), destroy: count(m[1]!, "to destroy") });
      return;
    }
    if (TF_NO_CHANGES.test(line)) {
      this.set({ add: 0, change: 0, destroy: 0 });
      return;
    }
    m = TF_APPLIED.exec(line);
    if (m) {
      this.set({ add: count(m[1]!, "added"), change: count(m[1]!, "changed"), destroy: count(m[1]!, "destroyed") });
      return;
    }
    if (ANSIBLE_RECAP.test(line)) {
      // Ansible only knows "changed": its tasks are not creations or deletions of resources.
      this.set({ add: 0, change: 0, destroy: 0 });
      this.inRecap = true;
      return;
    }
    if (this.inRecap) {
      m = ANSIBLE_HOST.exec(line);
      if (m && this.counts) this.counts.change += Number(m[1]);
      else if (line.trim() !== "") this.inRecap = false;
    }
  }

  private set(counts: ChangeCounts): void {
    this.counts = counts;
    this.inRecap = false;
  }
}

/**
 * What ansible-playbook's PLAY RECAP says, summed over its hosts. `seen` is false when there was
 * no recap at all (the default stdout callback always prints one), and `hosts` 0 when no play
 * matched any host: both mean the run said nothing about the world, which is not "no changes".
 */
export class AnsibleRecapScanner {
  seen = false;
  hosts = 0;
  changed = 0;
  unreachable = 0;
  failed = 0;
  private inRecap = false;

  add(line: string): void {
    if (ANSIBLE_RECAP.test(line)) {
      this.seen = true;
      this.inRecap = true;
      return;
    }
    if (!this.inRecap) return;
    const m = ANSIBLE_HOST_STATS.exec(line);
    if (m) {
      this.hosts++;
      this.changed += Number(m[1]);
      this.unreachable += Number(m[2]);
      this.failed += Number(m[3]);
    } else if (line.trim() !== "") {
      this.inRecap = false;
    }
  }
}

/** Lines that differ between two runs of the same plan without saying anything about the change. */
const NOISE_LINES = [
  /Refreshing state\.\.\./,
  /: Reading\.\.\.$/,
  /: Read complete after\b/,
  /: Still [a-z]+\.\.\. \[/,
  /^Acquiring state lock\b/,
  /^Releasing state lock\b/,
  // Ansible's profile_tasks / profile_roles / timer callbacks, which a repository's ansible.cfg
  // may enable (as printed by ansible.posix with ansible-core 2.14): a dated start line per task,
  // the tasks sorted by duration, the run's length.
  /^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4} +\d{1,2}:\d{2}:\d{2} [+-]\d{4} \(\d+:\d{2}:\d{2}\.\d+\) +\d+:\d{2}:\d{2}\.\d+ \*+$/,
  /^\S.* -+ \d+\.\d{2}s$/,
  /^Playbook run took \d+ days, \d+ hours, \d+ minutes, \d+ seconds$/,
];

const REPLACEMENTS: Array<[RegExp, string]> = [
  // Ansible's --diff names a rendered template or `content:` by its controller temp file,
  // ~/.ansible/tmp/ansible-local-<pid><random>/tmp<random>, new on every run (seen with
  // ansible-core 2.14); its remote temp dirs are ansible-tmp-<time>-<pid>-<random>.
  [/[^\s"'`]*\/ansible-local-[^/\s"'`]+(?:\/tmp[^/\s"'`]*)?/g, "<ansible-tmp>"],
  [/\bansible-tmp-[\d.]+-\d+-\d+/g, "ansible-tmp-<id>"],
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, "<time>"],
  [/\[(?:id=[^\]]*, )?[\dhms.]+ elapsed\]/g, "[elapsed]"],
  [/\bafter (?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?m?s\b/g, "after <duration>"],
  [/(?:\/private)?\/(?:tmp|var\/folders|var\/tmp)\/[^\s"'`]*/g, "<tmp>"],
];

export interface DigestOptions {
  /** Run-specific paths (workspace, plan file) replaced before hashing. */
  paths?: string[];
}

/** sha256 (hex) of a plan's lines, normalised so two plans of the same change compare equal. Fed line by line. */
export class PlanDigest {
  private readonly hash = createHash("sha256");
  private readonly paths: string[];

  constructor(opts: DigestOptions = {}) {
    // Longest first, so a plan file inside the workspace is not half-replaced by the workspace path.
    this.paths = (opts.paths ?? []).filter((p) => p.length > 1).sort((a, b) => b.length - a.length);
  }

  add(line: string): void {
    const normal = normaliseLine(line, this.paths);
    if (normal !== undefined) this.hash.update(normal + "\n");
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

function normaliseLine(line: string, paths: readonly string[] = []): string | undefined {
  let out = line.replace(/\s+$/, "");
  if (out === "" || NOISE_LINES.some((re) => re.test(out))) return undefined;
  for (const p of paths) out = out.split(p).join("<path>");
  for (const [re, by] of REPLACEMENTS) out = out.replace(re, by);
  return out;
}
