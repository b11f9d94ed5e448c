// `drift.schedule` is handed to a BullMQ job scheduler, which reads it with cron-parser: the same
// package (declared at BullMQ's version) validates it here, so a schedule that passes is one BullMQ
// runs, and one BullMQ would refuse fails in the config check instead of in a deploy job.
import { CronExpressionParser, type CronExpression } from "cron-parser";

export const SCHEDULE_HINT = 'write 5 fields: minute hour day-of-month month day-of-week (or 6, seconds first), or a macro such as @daily; e.g. "0 */6 * * *"';

/** Why BullMQ would not run `expression` as written, or undefined when it would. */
export function driftScheduleProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  const macro = trimmed.startsWith("@");
  // cron-parser reads fewer than 5 fields (even none) by filling in defaults, so a field left out
  // by mistake would silently run at another time ("0 */6 * *" on every 6th day, "" every minute).
  const fields = trimmed === "" ? 0 : trimmed.split(/\s+/).length;
  if (!macro && fields < 5) return `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found ${fields}`;

  let parsed: CronExpression;
  try {
    // As BullMQ parses a scheduler's pattern: not strict, from now.
    parsed = CronExpressionParser.parse(expression, { currentDate: new Date() });
  } catch (err) {
    // cron-parser's own word for a bad macro names a 3-letter prefix of it ('cannot resolve alias "hou"').
    if (macro) return `"${expression}" is not a macro cron-parser knows (they are lower case: @hourly, @daily, @weekly, @monthly, …)`;
    return err instanceof Error ? err.message : String(err);
  }
  try {
    parsed.next();
  } catch {
    // BullMQ then schedules nothing, and says nothing.
    return "no date matches it, so it would never run";
  }
  return undefined;
}
