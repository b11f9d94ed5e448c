import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeStored, encodeStored, eventFrom, MAX_REASON_LENGTH, normaliseInput } from "../../../src/audit/event.ts";
import { signBody } from "../../../src/audit/exporter.ts";
import { createRedactor } from "../../../src/runner/redact.ts";
import { bearerAllowed } from "../../../src/server/api/auth.ts";

const redact = createRedactor(["s3cr3t-value"]);

test("absent and empty fields are omitted; kind and via are never rewritten", () => {
  const e = normaliseInput({ kind: "plan", actor: "alice", repo: "acme/app", via: "push", sha: "", reason: undefined, pull: 3 }, redact);
  assert.deepEqual(e, { kind: "plan", actor: "alice", repo: "acme/app", pull: 3, via: "push" });
});

test("every text field goes through the redactor, line by line", () => {
  const e = normaliseInput(
    { kind: "apply", actor: "alice", repo: "acme/app", via: "comment", reason: "a s3cr3t-value\nb s3cr3t-value", outcome: "s3cr3t-value" },
    redact,
  );
  assert.equal(e.reason, "a ***\nb ***");
  assert.equal(e.outcome, "***");
  assert.ok(!JSON.stringify(e).includes("s3cr3t-value"));
});

test("a reason is bounded", () => {
  const e = normaliseInput({ kind: "plan", actor: "a", repo: "o/r", via: "push", reason: "x".repeat(10_000) }, redact);
  assert.equal(e.reason!.length, MAX_REASON_LENGTH);
});

test("an event read back gets its id and its time from the stream id, fields in the documented order", () => {
  const e = eventFrom("1764150000000-3", { via: "api", repo: "o/r", actor: "api", kind: "lock.released", project: "p" });
  assert.deepEqual(Object.keys(e), ["id", "at", "kind", "actor", "repo", "project", "via"]);
  assert.equal(e.at, new Date(1764150000000).toISOString());
});

test("the export signature is the HMAC-SHA256 of the exact body", () => {
  // Known answer: echo -n '{"id":"1-0"}' | openssl dgst -sha256 -hmac secret
  assert.equal(signBody('{"id":"1-0"}', "secret"), "sha256=dc0bebc64fea4723c6d2584bdf821a0cc33ea12a93ce26fd717f07ff0641b424");
  assert.match(signBody("x", "k"), /^sha256=[0-9a-f]{64}$/);
  assert.notEqual(signBody("x", "k"), signBody("x ", "k"));
});

test("the bearer check accepts exactly the configured token", () => {
  assert.equal(bearerAllowed("Bearer abc-token-0123456789", "abc-token-0123456789"), true);
  assert.equal(bearerAllowed("bearer abc-token-0123456789", "abc-token-0123456789"), true);
  assert.equal(bearerAllowed("Bearer abc-token-012345678", "abc-token-0123456789"), false);
  assert.equal(bearerAllowed("Bearer abc-token-0123456789", undefined), false);
  assert.equal(bearerAllowed(undefined, "abc-token-0123456789"), false);
  assert.equal(bearerAllowed("abc-token-0123456789", "abc-token-0123456789"), false);
  assert.equal(bearerAllowed("Bearer a b", "a b"), false);
});

test("the stored form is positional and round-trips every field", () => {
  const full = {
    kind: "apply" as const,
    actor: "carol",
    repo: "acme/app",
    pull: 7,
    sha: "a".repeat(40),
    project: "net",
    environment: "production",
    outcome: "changes",
    reason: "why",
    plan_digest: "d".repeat(64),
    delivery: "dlv",
    via: "comment" as const,
  };
  assert.deepEqual(decodeStored(encodeStored(full)), full);
  const sparse = { kind: "plan" as const, actor: "slipway", repo: "o/r", via: "push" as const };
  assert.deepEqual(decodeStored(encodeStored(sparse)), sparse);
  assert.ok(!encodeStored(full).includes('"actor"'), "no field names stored");
});
