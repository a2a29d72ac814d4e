/** `smimetrust exchange export-script`: the PowerShell that exports Get-SmimeConfig to JSON (templates/export.ps1). */
import type { Command } from "commander";
import { generateExportScript } from "../../../exchange/script.js";
import { writeFileAtomic } from "../../../io/files.js";
import type { CliContext, ExitCode } from "../../context.js";
import { VERSION } from "../../options.js";
import { type ConnectOpts, checkOutputs, connectDefaults, connectOptions, printJson } from "./shared.js";

export function registerExportScript(
  exchange: Command,
  ctx: CliContext,
  done: (code: ExitCode) => void,
): void {
  connectOptions(
    exchange
      .command("export-script")
      .description(
        "write the PowerShell that exports Get-SmimeConfig (every property, the trust list as base64) to JSON",
      )
      .requiredOption("-o, --output <file>", "the .ps1 to write")
      .option("--export-file <file>", "default -OutFile of the script", "smime-export.json")
      .option("--force", "replace the output file if it exists")
      .option("--json", "print what was written as JSON"),
  ).action((opts: ConnectOpts & { output: string; exportFile: string; force?: boolean; json?: boolean }) => {
    const text = generateExportScript({
      connect: connectDefaults(opts),
      meta: { version: VERSION, generatedAt: ctx.now() },
      outFile: opts.exportFile,
    });
    checkOutputs([opts.output], opts.force);
    writeFileAtomic(opts.output, text, { force: opts.force });
    if (opts.json) printJson(ctx, { written: [opts.output], exportFile: opts.exportFile });
    else
      ctx.out.stdout(
        `wrote ${opts.output}\n  run it in PowerShell, then: smimetrust exchange plan --current ${opts.exportFile}\n`,
      );
    done(0);
  });
}
