/**
 * `smimetrust exchange wire-check` (preview): confirms on a test tenant that the trust-list parameter's wire
 * format (inferred from public clients) round-trips: read the current list, save it as a backup, upload the
 * very same bytes, read them back and compare the SHA-256. Nothing changes when it works.
 */
import type { Command } from "commander";
import { RefusedError } from "../../../errors.js";
import { byteArrayShape } from "../../../exchange-api/client.js";
import { readLive, sha256Hex } from "../../../exchange-api/live.js";
import { connect } from "../../../exchange-api/run.js";
import type { CliContext, ExitCode } from "../../context.js";
import { backupSaver, type LiveOpts, liveOptions, singleConnection } from "./live.js";
import { printJson } from "./shared.js";

export function registerWireCheck(exchange: Command, ctx: CliContext, done: (code: ExitCode) => void): void {
  liveOptions(
    exchange
      .command("wire-check")
      .description(
        "preview, for a test tenant: upload the tenant's own trust list again, byte for byte, and check it reads back the same (confirms the wire format)",
      )
      .option("--backup-dir <folder>", "where the backup of the current configuration is saved", ".")
      .option("--json", "print the result as JSON"),
    false,
  ).action(async (opts: LiveOpts & { backupDir: string; json?: boolean }) => {
    const conn = singleConnection(opts, ctx);
    const { client } = connect(conn);
    const before = await readLive(client, `tenant ${conn.tenant}`);
    const shapeRead = byteArrayShape(before.raw.SMIMECertificateIssuingCA);
    const bytes = before.export.trustListBytes;
    if (!bytes)
      throw new RefusedError(
        `tenant ${conn.tenant} has no trust list to upload again; upload one first (exchange apply), then run wire-check`,
      );
    const backup = backupSaver(opts.backupDir, ctx.now())(before.json);
    ctx.out.stderr(`Saved the current configuration to ${backup}\n`);
    await client.setSmimeConfig({ SMIMECertificateIssuingCA: bytes });
    const after = await readLive(client, `tenant ${conn.tenant}`);
    const want = sha256Hex(bytes);
    const got = after.export.trustListSha256;
    const same = got === want;
    if (opts.json)
      printJson(ctx, {
        tenant: conn.tenant,
        confirmed: same,
        sha256: want,
        readBack: got,
        returnedAs: shapeRead,
        backup,
      });
    else
      ctx.out.stdout(
        [
          `Read ${bytes.length} bytes (SHA-256 ${want}); Get-SmimeConfig returned them as ${shapeRead}.`,
          `Uploaded the same bytes as {"@odata.type":"#Exchange.ByteArrayType","Data":[...]}; read back SHA-256 ${got ?? "(no trust list)"}.`,
          same
            ? "Confirmed: the trust list round-trips byte for byte over InvokeCommand."
            : `Not confirmed: the list read back differs. Restore it with: smimetrust exchange apply --backup ${backup} (or the PowerShell rollback-script).`,
          "",
        ].join("\n"),
      );
    done(same ? 0 : 1);
  });
}
