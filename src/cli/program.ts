/**
 * The command-line program: commander wiring, one module per command under commands/, and the one
 * place where errors become a single line and an exit status.
 */
import { Command, CommanderError } from "commander";
import { SmimetrustError, UnreadableFilesError } from "../errors.js";
import { COMMANDS } from "./commands/index.js";
import type { CliContext, ExitCode } from "./context.js";
import { VERSION } from "./options.js";

export { VERSION };

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
    return handleError(e, ctx, argv.includes("--json"));
  }
}

/**
 * Turns an error into its one line on stderr and exit status 2. Errors that list many items (unreadable
 * files, certificates Exchange would refuse) show the first few with a count of the rest on stderr, and, with
 * --json, every one of them in `{"error": {...}}` on stdout.
 */
export function handleError(e: unknown, ctx: CliContext, json = false): ExitCode {
  if (e instanceof CommanderError) {
    // --help and --version exit through here with code 0.
    if (e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    return 2;
  }
  if (e instanceof UnreadableFilesError) {
    for (const line of e.lines()) ctx.out.stderr(`smimetrust: ${line}\n`);
    if (json) ctx.out.stdout(`${JSON.stringify({ error: e.toJson() }, null, 2)}\n`);
    return 2;
  }
  if (e instanceof SmimetrustError) {
    ctx.out.stderr(`smimetrust: ${e.describe()}\n`);
    const detail = (e as { toJson?: () => unknown }).toJson;
    if (json && typeof detail === "function")
      ctx.out.stdout(`${JSON.stringify({ error: detail.call(e) }, null, 2)}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  ctx.out.stderr(`smimetrust: internal error: ${msg}\n`);
  if (ctx.env.SMIMETRUST_DEBUG && e instanceof Error && e.stack) ctx.out.stderr(`${e.stack}\n`);
  return 2;
}
