import type { Command } from "commander";
import { describeDistrust, type SstDistrust, sstDistrust } from "../../formats/distrust.js";
import { loadCertificates, skippedSummary } from "../../io/files.js";
import { oneLine } from "../../lib/text.js";
import { summarize } from "../../x509/describe.js";
import type { RegisterCommand } from "../context.js";
import { PFX_MAX_ITERATIONS_OPTION, pfxMaxIterations } from "../options.js";
import { expiryLabel, fitTo, table, truncate, writeData } from "../output.js";

type InspectOpts = { password?: string; pfxMaxIterations?: string; json?: boolean };

export const registerInspect: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("inspect")
    .description(
      "list the certificates in any input (PEM, DER, base64, P7B, SST, PFX, S/MIME messages, folders, - for stdin)",
    )
    .argument("<inputs...>", "files, folders, or - for stdin")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print JSON")
    .action(async (inputs: string[], opts: InspectOpts) => {
      const loaded = await loadCertificates(inputs, {
        password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
        // inspect shows what it can: unreadable files in folders are named (warning and summary), not fatal.
        skipUnreadable: true,
        pfxMaxIterations: pfxMaxIterations(opts.pfxMaxIterations),
        stdin: ctx.stdin,
      });
      for (const w of loaded.warnings) ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      const now = ctx.now();
      if (opts.json) {
        const doc = loaded.certificates.map((c) => {
          const d = sstDistrust(c.sstProperties);
          return d ? { ...summarize(c), distrust: distrustJson(d) } : summarize(c);
        });
        writeData(ctx.out, `${JSON.stringify(doc, null, 2)}\n`);
      } else {
        const rows = loaded.certificates.map((c) => [
          truncate(c.name, 40),
          truncate(c.issuer.display, 32),
          c.role,
          expiryLabel(c.notAfter, now),
          c.keyDescription,
          c.signatureAlgorithmName,
          c.extKeyUsage === undefined ? "(any)" : c.extKeyUsageNames.join(",") || "(none)",
          c.sha1,
        ]);
        ctx.out.stdout(
          table(
            ["subject", "issuer", "role", "not after", "key", "signature", "eku", "sha1 thumbprint"],
            rows,
            fitTo(ctx.out),
          ),
        );
        // Windows' distrust properties of certificates read from a .sst, one line each.
        for (const c of loaded.certificates) {
          const d = sstDistrust(c.sstProperties);
          if (d)
            ctx.out.stdout(
              `distrusted: '${truncate(oneLine(c.name), 60)}' (${c.sha1}): ${describeDistrust(d)}\n`,
            );
        }
        ctx.out.stderr(
          `${loaded.certificates.length} certificate${loaded.certificates.length === 1 ? "" : "s"}${loaded.skipped.length ? `; skipped ${skippedSummary(loaded.skipped)}` : ""}\n`,
        );
      }
      done(0);
    });
};

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The distrust properties as `inspect --json` prints them (times in ISO 8601 UTC). */
function distrustJson(d: SstDistrust) {
  return {
    disallowedAfter: iso(d.disallowedAfter),
    notBefore: iso(d.notBefore),
    notBeforeEku: d.notBeforeEku ?? null,
    rootProgramPolicies: d.rootProgramPolicies !== undefined,
    description: describeDistrust(d),
  };
}
