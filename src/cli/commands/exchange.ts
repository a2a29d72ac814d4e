/**
 * `smimetrust exchange ...`: Exchange Online as code. `export-script` writes the PowerShell that exports
 * Get-SmimeConfig; `plan` compares an export with smime.config.json; `script` writes the PowerShell that
 * applies it (with backup, verification and -WhatIf); `rollback-script` writes the one that restores a backup.
 *
 * Exit status of `plan`: 0 when the plan can be applied (or nothing changes), 1 when Exchange would
 * refuse it (expired certificate, more than 70,000 bytes, a setting it would not take), 2 bad input.
 */

import { statSync, unlinkSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, sep } from "node:path";
import type { Command } from "commander";
import { replacementKind } from "../../audit/diff.js";
import type { Certificate } from "../../certs/certificate.js";
import { FileAccessError, RefusedError } from "../../errors.js";
import { assertNoIssues, type DesiredState, parseConfig } from "../../exchange/config.js";
import { readSmimeExport } from "../../exchange/export.js";
import { type ExchangePlan, makePlan } from "../../exchange/plan.js";
import {
  type ConnectDefaults,
  generateApplyScript,
  generateExportScript,
  type ListedCertificate,
  rollbackSettings,
} from "../../exchange/script.js";
import type { SettingValue } from "../../exchange/settings.js";
import { digest, hexUpper } from "../../lib/bytes.js";
import { buildTrustStore } from "../../trust/build-store.js";
import type { CliContext, RegisterCommand } from "../context.js";
import { loadCertificates, readInputFile, writeFileAtomic } from "../io.js";
import { PFX_MAX_ITERATIONS_OPTION, parseIntOption, pfxMaxIterations, VERSION } from "../options.js";
import { daysBetween, isoDate, isoTime, mark } from "../output.js";

interface ConnectOpts {
  upn?: string;
  appId?: string;
  certificateThumbprint?: string;
  organization?: string;
}

function connectOptions(cmd: Command): Command {
  return cmd
    .option("--upn <user>", "bake in -UserPrincipalName (interactive sign-in) as the default")
    .option("--app-id <id>", "bake in -AppId (app-only sign-in) as the default")
    .option(
      "--certificate-thumbprint <thumbprint>",
      "bake in -CertificateThumbprint (app-only) as the default",
    )
    .option(
      "--organization <domain>",
      "bake in -Organization, e.g. contoso.onmicrosoft.com (app-only) as the default",
    );
}

function connectDefaults(o: ConnectOpts): ConnectDefaults {
  return {
    userPrincipalName: o.upn,
    appId: o.appId,
    certificateThumbprint: o.certificateThumbprint,
    organization: o.organization,
  };
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Refuses before anything is written when any output exists (so two outputs are never half-written). */
function printJson(ctx: CliContext, doc: unknown): void {
  ctx.out.stdout(`${JSON.stringify(doc, null, 2)}\n`);
}

/** Every output can be written (a file in an existing folder, not a folder itself) before anything is. */
function checkOutputs(paths: string[], force?: boolean): void {
  for (const p of paths) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) throw new FileAccessError("cannot write: is a folder", { file: p });
    if (st && !force) throw new RefusedError("exists already; use --force to replace it", { file: p });
    let dir: ReturnType<typeof statSync> | undefined;
    try {
      dir = statSync(dirname(p));
    } catch {
      dir = undefined;
    }
    if (!dir?.isDirectory())
      throw new FileAccessError(`cannot write: no folder '${dirname(p)}'`, { file: p });
  }
}

function readText(file: string): string {
  const b = readInputFile(file);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
}

async function loadDesired(
  configFile: string,
  ctx: CliContext,
  password?: string,
  maxIterations?: string,
): Promise<{ state: DesiredState; certificates?: Certificate[] }> {
  const pfxMax = pfxMaxIterations(maxIterations);
  const state = parseConfig(readText(configFile), configFile);
  if (!state.trustPaths) return { state };
  const loaded = await loadCertificates(state.trustPaths, {
    password: password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
    pfxMaxIterations: pfxMax,
  });
  for (const w of loaded.warnings) ctx.out.stderr(`warning: ${w}\n`);
  return { state, certificates: loaded.certificates };
}

function listed(c: Certificate): ListedCertificate {
  return { name: c.name, sha1: c.sha1, notAfter: c.notAfter };
}

// ---------------- plan output ----------------

function showValue(v: SettingValue | undefined): string {
  if (v === undefined) return "(not in export)";
  if (v === null) return "(not set)";
  if (typeof v === "string") return `'${v}'`;
  return String(v);
}

function certJson(c: Certificate) {
  return {
    subject: c.subject.toString(),
    sha1: c.sha1,
    notBefore: new Date(c.notBefore).toISOString(),
    notAfter: new Date(c.notAfter).toISOString(),
  };
}

