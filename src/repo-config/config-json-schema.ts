// The JSON Schema of `.slipway.yml`, derived from the zod schema: editors get the same truth.
import { z } from "zod";
import { RepoConfigSchema } from "./schema.ts";

export const CONFIG_SCHEMA_ID = "https://github.com/slipway/slipway/docs/slipway.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  // io "input": the file as a user writes it, where every defaulted key is optional.
  const generated = z.toJSONSchema(RepoConfigSchema, { io: "input", target: "draft-2020-12" });
  return { ...generated, $id: CONFIG_SCHEMA_ID, title: ".slipway.yml" };
}
