import type { Command } from "commander";
import { auditTrustList, sstSizeOf } from "../../audit/check.js";
import { type LeafResult, validateLeaves } from "../../audit/leaves.js";
import { checkJson, countBySeverity, markdownReport } from "../../audit/report.js";
import { UsageError } from "../../errors.js";
import { skippedJson, skippedSummary } from "../../io/files.js";
import { loadLeaves, loadTrustSources } from "../../io/trust-sources.js";
import { oneLine } from "../../lib/text.js";
import { validateChain } from "../../path/validate.js";
import { type Problem, reaches, type Severity } from "../../problems.js";
import type { RegisterCommand } from "../context.js";
import {
  inputOptions,
  PFX_MAX_ITERATIONS_OPTION,
  parseIntOption,
  parseTime,
  repeatable,
} from "../options.js";
import { fitTo, type Out, paint, table, truncate, writeData } from "../output.js";

export function parseSeverity(v: string, option: string): Severity {
  if (v === "error" || v === "warning" || v === "info") return v;
  throw new UsageError(`${option}: '${v}' is not error, warning or info`);
}

export function severityMark(out: Out, s: Severity): string {
  return s === "error"
    ? paint(out, "red", "✗ error")
    : s === "warning"
      ? paint(out, "yellow", "! warning")
      : paint(out, "cyan", "i info");
}

export function findingsTable(out: Out, findings: readonly Problem[], names: Map<string, string>): string {
  return table(
    ["severity", "code", "certificate", "message", "hint"],
    findings.map((f) => [
      severityMark(out, f.severity),
      f.code,
      f.cert ? `${truncate(names.get(f.cert) ?? "", 28)} ${f.cert.slice(0, 8)}…`.trim() : "(the list)",
      f.message,
      f.hint ?? "",
    ]),
    fitTo(out),
  );
}

interface CheckOpts {
  leaf?: string[];
  warnDays: string;
  failOn: string;
  at?: string;
  json?: boolean;
  markdown?: boolean;
  password?: string;
  skipUnreadable?: boolean;
  pfxMaxIterations?: string;
}

export const registerCheck: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("check")
    .description(
      "audit a trust list (files, folders, .sst, or an Exchange export JSON): expiry, duplicates, missing issuers, size, weak keys...",
    )
    .argument("<trust-lists...>", "files, folders, - for stdin, or Get-SmimeConfig exports (JSON)")
    .option(
      "--leaf <cert>",
      "user certificates that must chain to the list: a file or folder (repeat for more: --leaf a.pem --leaf b.pem)",
      repeatable,
    )
    .option("--warn-days <days>", "warn this many days before a CA expires", "30")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above: error, warning or info", "warning")
    .option("--at <time>", "judge the list at this time (ISO 8601 or Unix seconds) instead of now")
    .option("--json", "print JSON")
    .option("--markdown", "print a Markdown report to keep as the documentation of the list")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out files in folders that cannot be read (a PFX without its password, a truncated file) instead of stopping",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .action(async (inputs: string[], opts: CheckOpts) => {
      if (opts.json && opts.markdown) throw new UsageError("--json and --markdown exclude each other");
      const warnDays = parseIntOption(opts.warnDays, "--warn-days");
      const failOn = parseSeverity(opts.failOn, "--fail-on");
      const now = opts.at ? parseTime(opts.at) : ctx.now();
      const lo = inputOptions(opts, ctx);
      const src = await loadTrustSources(inputs, lo);
      const leaves = await loadLeaves(opts.leaf, src.warnings, lo.password, { ...lo, skipped: src.skipped });
      for (const w of src.warnings) ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      if (src.certificates.length === 0) throw new UsageError("no certificates in the trust list inputs");
      const sstBytes = src.sstBytes ?? sstSizeOf(src.certificates);
      const findings = auditTrustList(src.certificates, { now, warnDays, sstBytes });
      let leafResults: LeafResult[] = [];
      if (leaves.length > 0) {
        const validate = validateChain;
        leafResults = await validateLeaves(
          leaves,
          src.certificates.filter((c) => c.isCA || c.isSelfSigned),
          { now, validate },
        );
        findings.push(...leafResults.flatMap((l) => l.problems));
      }
      const names = new Map<string, string>();
      for (const c of [...src.certificates, ...leaves]) names.set(c.sha1, c.name);
      if (opts.json) {
        writeData(
          ctx.out,
          `${JSON.stringify({ ...checkJson(src.certificates, findings), ...skippedJson(src.skipped) }, null, 2)}\n`,
        );
      } else if (opts.markdown) {
        // A document (every value in it escaped for Markdown): written exactly, never fitted to the terminal.
        writeData(
          ctx.out,
          markdownReport({
            certificates: src.certificates,
            findings,
            now,
            sources: inputs,
            sstBytes,
            warnDays,
            leaves: leafResults,
          }),
        );
      } else {
        const n = new Set(src.certificates.map((c) => c.sha1)).size;
        if (findings.length === 0)
          ctx.out.stdout(
            `${paint(ctx.out, "green", "✓ ok")}: no findings in ${n} certificate${n === 1 ? "" : "s"}\n`,
          );
        else ctx.out.stdout(findingsTable(ctx.out, findings, names));
        const k = countBySeverity(findings);
        const leafNote = leafResults.length
          ? `, ${leafResults.filter((l) => l.result.verdict === "valid").length}/${leafResults.length} user certificates chain to the list`
          : "";
        const skippedNote = src.skipped.length ? `; skipped ${skippedSummary(src.skipped)}` : "";
        ctx.out.stderr(
          `${n} certificate${n === 1 ? "" : "s"}, ${sstBytes} bytes as .sst: ${k.error} error, ${k.warning} warning, ${k.info} info${leafNote}${skippedNote}\n`,
        );
      }
      done(reaches(findings, failOn) ? 1 : 0);
    });
};
