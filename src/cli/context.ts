import type { Command } from "commander";
import type { Out } from "./output.js";

/** What a command needs from the outside world; tests pass their own. */
export interface CliContext {
  out: Out;
  /** The clock, in ms since the epoch. */
  now: () => number;
  env: NodeJS.ProcessEnv;
  /** What an input given as '-' reads (main.ts: process.stdin; in-process tests pass their own or none). */
  stdin?: NodeJS.ReadableStream;
}

/** A command's action result: the exit status (0 good, 1 problems found, 2 could not run). */
export type ExitCode = 0 | 1 | 2;

/** Each command module adds itself to the program; `done` records the exit status. */
export type RegisterCommand = (program: Command, ctx: CliContext, done: (code: ExitCode) => void) => void;
