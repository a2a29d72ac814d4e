import type { Command } from "commander";
import { summarize } from "../../certs/describe.js";
import type { RegisterCommand } from "../context.js";
import { loadCertificates } from "../io.js";
import { PFX_MAX_ITERATIONS_OPTION, pfxMaxIterations } from "../options.js";
import { expiryLabel, table, truncate } from "../output.js";

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
        pfxMaxIterations: pfxMaxIterations(opts.pfxMaxIterations),
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
          `${loaded.certificates.length} certificate${loaded.certificates.length === 1 ? "" : "s"}\n`,
        );
      }
      done(0);
    });
};
