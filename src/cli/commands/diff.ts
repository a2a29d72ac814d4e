import type { Command } from "commander";
import { daysAgo, daysLeft, isoUtc } from "../../audit/check.js";
import {
  diffBreakage,
  diffJson,
  diffTrustLists,
  type LeafBreakage,
  replacementKind,
} from "../../audit/diff.js";
import { UsageError } from "../../errors.js";
import { skippedJson, skippedSummary } from "../../io/files.js";
import { loadLeaves, loadTrustSources } from "../../io/trust-sources.js";
import { oneLine } from "../../lib/text.js";
import { validateChain } from "../../path/validate.js";
import type { Certificate } from "../../x509/certificate.js";
import type { RegisterCommand } from "../context.js";
import { inputOptions, PFX_MAX_ITERATIONS_OPTION, parseTime, repeatable } from "../options.js";
import { fitTo, paint, table, truncate, writeData } from "../output.js";

interface DiffOpts {
  leaf?: string[];
  at?: string;
  json?: boolean;
  password?: string;
  skipUnreadable?: boolean;
  pfxMaxIterations?: string;
}

export const registerDiff: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("diff")
    .description(
      "compare two versions of a trust list before an upload: added, removed, replaced, and what the new one breaks",
    )
    .argument("<old>", "the list in use (file, folder, .sst or Exchange export JSON)")
    .argument("<new>", "the list to upload")
    .option(
      "--leaf <cert>",
      "user certificates that must still chain to the new list: a file or folder (repeatable)",
      repeatable,
    )
    .option("--at <time>", "validate at this time (ISO 8601 or Unix seconds) instead of now")
    .option("--json", "print JSON")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out files in folders that cannot be read (a PFX without its password, a truncated file) instead of stopping",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .action(async (oldInput: string, newInput: string, opts: DiffOpts) => {
      const now = opts.at ? parseTime(opts.at) : ctx.now();
      const lo = inputOptions(opts, ctx);
      const oldSrc = await loadTrustSources([oldInput], lo);
      const newSrc = await loadTrustSources([newInput], lo);
      const warnings = [...oldSrc.warnings, ...newSrc.warnings];
      const skipped = [...oldSrc.skipped, ...newSrc.skipped];
      const leaves = await loadLeaves(opts.leaf, warnings, lo.password, { ...lo, skipped });
      for (const w of warnings) ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      if (oldSrc.certificates.length === 0 && newSrc.certificates.length === 0)
        throw new UsageError("both lists are empty");
      const d = diffTrustLists(oldSrc.certificates, newSrc.certificates);
      let breakage: LeafBreakage[] = [];
      if (leaves.length > 0) {
        const validate = validateChain;
        breakage = await diffBreakage(leaves, oldSrc.certificates, newSrc.certificates, { now, validate });
      }
      const broken = breakage.filter((b) => b.broken);
      if (opts.json) {
        writeData(
          ctx.out,
          `${JSON.stringify(
            {
              ...diffJson(d, breakage),
              ...skippedJson(skipped),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const exp = (c: Certificate) =>
          `${isoUtc(c.notAfter)} (${c.notAfter < now ? `expired ${daysAgo(c.notAfter, now)} days ago` : `${daysLeft(c.notAfter, now)} days`})`;
        const rows: string[][] = [];
        for (const c of d.added)
          rows.push([paint(ctx.out, "green", "+ added"), truncate(c.name, 40), c.role, exp(c), c.sha1]);
        for (const c of d.removed)
          rows.push([paint(ctx.out, "red", "- removed"), truncate(c.name, 40), c.role, exp(c), c.sha1]);
        for (const p of d.replaced) {
          rows.push([
            paint(ctx.out, "yellow", "~ replaced"),
            truncate(p.old.name, 40),
            p.old.role,
            exp(p.old),
            p.old.sha1,
          ]);
          rows.push([`  by (${replacementKind(p).join(", ")})`, "", p.new.role, exp(p.new), p.new.sha1]);
        }
        if (rows.length === 0) ctx.out.stdout("no changes: both lists hold the same certificates\n");
        else
          ctx.out.stdout(
            table(
              ["change", "certificate", "role", "expires (UTC)", "sha1 thumbprint"],
              rows,
              fitTo(ctx.out),
            ),
          );
        ctx.out.stdout(
          `${d.added.length} added, ${d.removed.length} removed, ${d.replaced.length} replaced, ${d.unchanged.length} unchanged${skipped.length ? `; skipped ${skippedSummary(skipped)}` : ""}\n`,
        );
        if (breakage.length > 0) {
          ctx.out.stdout("\n");
          for (const b of breakage) {
            if (b.broken) {
              const lost = b.lostFromPath.length
                ? `; its path used ${b.lostFromPath.map((c) => `'${oneLine(c.name)}' (${c.sha1})`).join(", ")}, not in the new list`
                : "";
              ctx.out.stdout(
                `${paint(ctx.out, "red", "✗ breaks")}  '${oneLine(b.leaf.name)}' (${b.leaf.sha1}) chains to the old list but not the new one${lost}\n`,
              );
              for (const p of b.problems.filter((x) => x.severity === "error"))
                ctx.out.stdout(`          ${p.code}: ${oneLine(p.message)}\n`);
            } else if (b.fixed) {
              ctx.out.stdout(
                `${paint(ctx.out, "green", "✓ fixed")}   '${oneLine(b.leaf.name)}' (${b.leaf.sha1}) chains to the new list (it did not before)\n`,
              );
            } else {
              ctx.out.stdout(
                `${b.after === "valid" ? paint(ctx.out, "green", "✓ ok") : paint(ctx.out, "yellow", "! invalid")}      '${oneLine(b.leaf.name)}' (${b.leaf.sha1}) ${b.after === "valid" ? "chains to both lists" : "chains to neither list"}\n`,
              );
            }
          }
          ctx.out.stderr(
            `${broken.length} of ${breakage.length} user certificate${breakage.length === 1 ? "" : "s"} broken by the new list\n`,
          );
        }
      }
      done(broken.length > 0 ? 1 : 0);
    });
};
