import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRedactor, secretNamesPattern, secretValues } from "../../../src/runner/redact.ts";

describe("secretNamesPattern", () => {
  test("matches the SPEC suffixes and the extra names, nothing else", () => {
    const p = secretNamesPattern(["DB_URL", " VAULT "]);
    for (const name of ["GITHUB_TOKEN", "AWS_SECRET", "PG_PASSWORD", "SSH_KEY", "aws_secret_key", "DB_URL", "VAULT"]) {
      assert.ok(p.test(name), name);
    }
    for (const name of ["TOKEN", "_KEY", "KEYBOARD", "PATH", "MY_KEYS", "DB_URL2", "XDB_URL", "HOME"]) {
      assert.ok(!p.test(name), name);
    }
  });

  test("an extra name with regex characters is taken literally", () => {
    const p = secretNamesPattern(["A.B"]);
    assert.ok(p.test("A.B"));
    assert.ok(!p.test("AxB"));
  });
});

describe("secretValues", () => {
  test("collects values of secret names, skipping short, empty and undefined ones", () => {
    const values = secretValues({ GH_TOKEN: "ghs_abcdef", X_KEY: "abc", Y_SECRET: "", Z_PASSWORD: undefined, PLAIN: "visible1", CONN: "pg://u:p@h" }, ["CONN"]);
    assert.deepEqual(values.sort(), ["ghs_abcdef", "pg://u:p@h"]);
  });

  test("deduplicates a value shared by two names", () => {
    assert.deepEqual(secretValues({ A_TOKEN: "same-value", B_TOKEN: "same-value" }, []), ["same-value"]);
  });
});

describe("createRedactor", () => {
  test("replaces every occurrence anywhere in a line", () => {
    const r = createRedactor(["hunter22"]);
    assert.equal(r("pw=hunter22;again:hunter22hunter22."), "pw=***;again:******.");
  });

  test("the longest value wins when one secret contains another", () => {
    const r = createRedactor(["abcd", "abcdefgh"]);
    assert.equal(r("x abcdefgh y abcd z"), "x *** y *** z");
  });

  test("ignores values shorter than 4 characters and empty ones", () => {
    const r = createRedactor(["", "on", "dev", "real-secret"]);
    assert.equal(r("development on real-secret"), "development on ***");
  });

  test("values with regex metacharacters are matched literally", () => {
    const r = createRedactor(["a.b*c(d)"]);
    assert.equal(r("x a.b*c(d) axbbbc(d)"), "x *** axbbbc(d)");
  });

  test("a multi-line secret is redacted line by line", () => {
    const r = createRedactor(["-----BEGIN KEY-----\nMIIEowIBAAKCAQEA\n-----END KEY-----"]);
    assert.equal(r("MIIEowIBAAKCAQEA"), "***");
    assert.equal(r("-----BEGIN KEY-----"), "***");
  });

  test("no secrets: lines pass through untouched", () => {
    assert.equal(createRedactor([])("anything"), "anything");
  });
});
