import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { buildTrustStore, type StoreFormat } from "../../trust/build-store.js";
import type { RegisterCommand } from "../context.js";
import { checkOutputPath, loadCertificates, writeFileAtomic } from "../io.js";
import { PFX_MAX_ITERATIONS_OPTION, pfxMaxIterations } from "../options.js";
import { daysBetween, isoTime } from "../output.js";

interface BuildOpts {
  output: string;
  format: string;
  dropExpired?: boolean;
  friendlyNames?: boolean;
  force?: boolean;
  password?: string;
  pfxMaxIterations?: string;
  json?: boolean;
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
      const loaded = await loadCertificates(inputs, {
        password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
        pfxMaxIterations: pfxMaxIterations(opts.pfxMaxIterations),
      });
      for (const w of loaded.warnings) ctx.out.stderr(`warning: ${w}\n`);
      if (loaded.crls.length)
        ctx.out.stderr(
          `warning: left out ${loaded.crls.length} CRL${loaded.crls.length === 1 ? "" : "s"} (from ${[...new Set(loaded.crls.map((c) => c.source))].join(", ")}): the trust list holds certificates only\n`,
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
