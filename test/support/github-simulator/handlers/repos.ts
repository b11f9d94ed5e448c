// Repository, git refs, commits, branches, contents and compare — all read from the bare repo.
import { failure, notFound, ok, paginate, validationFailed, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { commitsBetween, deleteRef, isAncestor, listRefs, mergeBase, resolveCommit, updateRef } from "../git.ts";
import { diffFiles, readCommit, readPath, type DiffFile, type TreeEntry } from "../git-read.ts";
import { applyPush, ZERO_SHA } from "../ops-repos.ts";
import { serializeRepo } from "../serialize-core.ts";
import { serializeCommit } from "../serialize-pulls.ts";
import { nodeId, type RepoState } from "../state.ts";

export function fileEntry(f: DiffFile, repo: RepoState, sha: string, core: SimCore): Record<string, unknown> {
  const path = encodeURI(f.filename);
  return {
    sha: f.sha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.changes,
    blob_url: `${core.urls.base}/${repo.fullName}/blob/${sha}/${path}`,
    raw_url: `${core.urls.base}/${repo.fullName}/raw/${sha}/${path}`,
    contents_url: `${core.urls.api}/repos/${repo.fullName}/contents/${path}?ref=${sha}`,
    ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
  };
}

function refBody(repo: RepoState, ref: string, sha: string, core: SimCore): Record<string, unknown> {
  return {
    ref,
    node_id: nodeId("Ref", parseInt(sha.slice(0, 8), 16)),
    url: `${core.urls.api}/repos/${repo.fullName}/git/${ref}`,
    object: { type: "commit", sha, url: `${core.urls.api}/repos/${repo.fullName}/git/commits/${sha}` },
  };
}

async function commitWithFiles(repo: RepoState, sha: string, core: SimCore): Promise<Record<string, unknown> | undefined> {
  const c = await readCommit(repo.gitDir, sha);
  if (!c) return undefined;
  const files = c.parents[0] ? await diffFiles(repo.gitDir, c.parents[0], sha) : [];
  const additions = files.reduce((n, f) => n + f.additions, 0);
  const deletions = files.reduce((n, f) => n + f.deletions, 0);
  return {
    ...serializeCommit(c, repo, core.urls),
    stats: { additions, deletions, total: additions + deletions },
    files: files.map((f) => fileEntry(f, repo, sha, core)),
  };
}

function contentEntry(e: TreeEntry, repo: RepoState, ref: string, core: SimCore): Record<string, unknown> {
  const type = e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : e.mode === "120000" ? "symlink" : "file";
  const url = `${core.urls.api}/repos/${repo.fullName}/contents/${encodeURI(e.path)}?ref=${encodeURIComponent(ref)}`;
  const html = `${core.urls.base}/${repo.fullName}/${type === "dir" ? "tree" : "blob"}/${ref}/${encodeURI(e.path)}`;
  const gitUrl = `${core.urls.api}/repos/${repo.fullName}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`;
  return {
    type,
    size: e.size,
    name: e.path.split("/").pop(),
    path: e.path,
    sha: e.sha,
    url,
    git_url: gitUrl,
    html_url: html,
    download_url: type === "file" ? `${core.urls.base}/${repo.fullName}/raw/${ref}/${encodeURI(e.path)}` : null,
    _links: { self: url, git: gitUrl, html },
  };
}

async function pushRefChange(core: SimCore, req: ApiRequest, ref: string, before: string, after: string): Promise<void> {
  const events = await applyPush(core, req.repo, [{ ref, before, after }], req.actor);
  if (core.echoAppEvents) core.echo(events);
}

export const repoRoutes: Routes = {
  "repos/get": {
    auth: "repo",
    handle: (req, core) => ok(serializeRepo(req.repo, core.urls, { admin: false, maintain: false, push: true, triage: true, pull: true })),
  },
  "git/get-ref": {
    auth: "repo",
    handle: async (req, core) => {
      const ref = `refs/${req.params.ref}`;
      const sha = (await listRefs(req.repo.gitDir, ref)).get(ref);
      return sha ? ok(refBody(req.repo, ref, sha, core)) : notFound();
    },
  },
  "git/list-matching-refs": {
    auth: "repo",
    handle: async (req, core) => {
      const prefix = `refs/${req.params.ref}`;
      const refs = [...(await listRefs(req.repo.gitDir, "refs/")).entries()].filter(([r]) => r.startsWith(prefix));
      return ok(refs.map(([r, sha]) => refBody(req.repo, r, sha, core)));
    },
  },
  "git/create-ref": {
    auth: "repo",
    handle: async (req, core) =>
      core.withRepoLock(req.repo.fullName, async () => {
        const ref = String(req.body.ref);
        if (!/^refs\/[^/]+\/.+/.test(ref) || ref.startsWith("refs/pull/")) return validationFailed("Reference name is invalid");
        if ((await listRefs(req.repo.gitDir, ref)).has(ref)) return validationFailed("Reference already exists");
        const sha = await resolveCommit(req.repo.gitDir, String(req.body.sha));
        if (!sha || sha !== req.body.sha) return validationFailed("Object does not exist");
        await updateRef(req.repo.gitDir, ref, sha, ZERO_SHA);
        await pushRefChange(core, req, ref, ZERO_SHA, sha);
        return ok(refBody(req.repo, ref, sha, core), 201);
      }),
  },
  "git/update-ref": {
    auth: "repo",
    handle: async (req, core) =>
      core.withRepoLock(req.repo.fullName, async () => {
        const ref = `refs/${req.params.ref}`;
        const before = (await listRefs(req.repo.gitDir, ref)).get(ref);
        if (!before) return validationFailed("Reference does not exist");
        const sha = await resolveCommit(req.repo.gitDir, String(req.body.sha));
        if (!sha) return validationFailed("Object does not exist");
        if (!req.body.force && !(await isAncestor(req.repo.gitDir, before, sha))) return validationFailed("Update is not a fast forward");
        await updateRef(req.repo.gitDir, ref, sha, before);
        await pushRefChange(core, req, ref, before, sha);
        return ok(refBody(req.repo, ref, sha, core));
      }),
  },
  "git/delete-ref": {
    auth: "repo",
    handle: async (req, core) =>
      core.withRepoLock(req.repo.fullName, async () => {
        const ref = `refs/${req.params.ref}`;
        const before = (await listRefs(req.repo.gitDir, ref)).get(ref);
        if (!before) return validationFailed("Reference does not exist");
        await deleteRef(req.repo.gitDir, ref);
        await pushRefChange(core, req, ref, before, ZERO_SHA);
        return { status: 204 };
      }),
  },
  "repos/get-commit": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = await resolveCommit(req.repo.gitDir, req.params.ref ?? "");
      const body = sha && (await commitWithFiles(req.repo, sha, core));
      return body ? ok(body) : validationFailed(`No commit found for SHA: ${req.params.ref}`);
    },
  },
  "git/get-commit": {
    auth: "repo",
    handle: async (req, core) => {
      const c = await readCommit(req.repo.gitDir, req.params.commit_sha ?? "");
      if (!c) return notFound();
      const s = serializeCommit(c, req.repo, core.urls);
      return ok({ sha: c.sha, node_id: s.node_id, html_url: s.html_url, parents: s.parents, ...(s.commit as Record<string, unknown>) });
    },
  },
  "repos/get-branch": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = (await listRefs(req.repo.gitDir, `refs/heads/${req.params.branch}`)).get(`refs/heads/${req.params.branch}`);
      const c = sha && (await readCommit(req.repo.gitDir, sha));
      if (!c) return failure(404, "Branch not found");
      const html = `${core.urls.base}/${req.repo.fullName}/tree/${req.params.branch}`;
      return ok({
        name: req.params.branch,
        commit: serializeCommit(c, req.repo, core.urls),
        _links: { self: `${core.urls.api}/repos/${req.repo.fullName}/branches/${req.params.branch}`, html },
        protected: req.params.branch === req.repo.defaultBranch && req.repo.requiredChecks.length > 0,
        protection: {
          enabled: req.repo.requiredChecks.length > 0,
          required_status_checks: {
            enforcement_level: "non_admins",
            contexts: req.repo.requiredChecks,
            checks: req.repo.requiredChecks.map((context) => ({ context, app_id: null })),
          },
        },
        protection_url: `${core.urls.api}/repos/${req.repo.fullName}/branches/${req.params.branch}/protection`,
      });
    },
  },
  "repos/get-content": {
    auth: "repo",
    handle: async (req, core) => {
      const ref = req.query.get("ref") ?? req.repo.defaultBranch;
      const sha = await resolveCommit(req.repo.gitDir, ref);
      if (!sha) return failure(404, `No commit found for the ref ${ref}`);
      const found = await readPath(req.repo.gitDir, sha, req.params.path ?? "");
      if (found.kind === "missing") return notFound();
      if (found.kind === "dir") return ok(found.entries.map((e) => contentEntry(e, req.repo, ref, core)));
      const accept = String(req.headers.accept ?? "");
      if (accept.includes("application/vnd.github.raw") || accept.includes("application/vnd.github.v3.raw")) {
        return { status: 200, body: found.content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
      }
      // Above 1 MB GitHub leaves `content` empty with encoding "none".
      const big = found.content.length > 1024 * 1024;
      const b64 = big ? "" : (found.content.toString("base64").match(/.{1,60}/g) ?? []).join("\n") + (found.content.length ? "\n" : "");
      return ok({ ...contentEntry(found.entry, req.repo, ref, core), encoding: big ? "none" : "base64", content: b64 });
    },
  },
  "repos/compare-commits-with-basehead": {
    auth: "repo",
    handle: async (req, core) => {
      const [baseRev, headRev] = (req.params.basehead ?? "").split("...");
      if (!baseRev || !headRev) return notFound();
      const dir = req.repo.gitDir;
      const base = await resolveCommit(dir, baseRev);
      const head = await resolveCommit(dir, headRev);
      if (!base || !head) return notFound();
      const mb = (await mergeBase(dir, base, head)) ?? base;
      const ahead = await commitsBetween(dir, base, head);
      const behind = await commitsBetween(dir, head, base);
      const status = base === head ? "identical" : behind.length === 0 ? "ahead" : ahead.length === 0 ? "behind" : "diverged";
      const commits = [];
      for (const sha of ahead.slice(0, 250)) {
        const c = await readCommit(dir, sha);
        if (c) commits.push(serializeCommit(c, req.repo, core.urls));
      }
      const files = (await diffFiles(dir, base, head)).map((f) => fileEntry(f, req.repo, head, core));
      const baseC = await readCommit(dir, base);
      const mbC = await readCommit(dir, mb);
      const html = `${core.urls.base}/${req.repo.fullName}/compare/${req.params.basehead}`;
      return ok({
        url: `${core.urls.api}/repos/${req.repo.fullName}/compare/${req.params.basehead}`,
        html_url: html,
        permalink_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: baseC && serializeCommit(baseC, req.repo, core.urls),
        merge_base_commit: mbC && serializeCommit(mbC, req.repo, core.urls),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits,
        files,
      });
    },
  },
  "repos/list-branches": {
    auth: "repo",
    handle: async (req, core) => {
      const refs = [...(await listRefs(req.repo.gitDir, "refs/heads/")).entries()];
      const list = refs.map(([r, sha]) => ({
        name: r.slice("refs/heads/".length),
        commit: { sha, url: `${core.urls.api}/repos/${req.repo.fullName}/commits/${sha}` },
        protected: false,
      }));
      const { page, headers } = paginate(list, req, core);
      return ok(page, 200, headers);
    },
  },
};
