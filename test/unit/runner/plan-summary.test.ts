import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AnsibleRecapScanner, ChangeCountScanner, PlanDigest, type DigestOptions } from "../../../src/runner/plan-summary.ts";
import type { ChangeCounts } from "../../../src/domain/types.ts";

// The runner feeds both line by line as a step prints; these feed a whole text the same way.
function parseChangeCounts(text: string): ChangeCounts | undefined {
  const scanner = new ChangeCountScanner();
  for (const line of text.split("\n")) scanner.add(line);
  return scanner.counts;
}

function planDigest(text: string, opts: DigestOptions = {}): string {
  const d = new PlanDigest(opts);
  for (const line of text.split("\n")) d.add(line);
  return d.digest();
}

describe("parseChangeCounts", () => {
  test("terraform plan summary", () => {
    assert.deepEqual(parseChangeCounts("foo\nPlan: 1 to add, 2 to change, 3 to destroy.\n"), { add: 1, change: 2, destroy: 3 });
  });

  test("terraform 1.5+ summary with imports", () => {
    assert.deepEqual(parseChangeCounts("Plan: 2 to import, 1 to add, 0 to change, 4 to destroy."), {
      add: 1,
      change: 0,
      destroy: 4,
    });
  });

  test("No changes.", () => {
    assert.deepEqual(parseChangeCounts("No changes. Your infrastructure matches the configuration."), {
      add: 0,
      change: 0,
      destroy: 0,
    });
  });

  test("apply and destroy summaries", () => {
    assert.deepEqual(parseChangeCounts("Apply complete! Resources: 1 added, 0 changed, 5 destroyed."), {
      add: 1,
      change: 0,
      destroy: 5,
    });
    assert.deepEqual(parseChangeCounts("Destroy complete! Resources: 3 destroyed."), { add: 0, change: 0, destroy: 3 });
  });

  test("ansible recap sums changed= over hosts", () => {
    const text = [
      "TASK [x] ***",
      "changed: [web1]",
      "",
      "PLAY RECAP *********************************************************************",
      "web1                       : ok=3    changed=2    unreachable=0    failed=0    skipped=0",
      "web2                       : ok=3    changed=1    unreachable=0    failed=0    skipped=0",
      "",
    ].join("\n");
    assert.deepEqual(parseChangeCounts(text), { add: 0, change: 3, destroy: 0 });
  });

  test("ansible recap with nothing changed", () => {
    assert.deepEqual(parseChangeCounts("PLAY RECAP ***\nlocalhost : ok=1 changed=0 unreachable=0 failed=0\n"), {
      add: 0,
      change: 0,
      destroy: 0,
    });
  });

  test("the last summary wins; unrelated text gives undefined", () => {
    assert.deepEqual(parseChangeCounts("Plan: 1 to add, 0 to change, 0 to destroy.\nApply complete! Resources: 1 added, 0 changed, 0 destroyed."), {
      add: 1,
      change: 0,
      destroy: 0,
    });
    assert.equal(parseChangeCounts("hello\nPlanned: nothing\nmy changed=3 thing"), undefined);
  });
});

describe("planDigest", () => {
  const planA = [
    "aws_vpc.main: Refreshing state... [id=vpc-0a1b]",
    "data.aws_ami.x: Reading...",
    "data.aws_ami.x: Read complete after 1s [id=ami-123]",
    "",
    "  # aws_instance.web will be updated in-place   ",
    '  ~ resource "aws_instance" "web" {',
    '      ~ instance_type = "t3.micro" -> "t3.small"',
    "    }",
    "",
    "Plan: 0 to add, 1 to change, 0 to destroy.",
    "Saved the plan to: /tmp/slipway-abc/plan.tfplan",
    "2024-05-01T10:11:12.345Z [INFO] done",
  ].join("\n");

  const planB = [
    "aws_vpc.main: Refreshing state... [id=vpc-0a1b]",
    "aws_subnet.a: Refreshing state... [id=subnet-9]",
    "data.aws_ami.x: Reading...",
    "data.aws_ami.x: Read complete after 3s [id=ami-123]",
    "  # aws_instance.web will be updated in-place",
    '  ~ resource "aws_instance" "web" {',
    '      ~ instance_type = "t3.micro" -> "t3.small"',
    "    }",
    "",
    "",
    "Plan: 0 to add, 1 to change, 0 to destroy.",
    "Saved the plan to: /tmp/slipway-xyz/plan.tfplan",
    "2025-01-02T03:04:05.000Z [INFO] done",
  ].join("\n");

  test("two plans of the same change have the same digest", () => {
    assert.equal(planDigest(planA), planDigest(planB));
    assert.match(planDigest(planA), /^[0-9a-f]{64}$/);
  });

  test("a different change gives a different digest", () => {
    assert.notEqual(planDigest(planA), planDigest(planA.replace("t3.small", "t3.large")));
    assert.notEqual(planDigest(planA), planDigest(planA.replace("1 to change", "2 to change")));
  });

  test("run-specific paths given by the caller are ignored", () => {
    const a = "Saved the plan to: /data/worktrees/run-1/plan.out\ncwd /data/worktrees/run-1";
    const b = "Saved the plan to: /data/worktrees/run-2/plan.out\ncwd /data/worktrees/run-2";
    assert.notEqual(planDigest(a), planDigest(b));
    assert.equal(
      planDigest(a, { paths: ["/data/worktrees/run-1", "/data/worktrees/run-1/plan.out"] }),
      planDigest(b, { paths: ["/data/worktrees/run-2", "/data/worktrees/run-2/plan.out"] }),
    );
  });

  test("elapsed durations while applying are ignored", () => {
    assert.equal(
      planDigest("aws_db.x: Modifying... [id=db-1]\naws_db.x: Modifications complete after 1m2s [id=db-1]"),
      planDigest("aws_db.x: Modifying... [id=db-1]\naws_db.x: Modifications complete after 59s [id=db-1]"),
    );
    assert.equal(
      planDigest("x: Still creating... [10s elapsed]\ny"),
      planDigest("x: Still creating... [1m20s elapsed]\nx: Still creating... [id=a, 2s elapsed]\ny"),
    );
  });

  test("ansible's per-run temp paths in --diff headers are ignored, wherever its local temp is", () => {
    // As ansible-core 2.14 prints a rendered template's diff, with local_tmp outside /tmp.
    const run = (tmp: string) => `TASK [Server config] ***\n--- before\n+++ after: ${tmp}/server.conf.j2\n@@ -0,0 +1 @@\n+listen 8080`;
    assert.equal(
      planDigest(run("/var/lib/slipway/ansible/ansible-local-24017zotivzdf/tmpmrk0g5ni")),
      planDigest(run("/var/lib/slipway/ansible/ansible-local-242612pn9d02h/tmp0xxz0unz")),
    );
    assert.notEqual(
      planDigest(run("/var/lib/slipway/ansible/ansible-local-24017zotivzdf/tmpmrk0g5ni")),
      planDigest(run("/var/lib/slipway/ansible/ansible-local-24017zotivzdf/tmpmrk0g5ni").replace("8080", "8081")),
    );
    assert.equal(planDigest("rm -rf ansible-tmp-1732612345.12-4242-9999/ > /dev/null"), planDigest("rm -rf ansible-tmp-1732699999.5-17-123/ > /dev/null"));
  });
});

