import type { Command } from "commander";
import { auditTrustList, sstSizeOf } from "../../audit/check.js";
import { isExchangeExport, readExchangeExport } from "../../audit/export-source.js";
import { type LeafResult, validateLeaves } from "../../audit/leaves.js";
import { checkJson, countBySeverity, markdownReport } from "../../audit/report.js";
import type { Certificate } from "../../certs/certificate.js";
import { type ReadOptions, readCertificateBytes } from "../../certs/read.js";
import { UsageError } from "../../errors.js";
import { validateChain } from "../../path/validate.js";
import { type Problem, reaches, type Severity } from "../../problems.js";
import { isSst } from "../../sst/codec.js";
import type { RegisterCommand } from "../context.js";
import { expandInput, loadCertificates, readInputFile, readStdin } from "../io.js";
import { PFX_MAX_ITERATIONS_OPTION, parseIntOption, parseTime, pfxMaxIterations } from "../options.js";
import { type Out, paint, table, truncate } from "../output.js";

export interface TrustSources {
  certificates: Certificate[];
  warnings: string[];
  /** Size of the .sst as given, when one input is a single .sst file or an Exchange export. */
  sstBytes?: number;
  /** Exchange exports read, with their Get-SmimeConfig properties. */
  exports: { file: string; properties: Record<string, unknown> }[];
}

/**
 * Reads trust-list inputs: files, folders, '-' and Exchange export JSON files (detected by the
 * SMIMECertificateIssuingCA key). Used by check, diff and the monitor.
 */
export async function loadTrustSources(
  inputs: readonly string[],
  opts: Pick<ReadOptions, "password" | "pfxMaxIterations"> = {},
): Promise<TrustSources> {
  const out: TrustSources = { certificates: [], warnings: [], exports: [] };
  const sizes: number[] = [];
  for (const input of inputs) {
    const files = input === "-" ? [{ name: "-", fromFolder: false }] : expandInput(input);
    if (files.length === 1 && !files[0].fromFolder) {
      const name = input === "-" ? "<stdin>" : input;
      const bytes = input === "-" ? await readStdin() : readInputFile(input);
      if (isExchangeExport(bytes)) {
        const x = readExchangeExport(bytes, name);
        if (!x.trustListBytes)
          out.warnings.push(
            `${name}: the Exchange export has no trust list (SMIMECertificateIssuingCA is null)`,
          );
        else sizes.push(x.trustListBytes.length);
        out.certificates.push(...x.certificates);
        out.exports.push({ file: name, properties: x.properties });
        continue;
      }
      const r = readCertificateBytes(bytes, name, opts);
      sizes.push(isSst(bytes) ? bytes.length : Number.NaN);
      out.certificates.push(...r.certificates);
      out.warnings.push(...r.warnings);
      continue;
    }
    sizes.push(Number.NaN);
    const loaded = await loadCertificates([input], opts);
    out.certificates.push(...loaded.certificates);
    out.warnings.push(...loaded.warnings);
  }
  if (sizes.length === 1 && !Number.isNaN(sizes[0])) out.sstBytes = sizes[0];
  return out;
}

/** Non-CA certificates from --leaf inputs (CA certificates there are ignored with a warning). */
export async function loadLeaves(
  inputs: readonly string[] | undefined,
  warnings: string[],
  password?: string,
  pfxMaxIterations?: number,
): Promise<Certificate[]> {
  if (!inputs || inputs.length === 0) return [];
  const loaded = await loadCertificates(inputs, { password, pfxMaxIterations });
  warnings.push(...loaded.warnings);
  const leaves = loaded.certificates.filter((c) => !c.isCA);
  for (const c of loaded.certificates)
    if (c.isCA) warnings.push(`--leaf: ignored CA certificate '${c.name}' (${c.sha1})`);
  if (leaves.length === 0) throw new UsageError("--leaf: no user certificates found in the inputs");
  return leaves;
}

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
  pfxMaxIterations?: string;
}

export const registerCheck: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("check")
    .description(
      "audit a trust list (files, folders, .sst, or an Exchange export JSON): expiry, duplicates, missing issuers, size, weak keys...",
    )
    .argument("<trust-lists...>", "files, folders, - for stdin, or Get-SmimeConfig exports (JSON)")
    .option("--leaf <certs...>", "user certificates that must chain to the list")
    .option("--warn-days <days>", "warn this many days before a CA expires", "30")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above: error, warning or info", "warning")
    .option("--at <time>", "judge the list at this time (ISO 8601 or Unix seconds) instead of now")
    .option("--json", "print JSON")
    .option("--markdown", "print a Markdown report to keep as the documentation of the list")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .action(async (inputs: string[], opts: CheckOpts) => {
      if (opts.json && opts.markdown) throw new UsageError("--json and --markdown exclude each other");
      const warnDays = parseIntOption(opts.warnDays, "--warn-days");
      const failOn = parseSeverity(opts.failOn, "--fail-on");
      const now = opts.at ? parseTime(opts.at) : ctx.now();
      const password = opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD;
      const maxIt = pfxMaxIterations(opts.pfxMaxIterations);
      const src = await loadTrustSources(inputs, { password, pfxMaxIterations: maxIt });
      const leaves = await loadLeaves(opts.leaf, src.warnings, password, maxIt);
      for (const w of src.warnings) ctx.out.stderr(`warning: ${w}\n`);
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
        ctx.out.stdout(`${JSON.stringify(checkJson(src.certificates, findings), null, 2)}\n`);
      } else if (opts.markdown) {
        ctx.out.stdout(
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
        ctx.out.stderr(
          `${n} certificate${n === 1 ? "" : "s"}, ${sstBytes} bytes as .sst: ${k.error} error, ${k.warning} warning, ${k.info} info${leafNote}\n`,
        );
      }
      done(reaches(findings, failOn) ? 1 : 0);
    });
};
