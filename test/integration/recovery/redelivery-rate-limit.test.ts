// GitHub's secondary rate limit on redelivery requests: a 429 with Retry-After is waited out and
// the same delivery asked for again — not counted as failed, not skipped, and asked for once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { limitRedeliveries } from "../../support/github-simulator/handlers/hook-deliveries.ts";
import { freePort } from "../../support/private-redis.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";
import { waitFor } from "../../support/scenario/wait-for.ts";
import { startScanner, type InProcessScanner } from "./in-process-scanner.ts";

const prefix = uniquePrefix("redeliver-limit");
let sim: GitHubSimulator;
let scanner: InProcessScanner | undefined;

before(async () => {
  sim = await startGitHubSimulator();
  sim.setWebhookTarget(`http://127.0.0.1:${await freePort()}/api/github/webhooks`); // nobody listens
  sim.scenario.addUser("alice", { permission: "write" });
  await sim.scenario.createRepo({ owner: "acme", name: "limited", fixture: "simple-repo" });
});
after(async () => {
  await scanner?.close();
  await sim?.stop();
  await deleteKeysWithPrefix(prefix);
});

test("a 429 with Retry-After is waited out, then the same delivery is asked for, once", async () => {
  await sim.scenario.openPullRequest({ repo: "acme/limited", author: "alice", branch: "f", files: { "app/desired.txt": "2\n" } });
  const missed = sim.deliveries.filter((d) => d.attempted && d.status === 0);
  assert.deepEqual(
    missed.map((d) => d.event),
    ["push", "pull_request"],
  );
  limitRedeliveries(sim.core, 1, 1);
  scanner = startScanner(sim, prefix, { name: "limited", intervalMs: 60_000 });
  await waitFor(() => missed.every((d) => sim.deliveries.some((a) => a.id === d.id && a.redelivery)), { timeoutMs: 30_000, what: "both redelivered" });
  // The scanner counts an ask once it has read GitHub's answer, which may come after the redelivery.
  await waitFor(() => scanner!.counts.length >= missed.length, { timeoutMs: 30_000, what: "both asks counted" });
  await sim.idle();

  const asks = sim.calls.filter((c) => c.operationId === "apps/redeliver-webhook-delivery").map((c) => c.status);
  assert.deepEqual(asks, [429, 202, 202], "refused once, asked again after the wait, then the next delivery");
  for (const d of missed) assert.equal(sim.deliveries.filter((a) => a.id === d.id && a.redelivery).length, 1, `${d.event} redelivered once`);
  assert.deepEqual(scanner.counts, ["requested", "requested"], "a rate limit is not a failure");
  assert.ok(scanner.lines.some((l) => l.includes("GitHub asks to slow down")));
  assert.deepEqual(sim.violations, []);
});