export function planJson(plan: ExchangePlan, files: { current: string; config: string }) {
  const t = plan.trust;
  return {
    status: plan.status,
    current: files.current,
    config: files.config,
    trust: t && {
      changesCertificates: t.changesCertificates,
      changesBytes: t.changesBytes,
      current: { certificates: t.currentCount, bytes: t.currentBytes, sha256: t.currentSha256 },
      desired: {
        certificates: t.desiredCount,
        bytes: t.desiredBytes,
        sha256: t.desiredSha256,
        SMIMECertificatesExpiryDate: t.earliest ? isoTime(t.earliest.notAfter) : null,
        SMIMEExpiredCertificateThumbprint: t.earliest?.sha1 ?? null,
      },
      added: t.added.map(certJson),
      removed: t.removed.map(certJson),
      replaced: t.replaced.map((p) => ({
        old: certJson(p.old),
        new: certJson(p.new),
        kind: replacementKind(p),
      })),
      unchanged: t.unchanged.map(certJson),
      leftOut: t.leftOut.map(certJson),
    },
    settings: plan.settings.map((s) => ({
      name: s.name,
      from: s.from === undefined ? null : s.from,
      to: s.to,
      inExport: s.from !== undefined,
    })),
    unchangedSettings: plan.unchangedSettings,
    refusals: plan.refusals,
    warnings: plan.warnings,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

export function planText(
  plan: ExchangePlan,
  files: { current: string; config: string },
  ctx: CliContext,
  now: number,
): string {
  const L: string[] = [
    `Plan for Exchange Online S/MIME: ${files.current} (current) -> ${files.config} (desired)`,
    "",
  ];
  const t = plan.trust;
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (!t) {
    L.push("Trust list (SMIMECertificateIssuingCA): not managed by the config, left as it is.");
  } else {
    L.push(
      `Trust list (SMIMECertificateIssuingCA): ${s(t.currentCount, "certificate")}, ${t.currentBytes} bytes -> ${s(t.desiredCount, "certificate")}, ${t.desiredBytes} bytes`,
    );
    const rows: string[][] = [];
    for (const c of t.added) rows.push(["+ add", c.name, c.sha1, `expires ${isoDate(c.notAfter)}`]);
    for (const c of t.removed) rows.push(["- remove", c.name, c.sha1, `expires ${isoDate(c.notAfter)}`]);
    for (const p of t.replaced)
      rows.push([
        "~ replace",
        p.new.name,
        `${p.old.sha1} -> ${p.new.sha1}`,
        `expires ${isoDate(p.old.notAfter)} -> ${isoDate(p.new.notAfter)} (${replacementKind(p).join(", ")})`,
      ]);
    if (t.unchanged.length)
      rows.push(["= keep", `${s(t.unchanged.length, "certificate")} unchanged`, "", ""]);
    const w = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => (r[2] || i === 0 ? r[i].length : 0))));
    for (const r of rows)
      L.push(
        (r[2]
          ? `  ${pad(r[0], w[0])}  ${pad(r[1], w[1])}  ${pad(r[2], w[2])}  ${r[3]}`
          : `  ${pad(r[0], w[0])}  ${r[1]}`
        ).trimEnd(),
      );
    for (const c of t.leftOut) L.push(`  (left out '${c.name}' (${c.sha1}): not a CA certificate)`);
    if (!t.changesCertificates && t.changesBytes && t.desiredSha256 && t.currentSha256)
      L.push(
        "  Same certificates, but the file differs byte for byte: the script will upload it again (trust does not change).",
      );
    if (!t.changesCertificates && !t.changesBytes)
      L.push("  No change: Exchange already has exactly this file.");
    if (t.earliest && t.desiredSha256) {
      L.push(`  ${t.changesBytes ? "After the upload, " : ""}Get-SmimeConfig will report:`);
      L.push(
        `    SMIMECertificatesExpiryDate        ${isoTime(t.earliest.notAfter)} (${daysBetween(now, t.earliest.notAfter)} days)`,
      );
      L.push(`    SMIMEExpiredCertificateThumbprint  ${t.earliest.sha1} ('${t.earliest.name}')`);
    }
  }
  L.push("");
  if (plan.settings.length === 0 && plan.unchangedSettings.length === 0)
    L.push("Settings: none in the config.");
  else {
    L.push(`Settings: ${s(plan.settings.length, "change")}`);
    const w = Math.max(0, ...plan.settings.map((c) => c.name.length));
    for (const c of plan.settings)
      L.push(`  ~ ${pad(c.name, w)}  ${showValue(c.from)} -> ${showValue(c.to)}`);
    if (plan.unchangedSettings.length)
      L.push(`  = ${plan.unchangedSettings.length} already as desired: ${plan.unchangedSettings.join(", ")}`);
  }
  L.push("");
  if (plan.warnings.length) {
    L.push("Warnings (Exchange takes this, but it will not last):");
    for (const r of plan.warnings) {
      L.push(`  ${mark(ctx.out, "warn")}  ${r.code}  ${r.message}`);
      if (r.hint) L.push(`           hint: ${r.hint}`);
    }
    L.push("");
  }
  if (plan.refusals.length) {
    L.push("Exchange would refuse this:");
    for (const r of plan.refusals) {
      L.push(`  ${mark(ctx.out, "fail")}  ${r.code}  ${r.message}`);
      if (r.hint) L.push(`           hint: ${r.hint}`);
    }
    L.push("", "Result: refused. Fix the problems above; nothing has been changed.");
  } else if (plan.status === "no-changes") {
    L.push("Result: no changes.");
  } else {
    const parts: string[] = [];
    if (t?.added.length) parts.push(`${t.added.length} to add`);
    if (t?.removed.length) parts.push(`${t.removed.length} to remove`);
    if (t?.replaced.length) parts.push(`${t.replaced.length} to replace`);
    const certs = parts.length
      ? `certificates: ${parts.join(", ")}; `
      : t?.changesBytes
        ? "trust list re-uploaded; "
        : "";
    L.push(`Result: ${certs}${s(plan.settings.length, "setting")} to change.`);
    L.push(
      `Next: smimetrust exchange script --config ${files.config} -o apply.ps1, review it, run it with -WhatIf, then without.`,
    );
  }
  return `${L.join("\n")}\n`;
}

