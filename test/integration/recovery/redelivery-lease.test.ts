// The redeliverer's lease on real Redis against the GitHub simulator: of two scanners one reads
// the delivery log; when it stops renewing (its Redis connection is gone, as when its process
// dies) the other takes over and fetches back what was missed since — and nothing is asked twice.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { freePort } from "../../support/private-redis.ts";
import { deleteKeysWithPrefix, uniquePrefix } from "../../support/redis.ts";
import { waitFor } from "../../support/scenario/wait-for.ts";
import { startScanner, type InProcessScanner } from "./in-process-scanner.ts";

const prefix = uniquePrefix("redeliver-lease");
let sim: GitHubSimulator;
const scanners: InProcessScanner[] = [];

before(async () => {
  sim = await startGitHubSimulator();
  sim.setWebhookTarget(`http://127.0.0.1:${await freePort()}/api/github/webhooks`); // nobody listens: every delivery fails
  sim.scenario.addUser("alice", { permission: "write" });
  await sim.scenario.createRepo({ owner: "acme", name: "lease", fixture: "simple-repo" });
});
after(async () => {
  for (const s of scanners) await s.close();
  await sim?.stop();
  await deleteKeysWithPrefix(prefix);
});

const scanner = (name: string) => {
  const s = startScanner(sim, prefix, { name, intervalMs: 500, leaseMs: 1500 });
  scanners.push(s);
  return s;
};

const redeliveries = (guid: string) => sim.deliveries.filter((d) => d.id === guid && d.redelivery).length;
const holds = (lines: string[]) => lines.some((l) => l.includes("this process scans"));

test("one scanner holds the lease; when it stops renewing, the other takes over and asks for what was missed since", async () => {
  const first = await sim.scenario.openPullRequest({ repo: "acme/lease", author: "alice", branch: "one", files: { "app/desired.txt": "1\n" } });
  const firstOpened = sim.deliveries.find((d) => d.event === "pull_request" && (d.payload as any).pull_request.number === first.number)!;
  const a = scanner("a");
  await waitFor(() => redeliveries(firstOpened.id) === 1, { timeoutMs: 30_000, what: "the first scanner's redelivery" });
  const mark = sim.mark();
  const b = scanner("b");
  // Two more scans of the log (a scans every 500 ms): b has tried the lease meanwhile.
  await waitFor(() => sim.callsSince(mark).filter((c) => c.operationId === "apps/list-webhook-deliveries").length >= 2, { what: "two more scans" });
  assert.equal(holds(a.lines), true, "a holds the lease");
  assert.equal(holds(b.lines), false, "b waits while a renews");

  a.redis.disconnect(); // a can renew no more, as if its process had died
  const second = await sim.scenario.openPullRequest({ repo: "acme/lease", author: "alice", branch: "two", files: { "app/desired.txt": "2\n" } });
  const secondOpened = sim.deliveries.find((d) => d.event === "pull_request" && (d.payload as any).pull_request.number === second.number)!;
  await waitFor(() => redeliveries(secondOpened.id) === 1, { timeoutMs: 30_000, what: "b taking over and asking for the new miss" });
  await sim.idle();
  assert.equal(holds(b.lines), true, "b took the lease over");
  assert.equal(redeliveries(firstOpened.id), 1, "what a asked for is not asked for again (it failed again: nobody listens)");
  assert.equal(redeliveries(secondOpened.id), 1);
  assert.deepEqual(sim.violations, []);
});
