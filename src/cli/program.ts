/**
 * The command-line program: commander wiring, one module per command under commands/, and the one
 * place where errors become a single line and an exit status.
 */
import { Command, CommanderError } from "commander";
import { SmimetrustError, UnreadableFilesError } from "../errors.js";
import { redactSecrets } from "../lib/redact.js";
import { oneLine } from "../lib/text.js";
import { commandsFor } from "./commands/index.js";
import type { CliContext, ExitCode } from "./context.js";
import { VERSION } from "./options.js";
import { terminalOut, writeData } from "./output.js";

export { VERSION };

export async function run(argv: readonly string[], given: CliContext): Promise<ExitCode> {
  let code: ExitCode = 0;
  // --no-color applies to every command, wherever it is given (before a lone "--").
  const end = argv.indexOf("--");
  const noColor = argv.some((a, i) => a === "--no-color" && (end < 0 || i < end));
  if (noColor) argv = argv.filter((a, i) => a !== "--no-color" || (end >= 0 && i > end));
  // The output edge: every text line the commands write has hostile characters shown escaped.
  const ctx: CliContext = {
    ...given,
    out: terminalOut(noColor ? { ...given.out, color: false } : given.out),
  };
  const program = new Command("smimetrust")
    .description("Build, check and apply the S/MIME trust list of Exchange Online")
    .version(VERSION)
    .option("--no-color", "no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)")
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out.stdout(s),
      writeErr: (s) => ctx.out.stderr(s),
      outputError: (s, write) => write(s),
    });
  for (const register of await commandsFor(argv)) {
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
    ctx.out.stderr(`smimetrust: ${oneLine(redactSecrets(e.describe()))}\n`);
    const detail = (e as { toJson?: () => unknown }).toJson;
    if (json && typeof detail === "function")
      writeData(ctx.out, `${JSON.stringify({ error: detail.call(e) }, null, 2)}\n`);
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  ctx.out.stderr(`smimetrust: internal error: ${oneLine(redactSecrets(msg))}\n`);
  if (ctx.env.SMIMETRUST_DEBUG && e instanceof Error && e.stack) ctx.out.stderr(`${e.stack}\n`);
  return 2;
}
