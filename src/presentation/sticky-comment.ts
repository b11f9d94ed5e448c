// Writes the one sticky comment of a pull request: edited in place, never one per push.
// Its id lives in Redis (no API call to find it); a deleted comment is simply created again.
import type { RepoGitHub } from "../github/port.ts";
import type { StickyCommentStore } from "../state/sticky-comment-store.ts";

export async function writeStickyComment(gh: RepoGitHub, store: StickyCommentStore, pull: { key: string; number: number }, body: string): Promise<number> {
  return store.exclusive(pull.key, async () => {
    const known = await store.get(pull.key);
    if (known !== null && (await gh.updateComment(known, body))) return known;
    const id = await gh.createComment(pull.number, body);
    await store.set(pull.key, id);
    return id;
  });
}
