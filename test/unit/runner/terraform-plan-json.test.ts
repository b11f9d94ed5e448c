// The JSON plan reader, against small plans written by hand in terraform's documented
// `show -json` format (test/fixtures/terraform-plan-json), one per kind of change.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTerraformPlanJson, type TerraformPlanSummary } from "../../../src/runner/terraform-plan-json.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/terraform-plan-json/", import.meta.url));
const fixtureText = (name: string) => readFileSync(join(FIXTURES, `${name}.json`), "utf8");
const fixture = (name: string) => JSON.parse(fixtureText(name)) as { resource_changes: unknown[]; timestamp: string; [k: string]: unknown };

function read(doc: unknown): TerraformPlanSummary {
  const r = readTerraformPlanJson(typeof doc === "string" ? doc : JSON.stringify(doc));
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r.summary;
}

const zero = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 };

describe("readTerraformPlanJson: counts and resources per kind of change", () => {
  test("create: one to add; the unchanged resource beside it is not listed", () => {
    const s = read(fixtureText("create"));
    assert.deepEqual(s.counts, { ...zero, add: 1 });
    assert.deepEqual(s.resources, [{ address: "aws_s3_bucket.logs", action: "create" }]);
  });

  test("update: one to change", () => {
    const s = read(fixtureText("update"));
    assert.deepEqual(s.counts, { ...zero, change: 1 });
    assert.deepEqual(s.resources, [{ address: "aws_vpc.main", action: "update" }]);
  });

  test("delete: one to destroy", () => {
    const s = read(fixtureText("delete"));
    assert.deepEqual(s.counts, { ...zero, destroy: 1 });
    assert.deepEqual(s.resources, [{ address: "aws_instance.old", action: "delete" }]);
  });

  test("replace, destroy-first and create-first: each one add and one destroy, as terraform counts, and a replace", () => {
    const s = read(fixtureText("replace"));
    assert.deepEqual(s.counts, { ...zero, add: 2, destroy: 2, replace: 2 });
    // Sorted by address, whatever order the plan lists them in.
    assert.deepEqual(s.resources, [
      { address: "aws_instance.api", action: "replace" },
      { address: "aws_instance.web", action: "replace" },
    ]);
  });

  test("no-op: nothing counted, nothing listed", () => {
    const s = read(fixtureText("no-op"));
    assert.deepEqual(s.counts, zero);
    assert.deepEqual(s.resources, []);
    assert.deepEqual(s.outputs, []);
  });

  test("a data source read is listed as read but counted in none of add/change/destroy", () => {
    const s = read(fixtureText("data-read"));
    assert.deepEqual(s.counts, { ...zero, change: 1 });
    assert.deepEqual(s.resources, [
      { address: "aws_instance.web", action: "update" },
      { address: "data.aws_ami.latest", action: "read" },
    ]);
  });

  test("moved resources: listed with their previous address; a pure move is a no-op that still counts as a move", () => {
    const s = read(fixtureText("moved"));
    assert.deepEqual(s.counts, { ...zero, change: 1, move: 2 });
    assert.deepEqual(s.resources, [
      { address: "aws_vpc.network", action: "no-op", previousAddress: "aws_vpc.main" },
      { address: "module.net.aws_subnet.a", action: "update", previousAddress: "aws_subnet.a" },
    ]);
  });

  test("imported resources: a pure import and an import with an update", () => {
    const s = read(fixtureText("imported"));
    assert.deepEqual(s.counts, { ...zero, change: 1, import: 2 });
    assert.deepEqual(s.resources, [
      { address: "aws_s3_bucket.legacy", action: "no-op", importing: true },
      { address: "aws_s3_bucket.other", action: "update", importing: true },
    ]);
  });

  test("outputs-only: no resource, the changed output named, and a digest unlike a plan without changes", () => {
    const s = read(fixtureText("outputs-only"));
    assert.deepEqual(s.counts, zero);
    assert.deepEqual(s.resources, []);
    assert.deepEqual(s.outputs, ["vpc_id"]);
    assert.notEqual(s.digest, read(fixtureText("no-op")).digest);
  });

  test("a deposed object is listed with its key and destroyed", () => {
    const doc = fixture("delete");
    (doc.resource_changes[0] as Record<string, unknown>).deposed = "00000001";
    const s = read(doc);
    assert.deepEqual(s.resources, [{ address: "aws_instance.old", action: "delete", deposed: "00000001" }]);
    assert.equal(s.counts.destroy, 1);
  });
});

