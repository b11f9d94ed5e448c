import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import { configJsonSchema } from "../../../src/repo-config/config-json-schema.ts";
import { SPEC_EXAMPLE } from "./spec-example.ts";

const committed = JSON.parse(readFileSync(new URL("../../../docs/slipway.schema.json", import.meta.url), "utf8")) as Record<string, unknown>;

test("docs/slipway.schema.json is what scripts/gen-config-schema.ts generates from the zod schema", () => {
  assert.deepEqual(committed, configJsonSchema(), "stale: run `npx tsx scripts/gen-config-schema.ts` and keep the output");
});

test("the JSON Schema accepts the SPEC example and rejects a typo, like the parser", () => {
  const validate = new Ajv2020({ strict: false }).compile(committed);
  assert.equal(validate(load(SPEC_EXAMPLE)), true, JSON.stringify(validate.errors));
  assert.equal(validate(load("version: 1\nprojects:\n  - dir: a\n    when_modifed: ['**']\n")), false);
  assert.equal(validate(load("version: 1\napply: on_merge\n")), false);
  assert.equal(validate(load("projects: []\n")), false);
});

test("every field in the JSON Schema has a description", () => {
  const missing: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== "object") return;
    const schema = node as Record<string, unknown>;
    for (const [key, child] of Object.entries((schema["properties"] ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof child["description"] !== "string") missing.push(`${path}.${key}`);
      walk(child, `${path}.${key}`);
    }
    walk(schema["items"], `${path}[]`);
    walk(schema["additionalProperties"], `${path}.*`);
    for (const option of (schema["anyOf"] ?? []) as unknown[]) walk(option, path);
  };
  walk(committed, "");
  assert.deepEqual(missing, []);
});
