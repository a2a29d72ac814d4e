import type { Command } from "commander";
import { noEmailProtection } from "../../audit/check.js";
import { UsageError } from "../../errors.js";
import { describeDistrust, sstDistrust } from "../../formats/distrust.js";
import {
  checkOutputPath,
  loadCertificates,
  skippedJson,
  skippedSummary,
  writeFileAtomic,
} from "../../io/files.js";
import { listSome } from "../../lib/list.js";
import { oneLine } from "../../lib/text.js";
import type { Problem } from "../../problems.js";
import { buildJson, buildTrustStore, type StoreFormat } from "../../trust/build-store.js";
import type { Certificate } from "../../x509/certificate.js";
import type { RegisterCommand } from "../context.js";
import { inputOptions, PFX_MAX_ITERATIONS_OPTION } from "../options.js";
import { daysBetween, isoTime, writeData } from "../output.js";

interface BuildOpts {
  output: string;
  format: string;
  dropExpired?: boolean;
  friendlyNames?: boolean;
  force?: boolean;
  password?: string;
  skipUnreadable?: boolean;
  pfxMaxIterations?: string;
  json?: boolean;
}

/** NO_EMAIL_PROTECTION findings (check's rule) for the certificates written. */
export function purposeWarnings(certificates: readonly Certificate[]): Problem[] {
  return certificates.map(noEmailProtection).filter((f): f is Problem => f !== undefined);
}

/** "warning: CODE: message hint" on one line. */
export function warningLine(f: Problem): string {
  return `warning: ${f.code}: ${f.message}${f.hint ? ` ${f.hint}` : ""}\n`;
}

export const registerBuild: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("build")
    .description(
      "build the trust list Exchange Online takes (.sst): CA certificates only, roots first, checked as Exchange would",
    )
    .argument("<inputs...>", "files, folders, or - for stdin")
    .requiredOption("-o, --output <file>", "the file to write")
    .option("--format <format>", "sst, p7b or pem", "sst")
    .option("--drop-expired", "leave expired certificates out instead of refusing")
    .option("--friendly-names", "write each certificate's name as its friendly name (property 11)")
    .option("--force", "replace the output file if it exists")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out files in folders that cannot be read (a PFX without its password, a truncated file) instead of refusing",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print the summary as JSON")
    .action(async (inputs: string[], opts: BuildOpts) => {
      const format = opts.format.toLowerCase();
      if (!["sst", "p7b", "pem"].includes(format))
        throw new UsageError(`--format: '${opts.format}' is not sst, p7b or pem`);
      // Refuse early (before reading anything) a folder, a device, or an existing file without --force;
      // writeFileAtomic checks again.
      if (opts.output === "-")
        throw new UsageError(
          "-o: give a file name ('-' would be a file called '-'; stdout carries the summary)",
        );
      checkOutputPath(opts.output, opts.force);
      const loaded = await loadCertificates(inputs, inputOptions(opts, ctx));
      for (const w of loaded.warnings) ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      if (loaded.crls.length)
        ctx.out.stderr(
          `warning: left out ${loaded.crls.length} CRL${loaded.crls.length === 1 ? "" : "s"} (from ${listSome([...new Set(loaded.crls.map((c) => c.source))])}): the trust list holds certificates only\n`,
        );
      const now = ctx.now();
      const result = buildTrustStore(loaded.certificates, {
        now,
        format: format as StoreFormat,
        dropExpired: opts.dropExpired,
        friendlyNames: opts.friendlyNames,
      });
      for (const c of result.leaves)
        ctx.out.stderr(`warning: left out '${oneLine(c.name)}' (${c.sha1}): not a CA certificate\n`);
      for (const c of result.droppedExpired)
        ctx.out.stderr(
          `warning: left out '${oneLine(c.name)}' (${c.sha1}): expired ${isoTime(c.notAfter)}\n`,
        );
      for (const line of droppedProperties(result.certificates, format, opts.friendlyNames))
        ctx.out.stderr(`${line}\n`);
      // The same rule as check's: a CA whose EKU excludes e-mail protection is useless for S/MIME.
      const findings = purposeWarnings(result.certificates);
      for (const f of findings) ctx.out.stderr(warningLine(f));
      const { backup } = writeFileAtomic(opts.output, result.bytes, { force: opts.force, backup: true });
      const e = result.earliest!;
      if (opts.json) {
        writeData(
          ctx.out,
          `${JSON.stringify(
            buildJson(result, {
              file: opts.output,
              warnings: findings,
              backup,
              extra: skippedJson(loaded.skipped),
            }),
            null,
            2,
          )}\n`,
        );
      } else {
        const roots = result.certificates.filter((c) => c.role === "root").length;
        ctx.out.stdout(
          [
            `wrote ${opts.output} (${result.format}, ${result.bytes.length} bytes)`,
            `  certificates:    ${result.certificates.length} (${roots} root${roots === 1 ? "" : "s"}, ${result.certificates.length - roots} intermediate${result.certificates.length - roots === 1 ? "" : "s"})`,
            `  left out:        ${result.leaves.length} leaf, ${result.droppedExpired.length} expired, ${result.duplicates} duplicate`,
            ...(loaded.skipped.length
              ? [`  skipped:         ${oneLine(skippedSummary(loaded.skipped))}`]
              : []),
            `  earliest expiry: ${isoTime(e.notAfter)} (${daysBetween(now, e.notAfter)} days) '${oneLine(e.name)}'`,
            `                   thumbprint ${e.sha1}`,
            "                   (what Get-SmimeConfig will report as SMIMECertificatesExpiryDate / SMIMEExpiredCertificateThumbprint)",
            `  sha256:          ${result.sha256}`,
            ...(backup ? [`  replaced:        the previous file is kept as ${backup}`] : []),
            "",
          ].join("\n"),
        );
      }
      done(0);
    });
};

/**
 * What a rewrite leaves out of certificates read from a .sst: the new file carries the certificate, its SHA-1
 * (property 3) and, with --friendly-names, a friendly name (11); Windows' other properties go, the
 * distrust marks (104, 126, 127) among them, which would make a distrusted CA fully trusted again.
 */
function droppedProperties(certs: readonly Certificate[], format: string, friendlyNames?: boolean): string[] {
  const kept = new Set(format === "sst" ? (friendlyNames ? [3, 11] : [3]) : []);
  const lines: string[] = [];
  const counts = new Map<number, number>();
  let withDropped = 0;
  for (const c of certs) {
    const dropped = (c.sstProperties ?? []).filter((p) => !kept.has(p.id));
    if (!dropped.length) continue;
    withDropped++;
    for (const p of dropped) counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
    const d = sstDistrust(c.sstProperties);
    if (d)
      lines.push(
        `warning: '${oneLine(c.name)}' (${c.sha1}) is marked distrusted in ${c.source ?? "its .sst"} (${describeDistrust(d)}); the new list leaves those properties out, so it would be trusted fully: leave the CA out if Microsoft distrusts it`,
      );
  }
  if (withDropped)
    lines.push(
      `note: left out the Windows properties of ${withDropped} certificate${withDropped === 1 ? "" : "s"} read from .sst files (${[
        ...counts,
      ]
        .sort((a, b) => a[0] - b[0])
        .map(([id, n]) => `id ${id} x${n}`)
        .join(
          ", ",
        )}); the new list has ${format === "sst" ? `property ${[...kept].join(" and ")} and ` : ""}the certificates`,
    );
  return lines;
}
