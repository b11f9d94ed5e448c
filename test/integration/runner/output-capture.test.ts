import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OutputCapture } from "../../../src/runner/output-capture.ts";
import { runPhase } from "../../../src/runner/run-phase.ts";
import { sh } from "./process-helpers.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-capture-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function feed(capture: OutputCapture, chunks: string[]): Promise<void> {
  const input = capture.createInput();
  for (const c of chunks) input.write(Buffer.from(c));
  await new Promise<void>((resolve, reject) => input.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

describe("OutputCapture", () => {
  test("keeps head and tail with a marker where the middle was dropped", async () => {
    const capture = new OutputCapture({ headBytes: 20, tailBytes: 21, logFile: join(dir, "small.log") });
    const lines = Array.from({ length: 10 }, (_, i) => `line-${i}`); // 7 bytes each with newline
    await feed(capture, [lines.join("\n") + "\n"]);
    await capture.close();
    assert.equal(capture.truncated, true);
    assert.equal(capture.lineCount, 10);
    assert.equal(capture.totalBytes, 70);
    const text = capture.text().split("\n");
    assert.deepEqual(text.slice(0, 2), ["line-0", "line-1"]);
    assert.match(text[2]!, /^\[… 5 lines \(35 B\) omitted here; full log: .*small\.log …\]$/);
    assert.deepEqual(text.slice(3), ["line-7", "line-8", "line-9"]);
    assert.equal(await readFile(join(dir, "small.log"), "utf8"), lines.join("\n") + "\n");
  });

  test("no marker and not truncated when everything fits", async () => {
    const capture = new OutputCapture();
    await feed(capture, ["a\n", "b"]);
    await capture.close();
    assert.equal(capture.text(), "a\nb");
    assert.equal(capture.truncated, false);
  });

  test("a single line longer than the tail keeps its end", async () => {
    const capture = new OutputCapture({ headBytes: 4, tailBytes: 10 });
    await feed(capture, ["ab\n", "0123456789ABCDEFGHIJ\n"]);
    assert.equal(capture.truncated, true);
    assert.match(capture.text(), /^ab\n\[… .*\]\nBCDEFGHIJ$/);
  });

  test("cleans lines before the log file sees them", async () => {
    const log = join(dir, "clean.log");
    const capture = new OutputCapture({ logFile: log, redact: (l) => l.replaceAll("pa55word", "***") });
    await feed(capture, ["\u001b[32mok\u001b[0m pa5", "5word\n"]);
    await capture.close();
    assert.equal(await readFile(log, "utf8"), "ok ***\n");
    assert.equal(capture.text(), "ok ***");
  });
});

describe("a step printing 50 MB", () => {
  test("bounded output, right totals, complete log, bounded memory", async () => {
    const lineText = "0123456789".repeat(10); // 100 chars + newline = 101 bytes a line
    const lines = 519_100; // 52,429,100 bytes ≈ 50 MB
    const total = lines * 101;
    const log = join(dir, "big.log");
    const run = (bytes: number) =>
      runPhase({
        phase: "plan",
        steps: [{ argv: sh(`yes ${lineText} | head -c ${bytes}`) }],
        cwd: dir,
        env: { PATH: process.env.PATH ?? "" },
        defaultTimeoutMs: 60_000,
        redact: (l) => l,
        logFile: log,
      });
    // Warm-up: the first run grows V8's young generation and loads code (~15-20 MiB, once);
    // what must stay bounded is what the output's size adds.
    await run(10 * 1024 * 1024);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    let result;
    try {
      result = await run(total);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMiB = (peak - baseline) / 1024 / 1024;
    console.log(`50 MB step: RSS growth ${growthMiB.toFixed(1)} MiB, ${Date.now() - started} ms`);

    assert.equal(result.status, "no_changes");
    assert.equal(result.truncated, true);
    const echo = `$ sh -c 'yes ${lineText} | head -c ${total}'\n`;
    assert.equal(result.totalBytes, Buffer.byteLength(echo) + total);
    assert.ok(result.output.length < 600 * 1024, `output kept ${result.output.length} chars`);
    assert.match(result.output, /\[… \d+ lines \(\d+\.\d MiB\) omitted here; full log: .*big\.log …\]/);
    assert.ok(result.output.endsWith(`\n${lineText}`));
    assert.equal((await stat(log)).size, result.totalBytes);
    assert.equal(await countLines(log), lines + 1);
    assert.ok(growthMiB < 64, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
  });
});

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}