describe("planDigest of ansible with timing callbacks", () => {
  // As ansible.posix's profile_tasks and timer print them (ansible-core 2.14), on two days.
  const run = (day: string, time: string, order: string[], secs: string) =>
    [
      "TASK [Message of the day] ******************************************************",
      `${day}  ${time} +0000 (0:00:00.447)       0:00:00.549 ***** `,
      "changed: [localhost]",
      "PLAY RECAP *********************************************************************",
      "localhost                  : ok=4    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ",
      `${day}  ${time} +0000 (0:00:00.533)       0:00:01.497 ***** `,
      "=============================================================================== ",
      ...order,
      `Playbook run took 0 days, 0 hours, 0 minutes, ${secs} seconds`,
    ].join("\n");
  const a = [
    "Message of the day ------------------------------------------------------ 0.56s",
    "Server config ----------------------------------------------------------- 0.53s",
  ];
  const b = [
    "Server config ----------------------------------------------------------- 1.53s",
    "Message of the day ------------------------------------------------------ 0.06s",
  ];

  test("dates, task durations and their order, and the run's length are ignored", () => {
    assert.equal(planDigest(run("Thursday 26 November 2026", "10:52:49", a, "1")), planDigest(run("Friday 27 November 2026", "09:01:02", b, "3")));
    assert.notEqual(
      planDigest(run("Thursday 26 November 2026", "10:52:49", a, "1")),
      planDigest(run("Thursday 26 November 2026", "10:52:49", a, "1").replace("changed=1", "changed=2")),
    );
  });
});

describe("AnsibleRecapScanner", () => {
  const scan = (text: string) => {
    const s = new AnsibleRecapScanner();
    for (const line of text.split("\n")) s.add(line);
    return s;
  };
  const host = (name: string, changed: number, unreachable: number, failed: number) =>
    `${name.padEnd(26)} : ok=3    changed=${changed}    unreachable=${unreachable}    failed=${failed}    skipped=0    rescued=0    ignored=0   `;

  test("sums changed, unreachable and failed over the recap's hosts", () => {
    const s = scan(["changed: [web1]", "", "PLAY RECAP ****", host("web1", 2, 0, 0), host("web2", 1, 1, 0), host("db", 0, 0, 1), ""].join("\n"));
    assert.deepEqual(
      { seen: s.seen, hosts: s.hosts, changed: s.changed, unreachable: s.unreachable, failed: s.failed },
      { seen: true, hosts: 3, changed: 3, unreachable: 1, failed: 1 },
    );
  });

  test("a recap listing no host, and no recap at all", () => {
    const none = scan("PLAY [all] ****\nskipping: no hosts matched\n\nPLAY RECAP ****\n\n");
    assert.equal(none.seen, true);
    assert.equal(none.hosts, 0);
    assert.equal(scan('{"plays": []}').seen, false);
  });

  test("host-like lines outside the recap are not counted", () => {
    assert.equal(scan(`${host("web1", 5, 0, 0)}\nPLAY RECAP ****\n${host("web1", 1, 0, 0)}\nlater text\n${host("web9", 7, 0, 0)}`).changed, 1);
  });
});
