import type { Command } from "commander";
import { summarize } from "../../certs/describe.js";
import type { RegisterCommand } from "../context.js";
import { loadCertificates, skippedSummary } from "../io.js";
import { expiryLabel, table, truncate } from "../output.js";

export const registerInspect: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("inspect")
    .description(
      "list the certificates in any input (PEM, DER, base64, P7B, SST, PFX, S/MIME messages, folders, - for stdin)",
    )
    .argument("<inputs...>", "files, folders, or - for stdin")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option("--json", "print JSON")
    .action(async (inputs: string[], opts: { password?: string; json?: boolean }) => {
      const loaded = await loadCertificates(inputs, {
        password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
        // inspect shows what it can: unreadable files in folders are named (warning and summary), not fatal.
        skipUnreadable: true,
      });
      for (const w of loaded.warnings) ctx.out.stderr(`warning: ${w}\n`);
      const now = ctx.now();
      if (opts.json) {
        ctx.out.stdout(`${JSON.stringify(loaded.certificates.map(summarize), null, 2)}\n`);
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
          ),
        );
        ctx.out.stderr(
          `${loaded.certificates.length} certificate${loaded.certificates.length === 1 ? "" : "s"}${loaded.skipped.length ? `; skipped ${skippedSummary(loaded.skipped)}` : ""}\n`,
        );
      }
      done(0);
    });
};
