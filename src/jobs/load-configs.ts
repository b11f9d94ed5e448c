// Reads `.slipway.yml` from the pull request's head (what to plan) and from its base (the gates).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PullFacts } from "../domain/intent.ts";
import { parseRepoConfig, type ConfigError } from "../repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import type { Workspaces } from "../workspace/workspaces.ts";

export const CONFIG_FILE = ".slipway.yml";

export type LoadedConfig = { kind: "missing" } | { kind: "invalid"; errors: ConfigError[] } | { kind: "valid"; config: RepoConfig };

export interface Configs {
  head: LoadedConfig;
  base: LoadedConfig;
}

/** Head config as read already (`headText`), from a checked-out worktree (`worktreePath`) or, without either, from the mirror. */
export async function loadConfigs(
  workspaces: Workspaces,
  req: { pull: PullFacts; token: string; worktreePath?: string; headText?: string | null },
): Promise<Configs> {
  const headText =
    req.headText !== undefined
      ? req.headText
      : req.worktreePath
        ? await readConfigText(req.worktreePath)
        : await workspaces.readFileAt({ owner: req.pull.repo.owner, repo: req.pull.repo.name, token: req.token, rev: req.pull.headSha, path: CONFIG_FILE });
  const baseText = await workspaces.readFileAt({
    owner: req.pull.repo.owner,
    repo: req.pull.repo.name,
    token: req.token,
    rev: req.pull.baseSha,
    path: CONFIG_FILE,
  });
  return { head: interpret(headText), base: interpret(baseText) };
}

function interpret(text: string | null): LoadedConfig {
  if (text === null) return { kind: "missing" };
  const parsed = parseRepoConfig(text, CONFIG_FILE);
  return parsed.ok ? { kind: "valid", config: parsed.config } : { kind: "invalid", errors: parsed.errors };
}

/** `.slipway.yml` of a checked-out worktree, or null when it has none. */
export function readConfigText(worktreePath: string): Promise<string | null> {
  return readOptional(path.join(worktreePath, CONFIG_FILE));
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export function validConfig(loaded: LoadedConfig): RepoConfig | undefined {
  return loaded.kind === "valid" ? loaded.config : undefined;
}
