import type { RegisterCommand } from "../context.js";
import { registerBuild } from "./build.js";
import { registerChain } from "./chain.js";
import { registerCheck } from "./check.js";
import { registerDiff } from "./diff.js";
import { registerExchange } from "./exchange/index.js";
import { registerInspect } from "./inspect.js";
import { registerMonitor } from "./monitor.js";
import { registerServe } from "./serve.js";
import { registerSummary } from "./summary.js";
import { registerVerify } from "./verify.js";

export type { RegisterCommand };

/** In the order `smimetrust --help` lists them: read, build, validate, verify, audit, watch, apply. */
export const COMMANDS: RegisterCommand[] = [
  registerInspect,
  registerBuild,
  registerChain,
  registerVerify,
  registerSummary,
  registerCheck,
  registerDiff,
  registerMonitor,
  registerServe,
  registerExchange,
];
