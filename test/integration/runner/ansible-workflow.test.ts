// The built-in ansible workflow against the real ansible-playbook, on localhost with
// `connection: local`, managing files in a temporary "world" directory. Skipped without ansible
// (.ci/run installs it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runPhase, type PhaseInput } from "../../../src/runner/run-phase.ts";
import { builtInWorkflows } from "../../../src/runner/workflows.ts";

const hasAnsible = spawnSync("ansible-playbook", ["--version"], { stdio: "ignore" }).status === 0;
const FIXTURE = path.resolve(import.meta.dirname, "../../fixtures/ansible-repo/web");

let root: string;
let count = 0;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "slipway-ansible-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the fixture's project with its own world directory; `motd` is the desired motd. */
async function project(motd: string): Promise<{ dir: string; world: string }> {
  const dir = path.join(root, `p${++count}`);
  const world = path.join(root, `world${count}`);
  await cp(FIXTURE, dir, { recursive: true });
  await writeFile(path.join(dir, "files/motd.txt"), motd);
  await mkdir(world);
  return { dir, world };
}

function run(phase: PhaseInput["phase"], cwd: string, world: string, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return runPhase({
    phase,
    steps: builtInWorkflows.ansible({ planFile: path.join(cwd, "slipway.plan") })[phase],
    cwd,
    env: { ...env, SLIPWAY_ANSIBLE_WORLD: world, ...extraEnv },
    defaultTimeoutMs: 120_000,
    redact: (l) => l,
  });
}

describe("ansible workflow", { skip: hasAnsible ? false : "ansible-playbook not installed" }, () => {
  test("plan shows the diff and changed=N, apply makes the world match, replan has no changes", async () => {
    const { dir, world } = await project("welcome, v1\n");
    const plan = await run("plan", dir, world);
    assert.equal(plan.status, "changes", plan.output);
    assert.deepEqual(plan.counts, { add: 0, change: 3, destroy: 0 });
    assert.match(plan.output, /^\$ ansible-playbook --check --diff site\.yml$/m);
    assert.match(plan.output, /^\+welcome, v1$/m, "the diff of the copied file");
    assert.match(plan.output, /^\+listen 8080$/m, "the diff of the template");
    assert.match(plan.output, /changed=3 +unreachable=0 +failed=0/);
    assert.doesNotMatch(plan.output, /No inventory was parsed/, "the project's ansible.cfg names its inventory");
    assert.equal(await readFile(path.join(world, "motd.txt"), "utf8").catch(() => undefined), undefined, "--check changed nothing");

    const apply = await run("apply", dir, world);
    assert.equal(apply.status, "changes", apply.output);
    assert.equal(await readFile(path.join(world, "motd.txt"), "utf8"), "welcome, v1\n");
    assert.equal(await readFile(path.join(world, "conf.d/server.conf"), "utf8"), `listen 8080\nroot ${world}/htdocs\n`);

    const again = await run("plan", dir, world);
    assert.equal(again.status, "no_changes", again.output);
    assert.deepEqual(again.counts, { add: 0, change: 0, destroy: 0 });
    const reapply = await run("apply", dir, world);
    assert.equal(reapply.status, "no_changes", reapply.output);
  });

  test("the same change planned twice, in two checkouts, has one digest; another change differs", async () => {
    // Rendered templates show in --diff under a temp path ansible makes anew each run.
    const a = await project("same\n");
    const b = await project("same\n");
    const c = await project("other\n");
    const [pa, pb, pc] = [await run("plan", a.dir, a.world), await run("plan", b.dir, b.world), await run("plan", c.dir, c.world)];
    assert.match(pa.output, /ansible-local-/, "the temp path this guards against is there");
    assert.ok(pa.digest && pb.digest && pc.digest, pa.output);
    assert.equal(pa.digest, pb.digest);
    assert.notEqual(pa.digest, pc.digest);
    const pa2 = await run("plan", a.dir, a.world);
    assert.equal(pa2.digest, pa.digest, "and a second run in the same checkout");
  });

  test("a repository's timing callbacks (profile_tasks, timer) do not change the digest", async () => {
    const { dir, world } = await project("timed\n");
    await writeFile(
      path.join(dir, "ansible.cfg"),
      "[defaults]\ninventory = inventory.ini\ncallbacks_enabled = ansible.posix.profile_tasks, ansible.posix.timer\n",
    );
    const first = await run("plan", dir, world);
    assert.match(first.output, /Playbook run took/, "the callbacks ran");
    const second = await run("plan", dir, world);
    assert.equal(first.status, "changes", first.output);
    assert.equal(second.digest, first.digest);
  });

  test("a repository's stdout_callback (json here) does not hide the recap Slipway reads", async () => {
    const { dir, world } = await project("json\n");
    await writeFile(path.join(dir, "ansible.cfg"), "[defaults]\ninventory = inventory.ini\nstdout_callback = json\n");
    const plan = await run("plan", dir, world);
    assert.equal(plan.status, "changes", plan.output);
    assert.deepEqual(plan.counts, { add: 0, change: 3, destroy: 0 });
  });

  test("without an inventory only the implicit localhost exists: a localhost play runs, with ansible's warning", async () => {
    const { dir, world } = await project("no inventory\n");
    await rm(path.join(dir, "ansible.cfg"));
    await writeFile(path.join(dir, "site.yml"), (await readFile(path.join(dir, "site.yml"), "utf8")).replace("hosts: web", "hosts: localhost"));
    const plan = await run("plan", dir, world);
    assert.equal(plan.status, "changes", plan.output);
    assert.match(plan.output, /No inventory was parsed, only implicit localhost is available/);
  });

  test("a play that matches no host is an error, not a quiet 'no changes'", async () => {
    const { dir, world } = await project("nowhere\n");
    await rm(path.join(dir, "ansible.cfg"));
    const plan = await run("plan", dir, world);
    assert.equal(plan.status, "error", plan.output);
    assert.match(plan.output, /^slipway: the PLAY RECAP lists no host/m);
    assert.equal(plan.digest, undefined);
  });

  test("a failing task is an error", async () => {
    const { dir, world } = await project("fails\n");
    const site = await readFile(path.join(dir, "site.yml"), "utf8");
    await writeFile(path.join(dir, "site.yml"), `${site}\n    - name: Refuse\n      ansible.builtin.fail:\n        msg: the API refused the change\n`);
    const plan = await run("plan", dir, world);
    assert.equal(plan.status, "error", plan.output);
    assert.match(plan.output, /the API refused the change/);
    assert.match(plan.output, /failed=1/);
    assert.match(plan.output, /^slipway: step failed with exit code 2$/m);
  });

  test("a syntax error fails validate with ansible's message", async () => {
    const { dir, world } = await project("broken\n");
    await writeFile(path.join(dir, "site.yml"), "- hosts: web\n  tasks:\n    - name: x\n      ansible.builtin.copy: {src: a\n");
    const r = await run("validate", dir, world);
    assert.equal(r.status, "error", r.output);
    assert.match(r.output, /^\$ ansible-playbook --syntax-check site\.yml$/m);
  });
});
