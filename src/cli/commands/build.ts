import type { Command } from "commander";
import { noEmailProtection } from "../../audit/check.js";
import type { Certificate } from "../../certs/certificate.js";
import { UsageError } from "../../errors.js";
import { listSome } from "../../lib/list.js";
import type { Problem } from "../../problems.js";
import { buildTrustStore, type StoreFormat } from "../../trust/build-store.js";
import type { RegisterCommand } from "../context.js";
import { checkOutputPath, loadCertificates, skippedJson, skippedSummary, writeFileAtomic } from "../io.js";
import { daysBetween, isoTime } from "../output.js";

interface BuildOpts {
  output: string;
  format: string;
  dropExpired?: boolean;
  friendlyNames?: boolean;
  force?: boolean;
  password?: string;
  skipUnreadable?: boolean;
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
      const loaded = await loadCertificates(inputs, {
        password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
        skipUnreadable: opts.skipUnreadable,
      });
      for (const w of loaded.warnings) ctx.out.stderr(`warning: ${w}\n`);
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
        ctx.out.stderr(`warning: left out '${c.name}' (${c.sha1}): not a CA certificate\n`);
      for (const c of result.droppedExpired)
        ctx.out.stderr(`warning: left out '${c.name}' (${c.sha1}): expired ${isoTime(c.notAfter)}\n`);
      // The same rule as check's: a CA whose EKU excludes e-mail protection is useless for S/MIME.
      const findings = purposeWarnings(result.certificates);
      for (const f of findings) ctx.out.stderr(warningLine(f));
      const { backup } = writeFileAtomic(opts.output, result.bytes, { force: opts.force, backup: true });
      const e = result.earliest!;
      if (opts.json) {
        ctx.out.stdout(
          `${JSON.stringify(
            {
              file: opts.output,
              format: result.format,
              bytes: result.bytes.length,
              sha256: result.sha256,
              certificates: result.certificates.map((c) => ({
                subject: c.subject.toString(),
                sha1: c.sha1,
                notAfter: new Date(c.notAfter).toISOString(),
                role: c.role,
              })),
              leftOut: {
                leaves: result.leaves.map((c) => c.sha1),
                expired: result.droppedExpired.map((c) => c.sha1),
                duplicates: result.duplicates,
              },
              warnings: findings,
              ...skippedJson(loaded.skipped),
              SMIMECertificatesExpiryDate: new Date(e.notAfter).toISOString(),
              SMIMEExpiredCertificateThumbprint: e.sha1,
              backup: backup ?? null,
            },
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
            ...(loaded.skipped.length ? [`  skipped:         ${skippedSummary(loaded.skipped)}`] : []),
            `  earliest expiry: ${isoTime(e.notAfter)} (${daysBetween(now, e.notAfter)} days) '${e.name}'`,
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
