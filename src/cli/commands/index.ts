import type { Command } from "commander";
import type { CliContext, ExitCode } from "../context.js";
import { registerBuild } from "./build.js";
import { registerChain } from "./chain.js";
import { registerCheck } from "./check.js";
import { registerDiff } from "./diff.js";
import { registerExchange } from "./exchange.js";
import { registerInspect } from "./inspect.js";
import { registerMonitor } from "./monitor.js";
import { registerVerify } from "./verify.js";

/** Each command module adds itself to the program; `done` records the exit status. */
export type RegisterCommand = (program: Command, ctx: CliContext, done: (code: ExitCode) => void) => void;

export const COMMANDS: RegisterCommand[] = [
  registerInspect,
  registerBuild,
  registerCheck,
  registerDiff,
  registerMonitor,
  registerExchange,
  registerChain,
  registerVerify,
];
