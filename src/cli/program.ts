/**
 * The command-line program: commander wiring, one module per command under commands/, and the one
 * place where errors become a single line and an exit status.
 */
import { Command, CommanderError } from "commander";
import { SmimetrustError, UsageError } from "../errors.js";
import { COMMANDS } from "./commands/index.js";
import type { CliContext, ExitCode } from "./context.js";

export const VERSION = "0.1.0";

export async function run(argv: readonly string[], ctx: CliContext): Promise<ExitCode> {
  let code: ExitCode = 0;
  const program = new Command("smimetrust")
    .description("Build, check and apply the S/MIME trust list of Exchange Online")
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out.stdout(s),
      writeErr: (s) => ctx.out.stderr(s),
      outputError: (s, write) => write(s),
    });
  for (const register of COMMANDS) {
    register(program, ctx, (c) => {
      code = c;
    });
  }
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return code;
  } catch (e) {
    return handleError(e, ctx);
  }
}

export function handleError(e: unknown, ctx: CliContext): ExitCode {
  if (e instanceof CommanderError) {
    // --help and --version exit through here with code 0.
    if (e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    return 2;
  }
  if (e instanceof SmimetrustError) {
    ctx.out.stderr(`smimetrust: ${e.describe()}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  ctx.out.stderr(`smimetrust: internal error: ${msg}\n`);
  if (ctx.env.SMIMETRUST_DEBUG && e instanceof Error && e.stack) ctx.out.stderr(`${e.stack}\n`);
  return 2;
}

/** Parses a time option: ISO 8601 or a Unix timestamp in seconds. */
export function parseTime(value: string, option = "--at"): number {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(
      `${option}: '${value}' is not a date (use ISO 8601, e.g. 2026-01-31T12:00:00Z, or Unix seconds)`,
    );
  return t;
}

export function parseIntOption(value: string, option: string, min = 0): number {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`${option}: '${value}' is not a whole number >= ${min}`);
  return Number(value);
}

/** Collects repeated options into an array (commander helper). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
