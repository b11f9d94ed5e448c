// Malformed `.slipway.yml` variants, each with the line its error must point at, for the fault
// e2e test (test/e2e/faults-config.test.ts). Projects and workflow are the two-projects fixture's.

export interface ConfigVariant {
  name: string;
  text: string;
  /** The line the first error must name, or the range it must fall in. */
  line: number | [number, number];
  /** What the error message must say (a clear reason, not a stack). */
  message: RegExp;
}

const HEAD = "version: 1\n";
const SHELL = 'workflows:\n  shell:\n    validate: [{run: "sh validate.sh"}]\n    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 30}]\n';
const project = (name: string, extra = "") => `  - name: ${name}\n    dir: ${name}\n    workflow: shell\n${extra}`;

/** Billion laughs: nine levels of ten aliases each expand to 10^9 scalars. */
function aliasBomb(): string {
  const lines = [HEAD, `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`];
  const names = "abcdefghi";
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]!;
    lines.push(`${names[i]}: &${names[i]} [${Array.from({ length: 10 }, () => `*${prev}`).join(",")}]\n`);
  }
  lines.push("projects:\n", project("alpha"), SHELL);
  return lines.join("");
}

export function configVariants(): ConfigVariant[] {
  return [
    {
      name: "bad YAML: a key out of line",
      text: `${HEAD}projects:\n  - name: alpha\n    dir: alpha\n   workflow: shell\n${SHELL}`,
      line: 5,
      message: /YAML syntax error/,
    },
    {
      name: "bad YAML: an unclosed flow sequence",
      text: `${HEAD}projects:\n${project("alpha", '    when_modified: ["**/*"\n')}${SHELL}`,
      line: 7,
      message: /YAML syntax error/,
    },
    {
      name: "wrong type: when_modified is a number",
      text: `${HEAD}projects:\n${project("alpha", "    when_modified: 42\n")}${SHELL}`,
      line: 6,
      message: /array|list/i,
    },
    {
      name: "wrong type: autoplan is a string",
      text: `${HEAD}autoplan: "sometimes"\nprojects:\n${project("alpha")}${SHELL}`,
      line: 2,
      message: /boolean|true|false/i,
    },
    {
      name: "unknown key: a typo of apply",
      text: `${HEAD}aply: before_merge\nprojects:\n${project("alpha")}${SHELL}`,
      line: 2,
      message: /unknown key `aply`/,
    },
    {
      name: "cycle in depends_on",
      text: `${HEAD}projects:\n${project("alpha", "    depends_on: [beta]\n")}${project("beta", "    depends_on: [alpha]\n")}${SHELL}`,
      line: 6,
      message: /cycle|circular/i,
    },
    {
      name: "a 1 MB file",
      text: `${HEAD}projects:\n${project("alpha")}${SHELL}${"# padding padding padding padding padding padding padding padding padding\n".repeat(15_000)}`,
      line: 1,
      message: /limit/,
    },
    {
      name: "a YAML alias bomb",
      text: aliasBomb(),
      line: [2, 11], // wherever the expansion passes the limit: one of the alias lines
      message: /too many YAML nodes/,
    },
    {
      name: "deeply nested flow sequences",
      text: `${HEAD}projects: ${"[".repeat(5_000)}${"]".repeat(5_000)}\n`,
      line: 2,
      message: /nest|depth/i,
    },
    {
      name: "deeply nested block mappings",
      text: `${HEAD}projects:\n${project("alpha")}${Array.from({ length: 200 }, (_, i) => `${"  ".repeat(i)}k${i}:\n`).join("")}`,
      line: [6, 206], // somewhere in the nest, past the limit's depth
      message: /nest|depth|levels/i,
    },
  ];
}
