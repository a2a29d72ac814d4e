/** `smimetrust exchange script`: the PowerShell that applies smime.config.json (templates/apply.ps1), and the .sst it uploads. */

import { unlinkSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, sep } from "node:path";
import type { Command } from "commander";
import { assertNoIssues } from "../../../exchange/config.js";
import { generateApplyScript } from "../../../exchange/script.js";
import type { SettingValue } from "../../../exchange/settings.js";
import { skippedJson, skippedSummary, writeFileAtomic } from "../../../io/files.js";
import { oneLine } from "../../../lib/text.js";
import { buildTrustStore } from "../../../trust/build-store.js";
import type { CliContext, ExitCode } from "../../context.js";
import { PFX_MAX_ITERATIONS_OPTION, VERSION } from "../../options.js";
import { isoTime } from "../../output.js";
import { purposeWarnings, warningLine } from "../build.js";
import {
  type ConnectOpts,
  checkOutputs,
  connectDefaults,
  connectOptions,
  exists,
  listed,
  loadDesired,
  printJson,
  SKIP_UNREADABLE_HELP,
} from "./shared.js";

export function registerScript(exchange: Command, ctx: CliContext, done: (code: ExitCode) => void): void {
  connectOptions(
    exchange
      .command("script")
      .description(
        "write the PowerShell that applies smime.config.json: backup, upload, settings, verification, -WhatIf",
      )
      .requiredOption("-o, --output <file>", "the .ps1 to write")
      .option("--config <file>", "the desired state", "smime.config.json")
      .option("--embed", "embed the trust list in the script (base64) instead of a .sst beside it")
      .option(
        "--sst-out <file>",
        "where to write the .sst the script uploads (default: the output's name with .sst)",
      )
      .option("--password <password>", "PKCS#12 password for trust inputs (or SMIMETRUST_PFX_PASSWORD)")
      .option("--skip-unreadable", SKIP_UNREADABLE_HELP)
      .option(...PFX_MAX_ITERATIONS_OPTION)
      .option("--force", "replace output files if they exist")
      .option("--json", "print what was written as JSON"),
  ).action(
    async (
      opts: ConnectOpts & {
        output: string;
        config: string;
        embed?: boolean;
        sstOut?: string;
        password?: string;
        skipUnreadable?: boolean;
        pfxMaxIterations?: string;
        force?: boolean;
        json?: boolean;
      },
    ) => {
      const { state, certificates, skipped } = await loadDesired(
        opts.config,
        ctx,
        opts.password,
        opts.skipUnreadable,
        opts.pfxMaxIterations,
      );
      assertNoIssues(state);
      const now = ctx.now();
      const build = certificates ? buildTrustStore(certificates, { now }) : undefined;
      if (build) {
        for (const c of build.leaves)
          ctx.out.stderr(`warning: left out '${oneLine(c.name)}' (${c.sha1}): not a CA certificate\n`);
        for (const f of purposeWarnings(build.certificates)) ctx.out.stderr(warningLine(f));
      }
      const writeSst = build !== undefined && (!opts.embed || opts.sstOut !== undefined);
      const sstOut =
        opts.sstOut ?? join(dirname(opts.output), `${basename(opts.output, extname(opts.output))}.sst`);
      checkOutputs(writeSst ? [sstOut, opts.output] : [opts.output], opts.force);
      let relPath =
        isAbsolute(sstOut) && !isAbsolute(opts.output) ? sstOut : relative(dirname(opts.output), sstOut);
      if (sep === "\\") relPath = relPath.split(sep).join("/");
      const text = generateApplyScript({
        purpose: "apply",
        trust: build
          ? opts.embed
            ? { kind: "embed", bytes: build.bytes }
            : { kind: "file", path: relPath, bytes: build.bytes }
          : undefined,
        certificates: build?.certificates.map(listed),
        settings: Object.entries(state.settings) as [keyof typeof state.settings, SettingValue][],
        connect: connectDefaults(opts),
        meta: { version: VERSION, generatedAt: now, source: opts.config },
      });
      const sstExisted = writeSst && exists(sstOut);
      if (writeSst) writeFileAtomic(sstOut, build!.bytes, { force: opts.force });
      try {
        writeFileAtomic(opts.output, text, { force: opts.force });
      } catch (e) {
        // Nothing half-written: a new .sst without its script goes too.
        if (writeSst && !sstExisted)
          try {
            unlinkSync(sstOut);
          } catch {
            /* already gone */
          }
        throw e;
      }
      if (opts.json) {
        printJson(ctx, {
          written: writeSst ? [opts.output, sstOut] : [opts.output],
          trustList: build
            ? {
                certificates: build.certificates.length,
                bytes: build.bytes.length,
                sha256: build.sha256,
                source: opts.embed ? "embedded" : relPath,
                SMIMECertificatesExpiryDate: build.earliest
                  ? new Date(build.earliest.notAfter).toISOString()
                  : null,
                SMIMEExpiredCertificateThumbprint: build.earliest?.sha1 ?? null,
              }
            : null,
          settings: state.settings,
          ...skippedJson(skipped),
        });
        done(0);
        return;
      }
      const lines = [`wrote ${opts.output}${writeSst ? ` and ${sstOut}` : ""}`];
      if (skipped.length) lines.push(`  skipped:     ${oneLine(skippedSummary(skipped))}`);
      if (build) {
        lines.push(
          `  trust list:  ${build.certificates.length} certificates, ${build.bytes.length} bytes, SHA-256 ${build.sha256} (${opts.embed ? "embedded" : `read from ${relPath} beside the script`})`,
        );
        if (build.earliest)
          lines.push(
            `  earliest expiry: ${isoTime(build.earliest.notAfter)} '${oneLine(build.earliest.name)}' (${build.earliest.sha1})`,
          );
      } else lines.push("  trust list:  not managed (left as it is)");
      lines.push(`  settings:    ${Object.keys(state.settings).join(", ") || "none"}`);
      const who = opts.appId ? "" : opts.upn ? "" : " -UserPrincipalName admin@contoso.com";
      lines.push(
        `  review it, then: pwsh ./${basename(opts.output)}${who} -WhatIf   (and again without -WhatIf to apply)`,
      );
      ctx.out.stdout(`${lines.join("\n")}\n`);
      done(0);
    },
  );
}
