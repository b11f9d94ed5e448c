// Loaded into Slipway with `--import` (NODE_OPTIONS may not carry --cpu-prof): profiles the whole
// process and writes a V8 .cpuprofile into $BENCH_CPU_PROF_DIR when it exits. Bench use only.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 200 });
session.post("Profiler.start");
process.on("exit", () => {
  // A session on the process's own thread answers synchronously, so this runs before exit.
  session.post("Profiler.stop", (error, result) => {
    if (!error) writeFileSync(path.join(process.env.BENCH_CPU_PROF_DIR ?? ".", `slipway-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
