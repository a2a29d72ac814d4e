/** `smimetrust exchange rollback-script`: the PowerShell that restores a backup the apply script saved (templates/apply.ps1). */

import { basename } from "node:path";
import type { Command } from "commander";
import { readSmimeExport } from "../../../exchange/export.js";
import { generateApplyScript, rollbackSettings } from "../../../exchange/script.js";
import { readInputFile, writeFileAtomic } from "../../../io/files.js";
import { digest, hexUpper } from "../../../lib/bytes.js";
import { LIST_MAX, listSome } from "../../../lib/list.js";
import { oneLine } from "../../../lib/text.js";
import { buildTrustStore, ExchangeRefusalError } from "../../../trust/build-store.js";
import type { CliContext, ExitCode } from "../../context.js";
import { VERSION } from "../../options.js";
import { isoDate, isoTime } from "../../output.js";
import {
  type ConnectOpts,
  checkOutputs,
  connectDefaults,
  connectOptions,
  listed,
  printJson,
} from "./shared.js";

export function registerRollbackScript(
  exchange: Command,
  ctx: CliContext,
  done: (code: ExitCode) => void,
): void {
  connectOptions(
    exchange
      .command("rollback-script")
      .description(
        "write the PowerShell that restores a backup saved by the apply script (trust list bytes and settings, verified)",
      )
      .argument("<backup>", "smime-backup-<time>.json (or an export)")
      .requiredOption("-o, --output <file>", "the .ps1 to write")
      .option(
        "--drop-expired",
        "leave certificates that have expired since the backup out (Exchange refuses them)",
      )
      .option("--force", "replace the output file if it exists")
      .option("--json", "print what was written as JSON"),
  ).action(
    (
      backupFile: string,
      opts: ConnectOpts & { output: string; dropExpired?: boolean; force?: boolean; json?: boolean },
    ) => {
      const backup = readSmimeExport(readInputFile(backupFile), backupFile);
      const now = ctx.now();
      let bytes = backup.trustListBytes;
      let certs = backup.certificates;
      if (bytes) {
        const expired = certs.filter((c) => c.notAfter < now);
        if (expired.length && !opts.dropExpired) {
          throw new ExchangeRefusalError(
            "ERR_EXPIRED_IN_LIST",
            `Exchange would refuse to restore this trust list: ${expired.length > LIST_MAX ? `${expired.length} expired certificates: ` : ""}${listSome(expired.map((c) => `'${oneLine(c.name)}' (${c.sha1}) expired ${isoDate(c.notAfter)}`))}; use --drop-expired to restore it without them${expired.length > LIST_MAX ? " (--json lists them all)" : ""}`,
            expired,
            backupFile,
          );
        }
        if (expired.length) {
          const rebuilt = buildTrustStore(certs, { now, dropExpired: true });
          bytes = rebuilt.bytes;
          certs = rebuilt.certificates;
          for (const c of expired)
            ctx.out.stderr(
              `warning: left out '${oneLine(c.name)}' (${c.sha1}): expired ${isoTime(c.notAfter)}\n`,
            );
        }
      }
      checkOutputs([opts.output], opts.force);
      const settings = rollbackSettings(backup.settings);
      const text = generateApplyScript({
        purpose: "rollback",
        trust: bytes ? { kind: "embed", bytes } : { kind: "clear" },
        certificates: certs.map(listed),
        settings,
        connect: connectDefaults(opts),
        meta: { version: VERSION, generatedAt: now, source: backupFile },
      });
      writeFileAtomic(opts.output, text, { force: opts.force });
      if (opts.json) {
        printJson(ctx, {
          written: [opts.output],
          trustList: bytes
            ? { certificates: certs.length, bytes: bytes.length, sha256: hexUpper(digest("sha256", bytes)) }
            : null,
          settings: Object.fromEntries(settings),
        });
        done(0);
        return;
      }
      ctx.out.stdout(
        [
          `wrote ${opts.output}`,
          `  restores:  ${bytes ? `trust list of ${certs.length} certificates, ${bytes.length} bytes (embedded)` : "an empty trust list (clears it)"}, ${settings.length} settings`,
          `  review it, then: pwsh ./${basename(opts.output)}${opts.upn || opts.appId ? "" : " -UserPrincipalName admin@contoso.com"} -WhatIf`,
          "",
        ].join("\n"),
      );
      done(0);
    },
  );
}
