/**
 * `smimetrust exchange export` (preview): Get-SmimeConfig straight from Exchange Online, written as the
 * same export JSON the export script writes (every property by its own name, the trust list as base64).
 */
import type { Command } from "commander";
import { runTenant } from "../../../exchange-api/run.js";
import { writeFileAtomic } from "../../../io/files.js";
import { oneLine } from "../../../lib/text.js";
import type { CliContext, ExitCode } from "../../context.js";
import { type LiveOpts, liveOptions, outcomeJson, singleConnection } from "./live.js";
import { checkOutputs, printJson } from "./shared.js";

export function registerExport(exchange: Command, ctx: CliContext, done: (code: ExitCode) => void): void {
  liveOptions(
    exchange
      .command("export")
      .description(
        "preview: read Get-SmimeConfig from Exchange Online (no PowerShell) and write the export JSON",
      )
      .requiredOption("-o, --output <file>", "the export JSON to write")
      .option("--force", "replace the output file if it exists")
      .option("--json", "print what was read as JSON"),
    false,
  ).action(async (opts: LiveOpts & { output: string; force?: boolean; json?: boolean }) => {
    const conn = singleConnection(opts, ctx);
    checkOutputs([opts.output], opts.force);
    const r = await runTenant(conn.tenant, conn, "export", undefined, {
      now: ctx.now(),
      log: (line) => ctx.out.stderr(`${oneLine(line)}\n`),
    });
    writeFileAtomic(opts.output, r.json ?? "", { force: opts.force });
    const c = r.current;
    if (opts.json)
      printJson(ctx, { ...outcomeJson(r), written: [opts.output], sha256: c?.trustListSha256 ?? null });
    else
      ctx.out.stdout(
        [
          `wrote ${opts.output}`,
          `  trust list: ${c?.trustListBytes?.length ?? 0} bytes, ${c?.certificates.length ?? 0} certificates, SHA-256 ${c?.trustListSha256 ?? "(no trust list)"}`,
          `  SMIMECertificatesExpiryDate: ${c?.expiryDate ?? "(not set)"}`,
          `  SMIMEExpiredCertificateThumbprint: ${c?.expiryThumbprint ?? "(not set)"}`,
          "",
        ].join("\n"),
      );
    done(0);
  });
}
