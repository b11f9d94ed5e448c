// Reads a fixture folder (test/fixtures/<name> or an absolute path) into commit-ready files,
// keeping the executable bit (and treating *.sh as executable, as the fixtures' scripts are).
import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { FileChange } from "../github-simulator/git.ts";

export const FIXTURES_DIR = fileURLToPath(new URL("../../fixtures/", import.meta.url));

export async function readFixture(nameOrPath: string): Promise<Record<string, FileChange>> {
  const root = isAbsolute(nameOrPath) ? nameOrPath : join(FIXTURES_DIR, nameOrPath);
  const files: Record<string, FileChange> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git") await walk(full);
      } else if (entry.isFile()) {
        const mode = (await stat(full)).mode;
        const path = relative(root, full).split("\\").join("/");
        files[path] = { content: await readFile(full), executable: (mode & 0o111) !== 0 || path.endsWith(".sh") };
      }
    }
  };
  await walk(root);
  if (Object.keys(files).length === 0) throw new Error(`fixture ${root} has no files`);
  return files;
}
