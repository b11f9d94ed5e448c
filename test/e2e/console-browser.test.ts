// The console in a real browser (Debian's Chromium) against Slipway and the GitHub simulator:
// sign in with GitHub, see only the permitted repositories, watch a plan's log arrive line by
// line while its step still runs, release a lock as a writer (refused as a reader), export the
// audit trail. Screenshots of each page go to docs/console/ for the README.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { watch } from "node:fs";
import { freePort } from "../support/private-redis.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));
const HOSTILE_LINE = `<img src=x onerror="document.title=1"><script>document.title=2</script>`;
const HOSTILE_TITLE = `Network <img src=x onerror=alert(1)>"'&`;

const CONFIG = `version: 1
projects:
  - name: network
    dir: network
    workflow: shell
    environment: staging
workflows:
  shell:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 120}]
    apply: [{run: ["sh", "apply.sh"]}]
`;
// The step waits on files the test creates: the browser must show each line while it still runs.
const PLAN = `: > "$CONSOLE_GATE/started"
echo "planning network"
echo '${HOSTILE_LINE}'
while [ ! -f "$CONSOLE_GATE/first" ]; do sleep 0.05; done
echo "second line, after the first gate"
while [ ! -f "$CONSOLE_GATE/second" ]; do sleep 0.05; done
echo "+ create network"
exit 2
`;

let e2e: E2E;
let browser: Browser;
let gate: string;
let url: string;
const contexts: BrowserContext[] = [];
/** Every alert, confirm or prompt any page opened: a hostile value that ran as script. */
const dialogs: string[] = [];

before(async () => {
  gate = await mkdtemp(join(tmpdir(), "slipway-console-gate-"));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The simulator's client id and secret are known once it runs: startE2E starts it first.
  e2e = await startE2E({
    env: {
      PORT: String(port),
      SLIPWAY_PUBLIC_URL: url,
      SLIPWAY_SESSION_SECRET: "browser-test-session-secret-0123456789",
      CONSOLE_GATE: gate,
    },
    envFromSimulator: (sim) => ({ GITHUB_CLIENT_ID: sim.clientId, GITHUB_CLIENT_SECRET: sim.clientSecret }),
  });
  browser = await launchChromium();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await e2e?.stop();
  await rm(gate, { recursive: true, force: true });
});

async function signedIn(login: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  e2e.sim.signInAs(login);
  await page.goto(`${url}/login`);
  await page.waitForURL(`${url}/`);
  return page;
}

let pull: PullInfo;

