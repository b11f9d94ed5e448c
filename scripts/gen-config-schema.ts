// Writes docs/slipway.schema.json from the zod schema that validates .slipway.yml, so editors
// (`# yaml-language-server: $schema=<url of this file>`) check the same rules Slipway does.
// Run after changing src/repo-config/schema.ts: npx tsx scripts/gen-config-schema.ts
// (test/unit/repo-config/config-json-schema.test.ts fails while the file is stale).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "../src/repo-config/config-json-schema.ts";

const target = fileURLToPath(new URL("../docs/slipway.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
