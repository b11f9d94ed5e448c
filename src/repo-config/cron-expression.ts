// A small check of a standard 5-field cron expression (minute hour day-of-month month day-of-week),
// the form BullMQ's job schedulers accept. Returns why it is invalid, or undefined when it is valid.

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in most cron implementations.
  { name: "day of week", min: 0, max: 7, names: DAYS },
];

export function cronExpressionProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim().startsWith("@")) return "macros such as @daily are not supported; write the 5 fields";
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    const spec = FIELDS[i] as FieldSpec;
    const problem = fieldProblem(fields[i] as string, spec);
    if (problem !== undefined) return `${spec.name} field "${fields[i]}": ${problem}`;
  }
  return undefined;
}

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  for (const item of field.split(",")) {
    const [range = "", step, extra] = item.split("/");
    if (extra !== undefined) return "more than one `/`";
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return `step "${step}" must be a positive whole number`;
    if (range === "*") continue;
    const [from = "", to, more] = range.split("-");
    if (more !== undefined) return `"${range}" is not a range a-b`;
    const a = valueOf(from, spec);
    if (a === undefined) return `"${from}" is not allowed (${spec.min}-${spec.max})`;
    if (to === undefined) continue;
    const b = valueOf(to, spec);
    if (b === undefined) return `"${to}" is not allowed (${spec.min}-${spec.max})`;
    if (a > b) return `range "${range}" runs backwards`;
  }
  return undefined;
}

function valueOf(token: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return spec.names === MONTHS ? named + 1 : named;
  if (!/^[0-9]+$/.test(token)) return undefined;
  const n = Number(token);
  return n >= spec.min && n <= spec.max ? n : undefined;
}
