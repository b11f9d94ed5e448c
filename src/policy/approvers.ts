// Who may approve an environment, and the stricter of two configs' gates. Pure.
import type { EnvironmentConfig } from "../repo-config/schema.ts";

/**
 * An environment's gates as the approval policy reads them. `alsoApprovers` only appears when
 * two configs are combined (see `stricterEnvironment`): a user must then qualify under
 * `approvers` and under each of these lists too. A plain EnvironmentConfig is a gate.
 */
export type EnvironmentGate = EnvironmentConfig & { alsoApprovers?: string[][] };

/** What GitHub tells us about a user's teams: login → ["@org/team", ...]. */
export type UserTeams = Record<string, string[]>;

const DEFAULTS: EnvironmentGate = { approvals: 0, approvers: [], allow_author: false, manual: false };

// GitHub logins, org names and team slugs are all case-insensitive.
const fold = (s: string) => s.toLowerCase();
const teamId = (s: string) => fold(s.startsWith("@") ? s.slice(1) : s);

export function sameUser(a: string, b: string): boolean {
  return fold(a) === fold(b);
}

/** The teams of `user`, found case-insensitively, as comparable ids ("org/team"). */
function teamsOf(user: string, userTeams: UserTeams): Set<string> {
  const teams = new Set<string>();
  for (const [login, list] of Object.entries(userTeams)) {
    if (sameUser(login, user)) for (const t of list) teams.add(teamId(t));
  }
  return teams;
}

/** An empty list means anyone with write access (the caller only records approvals from them). */
function qualifiesUnder(user: string, list: string[], teams: Set<string>): boolean {
  if (list.length === 0) return true;
  return list.some((entry) => (entry.startsWith("@") ? teams.has(teamId(entry)) : sameUser(entry, user)));
}

export function isApprover(user: string, gate: EnvironmentGate, userTeams: UserTeams): boolean {
  const teams = teamsOf(user, userTeams);
  return [gate.approvers, ...(gate.alsoApprovers ?? [])].every((list) => qualifiesUnder(user, list, teams));
}

/**
 * SPEC §7: "A PR that changes `.slipway.yml` is gated by the stricter of the two" — the base
 * branch's gates can never be loosened by the head, and a head that tightens them is held to
 * its own tighter gates. An absent environment has every default (anyone, 0 approvals).
 *
 * - approvals: the larger count; manual: if either says so; allow_author: only if both allow it.
 * - approvers: a user must be an approver under both configs. An empty list means "anyone", so
 *   the other list alone applies. When both name approvers, a plain string intersection would
 *   be wrong twice: ["alice"] and ["@acme/sre"] share no string although alice may be in sre,
 *   and an empty intersection would read as "anyone" — looser than either. So both lists are
 *   kept (`approvers` from the base, the head's in `alsoApprovers`) and membership is checked
 *   against each when approvals are evaluated. When one list's entries are all in the other,
 *   qualifying under the smaller one implies the larger, and the smaller alone is kept.
 */
export function stricterEnvironment(base: EnvironmentGate | undefined, head: EnvironmentGate | undefined): EnvironmentGate {
  const b = base ?? DEFAULTS;
  const h = head ?? DEFAULTS;
  const lists = dropImplied([b.approvers, ...(b.alsoApprovers ?? []), h.approvers, ...(h.alsoApprovers ?? [])]);
  const gate: EnvironmentGate = {
    approvals: Math.max(b.approvals, h.approvals),
    approvers: lists[0] ?? [],
    allow_author: b.allow_author && h.allow_author,
    manual: b.manual || h.manual,
  };
  if (lists.length > 1) gate.alsoApprovers = lists.slice(1);
  return gate;
}

/** Removes empty lists ("anyone") and lists implied by a subset list kept earlier or later. */
function dropImplied(lists: string[][]): string[][] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  const kept: string[][] = [];
  nonEmpty.forEach((list, i) => {
    const implied = nonEmpty.some((other, j) => j !== i && isSubset(other, list) && (!isSubset(list, other) || j < i));
    if (!implied) kept.push(list);
  });
  return kept;
}

/** Every entry of `small` appears in `big` (case-insensitively): qualifying under small implies big. */
function isSubset(small: string[], big: string[]): boolean {
  const entries = new Set(big.map((e) => (e.startsWith("@") ? `@${teamId(e)}` : fold(e))));
  return small.every((e) => entries.has(e.startsWith("@") ? `@${teamId(e)}` : fold(e)));
}
