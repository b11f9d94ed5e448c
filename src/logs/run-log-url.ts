// The console page of a run, where its whole log is: the one place that builds the address.

/**
 * `${publicUrl}/runs/${encodeURIComponent(runId)}`. Run ids hold `/` (BullMQ job ids), and may
 * hold `(`, `)`, `'`, `!` or `*` (an environment's name), which encodeURIComponent leaves alone
 * but would end a Markdown link: those are percent-encoded too, which decodes the same.
 */
export function runLogUrl(publicUrl: string, runId: string): string {
  const id = encodeURIComponent(runId).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${publicUrl.replace(/\/+$/, "")}/runs/${id}`;
}
