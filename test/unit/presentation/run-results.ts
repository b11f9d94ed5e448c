// Test helper: realistic ProjectRunResult values.
import type { ProjectRunResult } from "../../../src/domain/types.ts";

export const HEAD = "3f9c2ab71d0e4c5b8a6f1e2d3c4b5a6978877665";

export function result(overrides: Partial<ProjectRunResult> & Pick<ProjectRunResult, "project">): ProjectRunResult {
  return { dir: overrides.project, status: "no_changes", output: "", truncated: false, durationMs: 1200, ...overrides };
}

export const STAGING_PLAN = [
  "Terraform used the selected providers to generate the following execution plan.",
  "Resource actions are indicated with the following symbols:",
  "  + create",
  "  ~ update in-place",
  "",
  "Terraform will perform the following actions:",
  "",
  "  # aws_vpc.main will be updated in-place",
  '  ~ resource "aws_vpc" "main" {',
  "      ~ tags = {",
  '          ~ "Name" = "staging" -> "staging-main"',
  "        }",
  "    }",
  "",
  "  # aws_subnet.a will be created",
  '  + resource "aws_subnet" "a" {',
  '      + cidr_block = "10.0.1.0/24"',
  "    }",
  "",
  "Plan: 1 to add, 1 to change, 0 to destroy.",
  "",
].join("\n");

export const NO_CHANGES = "No changes. Your infrastructure matches the configuration.\n";

/** `n` characters of plan-like output made of whole lines. */
export function bigOutput(chars: number, tag = "resource"): string {
  const line = `  + ${tag} "aws_instance" "web" { ami = "ami-0123456789abcdef0" }\n`;
  return line.repeat(Math.ceil(chars / line.length));
}

/** A project planned by the terraform workflow, whose counts and resources came from its JSON plan. */
export const JSON_PLANNED = {
  counts: { add: 2, change: 1, destroy: 1, replace: 1, import: 1, move: 1, forget: 0 },
  resourceChanges: [
    { address: "aws_instance.web", action: "replace" as const },
    { address: "aws_s3_bucket.legacy", action: "no-op" as const, importing: true },
    { address: "aws_s3_bucket.logs", action: "create" as const },
    { address: "module.net.aws_subnet.a", action: "update" as const, previousAddress: "aws_subnet.a" },
  ],
  resourceChangesTotal: 4,
};