describe("readTerraformPlanJson: the digest", () => {
  test("the same changes listed in another order, at another time, give the same digest", () => {
    const a = fixture("replace");
    const b = fixture("replace");
    b.resource_changes.reverse();
    b.timestamp = "2027-01-01T00:00:00Z";
    // Key order inside objects is map iteration order in the tool: it must not matter either.
    const reordered = JSON.stringify(
      b,
      Object.keys(b)
        .reverse()
        .concat(...collectKeys(b).reverse()),
    );
    assert.equal(read(a).digest, read(b).digest);
    assert.equal(read(a).digest, read(reordered).digest);
  });

  test("unchanged resources do not count: a no-op whose refreshed state differs keeps the digest", () => {
    const a = fixture("create");
    const b = fixture("create");
    const noop = b.resource_changes[1] as { change: { before: Record<string, unknown>; after: Record<string, unknown> } };
    noop.change.before = { ...noop.change.before, tags: { Name: "renamed outside" } };
    noop.change.after = noop.change.before;
    assert.equal(read(a).digest, read(b).digest);
  });

  test("a different action gives a different digest", () => {
    const a = fixture("replace");
    const b = fixture("replace");
    (b.resource_changes[0] as { change: { actions: string[] } }).change.actions = ["update"];
    assert.notEqual(read(a).digest, read(b).digest);
  });

  test("the same action with a different planned value gives a different digest", () => {
    const a = fixture("update");
    const b = fixture("update");
    (b.resource_changes[0] as { change: { after: { tags: unknown } } }).change.after.tags = { Name: "production-main" };
    assert.notEqual(read(a).digest, read(b).digest);
  });

  test("every kind of plan digests differently", () => {
    const names = ["create", "update", "delete", "replace", "no-op", "data-read", "moved", "imported", "outputs-only"];
    const digests = new Set(names.map((n) => read(fixtureText(n)).digest));
    assert.equal(digests.size, names.length);
  });
});

describe("readTerraformPlanJson: refusals", () => {
  const refused = (doc: unknown) => {
    const r = readTerraformPlanJson(typeof doc === "string" ? doc : JSON.stringify(doc));
    assert.equal(r.ok, false);
    return r.ok ? "" : r.error;
  };

  test("not JSON", () => assert.match(refused("Error: plan file not found"), /not valid JSON/));
  test("another major format version", () => assert.match(refused({ ...fixture("create"), format_version: "2.0" }), /format_version "2.0"/));
  test("an action list nobody documented: refused, never guessed", () => {
    const doc = fixture("update");
    (doc.resource_changes[0] as { change: { actions: string[] } }).change.actions = ["update", "delete"];
    assert.match(refused(doc), /aws_vpc.main: unknown actions/);
  });
  test("a change without an address", () => {
    const doc = fixture("update");
    delete (doc.resource_changes[0] as { address?: string }).address;
    assert.match(refused(doc), /resource_changes\[0\]: no address/);
  });
  test("a plan without resource_changes or output_changes is an empty plan", () => {
    const s = read({ format_version: "1.0" });
    assert.deepEqual(s.resources, []);
    assert.equal(s.digest, read(fixtureText("no-op")).digest);
  });
});

/** Every object key in a document, for JSON.stringify's key allow-list (which also orders keys). */
function collectKeys(v: unknown, into: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) collectKeys(x, into);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (!into.includes(k)) into.push(k);
      collectKeys(x, into);
    }
  return into;
}
