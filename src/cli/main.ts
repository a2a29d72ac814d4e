#!/usr/bin/env node
import { defaultOut } from "./output.js";
import { run } from "./program.js";

// Output that cannot be written (a reader that stopped early, as `| head` does) ends the run without a stack
// trace, with status 2: the job was not finished.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") process.stderr.write(`smimetrust: cannot write the output: ${e.message}\n`);
  process.exit(2);
});
process.stderr.on("error", () => process.exit(2));

const code = await run(process.argv.slice(2), {
  out: defaultOut(process.env),
  now: () => Date.now(),
  env: process.env,
  stdin: process.stdin,
});
process.exitCode = code;
