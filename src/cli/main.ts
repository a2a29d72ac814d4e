#!/usr/bin/env -S node --max-semi-space-size=16 --single-threaded
// The young generation at 16 MB per semi-space instead of V8's default: verifying 50,000 messages allocates
// short-lived objects fast, and scavenging them took 14% of the CPU (measured with bench:archive).
// --single-threaded: V8 compiles and collects garbage on the thread that needs it, not on background threads.
// On a busy machine those threads compete with the verifying threads for the cores and cost more CPU than they
// save: 50,000 messages took 3-8% less CPU with --jobs 1 and 2-5% less with --jobs 2, and --jobs 2 as much
// wall time or less (4 interleaved rounds, 2 cores). --jobs 1 then keeps to one core, as it says.
// First, before the modules below run: it changes how memory is given back for the rest of the run.
import "./malloc-threshold.js";
import { defaultOut } from "./output.js";
import { run } from "./program.js";

// Output that cannot be written (a reader that stopped early, as `| head` does) ends the run without a stack
// trace, with status 2: the job was not finished.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") process.stderr.write(`smimetrust: cannot write the output: ${e.message}\n`);
  process.exit(2);
});
process.stderr.on("error", () => process.exit(2));

const out = defaultOut(process.env);
const code = await run(process.argv.slice(2), {
  out,
  now: () => Date.now(),
  env: process.env,
  stdin: process.stdin,
});
// Results held back for fewer, larger writes go out now, so a reader that went away is exit 2, not success.
await out.flush?.();
process.exitCode = code;
