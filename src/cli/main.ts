#!/usr/bin/env node
import { defaultOut } from "./output.js";
import { run } from "./program.js";

const code = await run(process.argv.slice(2), { out: defaultOut(), now: () => Date.now(), env: process.env });
process.exitCode = code;