test("the console in Chromium: sign-in, visibility, live log, lock release, audit export", { timeout: 170_000 }, async () => {
  const gh = e2e.gh;
  await gh.createRepo({
    owner: "acme",
    name: "infra",
    files: { ".slipway.yml": CONFIG, "network/plan.sh": PLAN, "network/apply.sh": 'echo "applied network"\n' },
  });
  await gh.createRepo({ owner: "acme", name: "secret" });
  gh.addUser("wendy", { permission: { "acme/infra": "write" } });
  gh.addUser("rita", { permission: { "acme/infra": "read" } });

  // Sign in: the environments page lists acme/infra and never acme/secret.
  const wendy = await signedIn("wendy");
  assert.match((await wendy.textContent("main")) ?? "", /acme\/infra/);
  assert.doesNotMatch(await wendy.content(), /acme\/secret/);

  // A plan starts; its run page shows the first lines, then the next one arrives while it runs.
  const started = fileAppears(gate, "started");
  pull = await gh.openPullRequest({ repo: "acme/infra", author: "wendy", branch: "net", title: HOSTILE_TITLE, files: { "network/desired.txt": "v2\n" } });
  await started;
  await wendy.goto(`${url}/runs`);
  await pullTitleShown(wendy, "#runs-running ~ table");
  await wendy.locator("#runs-running ~ table a").first().click();
  await pullTitleShown(wendy, ".facts");
  await wendy.locator("#log").getByText("planning network").waitFor();
  const log = wendy.locator("#log");
  assert.equal(await log.locator("img, script").count(), 0, "a log line is text, never markup");
  assert.ok((await log.textContent())!.includes(HOSTILE_LINE));
  await writeFile(join(gate, "first"), "");
  await log.getByText("second line, after the first gate").waitFor();
  assert.match((await wendy.textContent("#log-status")) ?? "", /Running/);
  assert.equal(await wendy.textContent("#run-state"), "running");
  assert.doesNotMatch((await log.textContent()) ?? "", /create network/, "the step has not printed its last line yet");
  await writeFile(join(gate, "second"), "");
  await log.getByText("+ create network").waitFor();
  await wendy.locator("#log-status", { hasText: "Complete." }).waitFor();
  assert.equal(await wendy.textContent("#run-state"), "finished", "the state label follows the log's end");
  // The stream started after the lines the page was rendered with: none of them twice.
  assert.equal(((await log.textContent()) ?? "").split("planning network").length - 1, 1);
  await e2e.idle();
  await wendy.reload();
  await shot(wendy, "run");

  // Locks: rita (read) has no button and a forged release is refused; wendy releases it.
  const rita = await signedIn("rita");
  await rita.goto(`${url}/locks`);
  await rita.getByText("needs write access").waitFor();
  const csrf = await rita.locator('input[name="_csrf"]').first().inputValue();
  const refused = await rita.context().request.post(`${url}/locks/release`, { form: { _csrf: csrf, repo: "acme/infra", project: "network" }, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  await wendy.goto(`${url}/locks`);
  await shot(wendy, "locks");
  await wendy.getByRole("button", { name: "Release" }).focus();
  await wendy.keyboard.press("Enter");
  await wendy.waitForURL(`${url}/locks?done=released`);
  await e2e.idle();
  const comments = gh.comments(pull.repo, pull.number).map((c) => String(c.body));
  assert.ok(
    comments.some((b) => /released by wendy from the console/.test(b)),
    comments.join("\n---\n"),
  );

  // Merge: the deploy to staging fills the environments page.
  await gh.merge(pull, "wendy");
  await e2e.idle();
  await wendy.goto(`${url}/`);
  await wendy.locator("td", { hasText: "network" }).first().waitFor();
  // The merge's title reached the deploy of its commit.
  await pullTitleShown(wendy, "table");
  await shot(wendy, "environments");
  await wendy.goto(`${url}/runs`);
  await shot(wendy, "runs");

  // Audit: the release is there as wendy's, from the console; the CSV export downloads.
  await wendy.goto(`${url}/audit?kind=lock.released`);
  await wendy.locator("td", { hasText: "wendy" }).first().waitFor();
  assert.match((await wendy.textContent("main")) ?? "", /console/);
  await wendy.goto(`${url}/audit`);
  await shot(wendy, "audit");
  const [download] = await Promise.all([wendy.waitForEvent("download"), wendy.getByRole("link", { name: "CSV" }).click()]);
  const csv = await readFile((await download.path())!, "utf8");
  assert.match(csv.split("\n")[0]!, /^id,at,kind,actor,repo/);
  assert.match(csv, /lock\.released,wendy,acme\/infra/);
  assert.doesNotMatch(csv, /acme\/secret/);

  // No hostile value ran anywhere.
  for (const p of [wendy, rita]) assert.match(await p.title(), / · Slipway$/);
  assert.deepEqual(dialogs, [], "no page opened a dialog");
});

/** The hostile pull request title next to its number, as text: no element made of it. */
async function pullTitleShown(page: Page, within: string): Promise<void> {
  const title = page.locator(`${within} .pull-title`).first();
  assert.equal(await title.textContent(), HOSTILE_TITLE);
  assert.equal(await title.locator("*").count(), 0);
  assert.equal(await page.locator("main img").count(), 0);
}

/** Resolves when `name` is created in `dir` (the plan step's own signal that it runs). */
function fileAppears(dir: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, (_event, file) => {
      if (file === name) {
        watcher.close();
        resolve();
      }
    });
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
