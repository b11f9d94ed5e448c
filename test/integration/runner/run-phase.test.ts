import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPhase, type PhaseInput } from "../../../src/runner/run-phase.ts";
import { createRedactor } from "../../../src/runner/redact.ts";
import type { StepSpec } from "../../../src/runner/workflows.ts";
import { isAlive, sh, waitUntil } from "./process-helpers.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-run-phase-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function phase(p: PhaseInput["phase"], steps: StepSpec[], extra: Partial<PhaseInput> = {}) {
  return runPhase({
    phase: p,
    steps,
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    defaultTimeoutMs: 20_000,
    redact: (l) => l,
    killGraceMs: 300,
    ...extra,
  });
}

describe("plan exit codes (detailed-exitcode convention)", () => {
  test("0 → no_changes, 2 → changes, 1 → error", async () => {
    const none = await phase("plan", [{ argv: sh("echo nothing; exit 0") }]);
    assert.equal(none.status, "no_changes");
    assert.equal(none.exitCode, 0);
    assert.match(none.output, /^\$ sh -c 'echo nothing; exit 0'\nnothing$/);

    const changes = await phase("plan", [{ argv: sh("exit 2") }]);
    assert.equal(changes.status, "changes");

    const error = await phase("plan", [{ argv: sh("echo boom >&2; exit 1") }]);
    assert.equal(error.status, "error");
    assert.equal(error.exitCode, 1);
    assert.equal(error.failedStep, "sh -c 'echo boom >&2; exit 1'");
    assert.match(error.output, /boom\nslipway: step failed with exit code 1$/);
  });

  test("a step exiting 2 continues to the next; a failure stops the phase", async () => {
    const r = await phase("plan", [{ argv: sh("echo one; exit 2") }, { argv: sh("echo two") }]);
    assert.equal(r.status, "changes");
    assert.match(r.output, /one[\s\S]*\$ sh -c 'echo two'\ntwo/);

    const stopped = await phase("plan", [{ argv: sh("exit 3") }, { argv: sh("echo never") }]);
    assert.equal(stopped.status, "error");
    assert.doesNotMatch(stopped.output, /never/);
  });

  test("outside the plan phase exit 2 is an error; apply success is 'changes'", async () => {
    assert.equal((await phase("validate", [{ argv: sh("exit 2") }])).status, "error");
    assert.equal((await phase("validate", [{ argv: sh("exit 0") }])).status, "no_changes");
    assert.equal((await phase("apply", [{ argv: sh("echo applied") }])).status, "changes");
    const noop = await phase("apply", [{ argv: sh("echo 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.'") }]);
    assert.equal(noop.status, "no_changes");
  });

  test("ansible recap convention: changed>0 → changes, changed=0 → no_changes, exit 2 → error", async () => {
    const recap = (n: number, code = 0) => sh(`printf 'PLAY RECAP ***\\nlocalhost : ok=2 changed=${n} unreachable=0 failed=0\\n'; exit ${code}`);
    const changed = await phase("plan", [{ argv: recap(2), exitCodes: "ansible-recap" }]);
    assert.equal(changed.status, "changes");
    assert.deepEqual(changed.counts, { add: 0, change: 2, destroy: 0 });
    assert.equal((await phase("plan", [{ argv: recap(0), exitCodes: "ansible-recap" }])).status, "no_changes");
    assert.equal((await phase("plan", [{ argv: recap(1, 2), exitCodes: "ansible-recap" }])).status, "error");
  });

  test("ansible recap convention: failed or unreachable hosts, a recap with no host, or no recap are errors even on exit 0", async () => {
    const host = (changed: number, unreachable: number, failed: number) =>
      `localhost : ok=2 changed=${changed} unreachable=${unreachable} failed=${failed} skipped=0`;
    const plan = (text: string) => phase("plan", [{ argv: sh(`printf '%s\\n' "$1"; exit 0`).concat("sh", text), exitCodes: "ansible-recap" }]);
    const unreachable = await plan(`PLAY RECAP ***\n${host(1, 1, 0)}`);
    assert.equal(unreachable.status, "error");
    assert.match(unreachable.output, /^slipway: the PLAY RECAP counts failed=0 unreachable=1$/m);
    assert.equal(unreachable.digest, undefined);
    assert.equal((await plan(`PLAY RECAP ***\n${host(0, 0, 1)}`)).status, "error");
    const nobody = await plan("PLAY [all] ***\nskipping: no hosts matched\n\nPLAY RECAP ***\n");
    assert.equal(nobody.status, "error");
    assert.match(nobody.output, /^slipway: the PLAY RECAP lists no host/m);
    const silent = await plan('{"plays": []}');
    assert.equal(silent.status, "error");
    assert.match(silent.output, /^slipway: no PLAY RECAP in ansible's output/m);
    assert.equal((await plan(`PLAY RECAP ***\n${host(1, 0, 0)}`)).status, "changes");
  });

  test("diff convention (kubectl diff): 0 → no_changes, 1 → changes, above 1 → error", async () => {
    assert.equal((await phase("plan", [{ argv: sh("exit 0"), exitCodes: "diff" }])).status, "no_changes");
    assert.equal((await phase("plan", [{ argv: sh("echo '+replicas: 3'; exit 1"), exitCodes: "diff" }])).status, "changes");
    const error = await phase("plan", [{ argv: sh("echo 'error: no cluster' >&2; exit 2"), exitCodes: "diff" }]);
    assert.equal(error.status, "error");
    assert.match(error.output, /^slipway: step failed with exit code 2$/m);
  });

  test("the digest reads stdout only: stderr lines (whose place among stdout's varies) do not change it", async () => {
    const quiet = await phase("plan", [{ argv: sh("echo '~ x'; echo 'Plan: 0 to add, 1 to change, 0 to destroy.'; exit 2") }]);
    const noisy = await phase("plan", [
      { argv: sh("echo 'warning: a' >&2; echo '~ x'; echo \"warning: $$\" >&2; echo 'Plan: 0 to add, 1 to change, 0 to destroy.'; exit 2") },
    ]);
    assert.match(noisy.output, /warning: a/, "stderr is still shown");
    assert.equal(noisy.digest, quiet.digest);
  });

  test("counts come from the output; the digest is set for a plan", async () => {
    const r = await phase("plan", [{ argv: sh("echo 'Plan: 3 to add, 1 to change, 0 to destroy.'; exit 2") }]);
    assert.deepEqual(r.counts, { add: 3, change: 1, destroy: 0 });
    assert.match(r.digest ?? "", /^[0-9a-f]{64}$/);
  });

  test("the step env is the caller's env plus the step's own", async () => {
    const r = await phase("plan", [{ argv: sh('echo "$SLIPWAY_PROJECT/$SLIPWAY_SHA/$STEP_ONLY/${HOME:-nohome}"'), env: { STEP_ONLY: "s" } }], {
      env: { PATH: process.env.PATH ?? "", SLIPWAY_PROJECT: "net", SLIPWAY_SHA: "abc123" },
    });
    assert.match(r.output, /\nnet\/abc123\/s\/nohome$/);
  });

  test("an unknown command is an error with a readable line, not a throw", async () => {
    const r = await phase("validate", [{ argv: ["slipway-no-such-command-xyz", "--version"] }]);
    assert.equal(r.status, "error");
    assert.equal(r.exitCode, null);
    assert.match(r.output, /slipway: command not found: slipway-no-such-command-xyz/);
  });

  test("a log file that cannot be written does not lose the step's result", async () => {
    await writeFile(join(dir, "not-a-dir"), "");
    const r = await phase("apply", [{ argv: sh("echo applied") }], { logFile: join(dir, "not-a-dir", "x.log") });
    assert.equal(r.status, "changes");
    assert.equal(r.fullLogPath, undefined);
    assert.match(r.output, /applied\nslipway: full log not written: /);
  });

  test("a missing working directory is an error with a readable line", async () => {
    const r = await phase("plan", [{ argv: ["true"] }], { cwd: join(dir, "nope") });
    assert.equal(r.status, "error");
    assert.match(r.output, /working directory does not exist/);
  });
});

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe("timeouts and cancellation kill the whole process group", () => {
  async function grandchildPid(path: string): Promise<number> {
    return Number((await readFile(path, "utf8")).trim());
  }

  test("a hanging step times out and its grandchild is gone", async () => {
    const pidFile = join(dir, "timeout.pid");
    // The grandchild leaves a mark if it lives out its 60 s: a phase that waited for it would find it.
    const ranOut = join(dir, "timeout.ran-out");
    const r = await phase("plan", [{ argv: sh(`(sleep 60; touch ${ranOut}) & echo $! > ${pidFile}; wait`) }], { defaultTimeoutMs: 500 });
    assert.equal(r.status, "timed_out");
    assert.equal(await exists(ranOut), false, "returned at the timeout, not after the grandchild's 60 s");
    assert.match(r.output, /slipway: step timed out after 0.5s$/);
    const pid = await grandchildPid(pidFile);
    assert.ok(await waitUntil(() => !isAlive(pid), 2000), `grandchild ${pid} still alive`);
  });

  test("a step ignoring SIGTERM is killed with SIGKILL after the grace period", async () => {
    const pidFile = join(dir, "ignore-term.pid");
    const r = await phase("plan", [{ argv: sh(`trap '' TERM; sleep 60 & echo $! > ${pidFile}; wait; wait`), timeoutSeconds: 0.3 }]);
    assert.equal(r.status, "timed_out");
    const pid = await grandchildPid(pidFile);
    assert.ok(await waitUntil(() => !isAlive(pid), 2000), `sleep ${pid} still alive`);
  });

  test("an abort cancels the running step and kills its group; later steps do not run", async () => {
    const pidFile = join(dir, "abort.pid");
    const controller = new AbortController();
    // Aborted once the step is running (it has written its grandchild's pid).
    void waitUntilAsync(() => exists(pidFile), 10_000).then(() => controller.abort());
    const r = await phase("apply", [{ argv: sh(`sleep 60 & echo $! > ${pidFile}; wait`) }, { argv: sh("echo later") }], {
      signal: controller.signal,
    });
    assert.equal(r.status, "canceled");
    assert.doesNotMatch(r.output, /later/);
    const pid = await grandchildPid(pidFile);
    assert.ok(await waitUntil(() => !isAlive(pid), 2000), `sleep ${pid} still alive`);
  });

  test("an already-aborted signal runs nothing", async () => {
    const r = await phase("plan", [{ argv: sh("echo ran") }], { signal: AbortSignal.abort() });
    assert.equal(r.status, "canceled");
    assert.doesNotMatch(r.output, /ran/);
  });

  test("a background process left by a successful step does not hold the phase open", async () => {
    const pidFile = join(dir, "leftover.pid");
    const ranOut = join(dir, "leftover.ran-out");
    const r = await phase("plan", [{ argv: sh(`(sleep 60; touch ${ranOut}) & echo $! > ${pidFile}; echo done`) }]);
    assert.equal(r.status, "no_changes");
    assert.equal(await exists(ranOut), false, "did not wait for the background process's 60 s");
    const pid = await grandchildPid(pidFile);
    assert.ok(await waitUntil(() => !isAlive(pid), 2000), `leftover ${pid} still alive`);
  });
});

describe("output cleaning", () => {
  test("secret values are redacted on stdout and stderr, mid-line and split across writes", async () => {
    const secret = "s3cr3t-Value-42";
    const script = [
      `printf 'head %s tail\\n' "$MY_TOKEN"`,
      `printf 'err:%s:end\\n' "$MY_TOKEN" >&2`,
      // The secret arrives in two writes with a pause between: two chunks on the pipe.
      `printf 'split %s' "$(printf %s "$MY_TOKEN" | cut -c1-6)"`,
      "sleep 0.2",
      `printf '%s done\\n' "$(printf %s "$MY_TOKEN" | cut -c7-)"`,
    ].join("; ");
    const r = await phase("plan", [{ argv: sh(script) }], {
      env: { PATH: process.env.PATH ?? "", MY_TOKEN: secret },
      redact: createRedactor([secret]),
    });
    assert.equal(r.status, "no_changes");
    assert.ok(!r.output.includes(secret), r.output);
    assert.ok(!r.output.includes("s3cr3t"), r.output);
    assert.match(r.output, /^head \*\*\* tail$/m);
    assert.match(r.output, /^err:\*\*\*:end$/m);
    assert.match(r.output, /^split \*\*\* done$/m);
  });

  test("ANSI colours are stripped and UTF-8 split across writes survives", async () => {
    const r = await phase("plan", [{ argv: sh("printf '\\033[1;31mred\\033[0m plain\\n'; printf 'caf\\303'; sleep 0.1; printf '\\251\\n'") }]);
    assert.match(r.output, /^red plain$/m);
    assert.match(r.output, /^café$/m);
    assert.ok(!r.output.includes("\u001b"));
  });
});