// ---------------- commands ----------------

export const registerExchange: RegisterCommand = (program: Command, ctx, done) => {
  const exchange = program
    .command("exchange")
    .description("Exchange Online as code: export, plan, apply and roll back the S/MIME configuration");

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

  exchange
    .command("plan")
    .description(
      "compare an export of Get-SmimeConfig with smime.config.json: what would change, and what Exchange would refuse",
    )
    .requiredOption("--current <export.json>", "the export written by the export script (or a backup)")
    .option("--config <file>", "the desired state", "smime.config.json")
    .option("--password <password>", "PKCS#12 password for trust inputs (or SMIMETRUST_PFX_PASSWORD)")
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--warn-days <days>", "warn about certificates that expire within this many days", "30")
    .option("--json", "print the plan as JSON")
    .action(
      async (opts: {
        current: string;
        config: string;
        password?: string;
        pfxMaxIterations?: string;
        warnDays: string;
        json?: boolean;
      }) => {
        const warnDays = parseIntOption(opts.warnDays, "--warn-days");
        const current = readSmimeExport(readInputFile(opts.current), opts.current);
        const { state, certificates } = await loadDesired(
          opts.config,
          ctx,
          opts.password,
          opts.pfxMaxIterations,
        );
        const now = ctx.now();
        const plan = makePlan(
          current,
          { certificates, settings: state.settings, issues: state.issues },
          now,
          { warnDays },
        );
        const files = { current: opts.current, config: opts.config };
        ctx.out.stdout(
          opts.json ? `${JSON.stringify(planJson(plan, files), null, 2)}\n` : planText(plan, files, ctx, now),
        );
        done(plan.status === "refused" ? 1 : 0);
      },
    );

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
        pfxMaxIterations?: string;
        force?: boolean;
        json?: boolean;
      },
    ) => {
      const { state, certificates } = await loadDesired(
        opts.config,
        ctx,
        opts.password,
        opts.pfxMaxIterations,
      );
      assertNoIssues(state);
      const now = ctx.now();
      const build = certificates ? buildTrustStore(certificates, { now }) : undefined;
      if (build)
        for (const c of build.leaves)
          ctx.out.stderr(`warning: left out '${c.name}' (${c.sha1}): not a CA certificate\n`);
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
        });
        done(0);
        return;
      }
      const lines = [`wrote ${opts.output}${writeSst ? ` and ${sstOut}` : ""}`];
      if (build) {
        lines.push(
          `  trust list:  ${build.certificates.length} certificates, ${build.bytes.length} bytes, SHA-256 ${build.sha256} (${opts.embed ? "embedded" : `read from ${relPath} beside the script`})`,
        );
        if (build.earliest)
          lines.push(
            `  earliest expiry: ${isoTime(build.earliest.notAfter)} '${build.earliest.name}' (${build.earliest.sha1})`,
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
          throw new RefusedError(
            `Exchange would refuse to restore this trust list: ${expired.map((c) => `'${c.name}' (${c.sha1}) expired ${isoDate(c.notAfter)}`).join(", ")}; use --drop-expired to restore it without them`,
            { file: backupFile },
          );
        }
        if (expired.length) {
          const rebuilt = buildTrustStore(certs, { now, dropExpired: true });
          bytes = rebuilt.bytes;
          certs = rebuilt.certificates;
          for (const c of expired)
            ctx.out.stderr(`warning: left out '${c.name}' (${c.sha1}): expired ${isoTime(c.notAfter)}\n`);
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
};
