import type { Command } from "commander";
import { SmimetrustError, UsageError } from "../../errors.js";
import { loadCertificates, skippedJson, skippedSummary } from "../../io/files.js";
import { createHttpFetcher, type HttpFetcher } from "../../io/http-fetcher.js";
import { listSome } from "../../lib/list.js";
import { oneLine } from "../../lib/text.js";
import type { ChainResult, PathElement, Profile, ValidationOptions } from "../../path/types.js";
import { validateChain } from "../../path/validate.js";
import type { Problem } from "../../problems.js";
import { type Crl, parseCrl } from "../../revocation/crl.js";
import { TrustList } from "../../trust/trust-list.js";
import type { Certificate } from "../../x509/certificate.js";
import type { RegisterCommand } from "../context.js";
import { fetchOptionsFromEnv } from "../online.js";
import { inputOptions, PFX_MAX_ITERATIONS_OPTION, parseTime, repeatable } from "../options.js";
import { isoTime, mark, type Out, paint, writeData } from "../output.js";

interface ChainOpts {
  trust: string[];
  untrusted?: string[];
  crl?: string[];
  at?: string;
  online?: boolean;
  requireRevocation?: boolean;
  anchor: string;
  profile: string;
  strict?: boolean;
  json?: boolean;
  password?: string;
  skipUnreadable?: boolean;
  pfxMaxIterations?: string;
}

export const registerChain: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("chain")
    .description(
      "build and validate the path of a certificate to the trust list, as Exchange Online would, and say what is missing",
    )
    .argument(
      "<certificate>",
      "the certificate to check (any format; the first non-CA certificate is taken, the others help build the path)",
    )
    .requiredOption(
      "--trust <list>",
      "the trust list: .sst, P7B, PEM or a folder (repeat for more: --trust a.pem --trust b.pem)",
      repeatable,
    )
    .option(
      "--untrusted <file>",
      "extra intermediate certificates, as a message would carry them (a file or folder; repeatable)",
      repeatable,
    )
    .option("--crl <file>", "CRLs (DER or PEM), a file or folder (repeatable)", repeatable)
    .option("--at <time>", "validation time (ISO 8601 or Unix seconds; default now)")
    .option("--online", "fetch AIA issuers, CRL distribution points and OCSP over HTTP")
    .option("--require-revocation", "an undeterminable revocation status is an error")
    .option(
      "--anchor <kind>",
      "which list certificates end a path: self-signed (Exchange) or any",
      "self-signed",
    )
    .option(
      "--profile <profile>",
      "standard (RFC 5280 + S/MIME) or exchange (what Exchange Online does)",
      "standard",
    )
    .option(
      "--strict",
      "also enforce the RFC 5280 profile's rules for CAs (key identifiers, serial numbers, criticality) as strict clients do",
    )
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out files in folders that cannot be read (a PFX without its password, a truncated file) instead of stopping",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print JSON")
    .action(async (certificate: string, opts: ChainOpts) => {
      const anchor = opts.anchor.toLowerCase();
      const profile = opts.profile.toLowerCase();
      if (anchor !== "any" && anchor !== "self-signed")
        throw new UsageError(`--anchor: '${opts.anchor}' is not any or self-signed`);
      if (profile !== "standard" && profile !== "exchange")
        throw new UsageError(`--profile: '${opts.profile}' is not standard or exchange`);
      const time = opts.at ? parseTime(opts.at) : ctx.now();
      const lo = inputOptions(opts, ctx);
      const subject = await loadCertificates([certificate], lo);
      const trustIn = await loadCertificates(opts.trust, lo);
      const extra = opts.untrusted?.length ? await loadCertificates(opts.untrusted, lo) : undefined;
      const crlIn = opts.crl?.length ? await loadCertificates(opts.crl, lo) : undefined;
      const skipped = [subject, trustIn, extra, crlIn].flatMap((l) => l?.skipped ?? []);
      for (const w of [
        ...subject.warnings,
        ...trustIn.warnings,
        ...(extra?.warnings ?? []),
        ...(crlIn?.warnings ?? []),
      ])
        ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      if (subject.certificates.length === 0) throw new UsageError(`${certificate}: no certificate found`);
      if (crlIn && crlIn.crls.length === 0)
        throw new UsageError(`--crl: no CRL found in ${listSome(opts.crl!.map((c) => `'${c}'`))}`);
      if (crlIn?.certificates.length)
        ctx.out.stderr(
          `warning: --crl: ignored ${crlIn.certificates.length} certificate(s) found among the CRLs (give them with --untrusted or --trust)\n`,
        );
      if (trustIn.certificates.length === 0)
        throw new UsageError("--trust: no certificates found in the trust list");
      const leaf = subject.certificates.find((c) => !c.isCA) ?? subject.certificates[0];
      const untrusted: { cert: Certificate; source: "message" | "extra" }[] = [];
      for (const c of subject.certificates) if (c !== leaf) untrusted.push({ cert: c, source: "extra" });
      for (const c of extra?.certificates ?? []) untrusted.push({ cert: c, source: "extra" });
      // CRLs are parsed here so that a broken one is not silently ignored: one named with --crl is bad
      // input (exit 2); one found in a folder or beside certificates is left out with a warning.
      const named = new Set((opts.crl ?? []).map((n) => (n === "-" ? "<stdin>" : n)));
      const parsedCrls: Crl[] = [];
      for (const c of [...subject.crls, ...trustIn.crls, ...(extra?.crls ?? []), ...(crlIn?.crls ?? [])]) {
        try {
          parsedCrls.push(parseCrl(c.der, c.source));
        } catch (e) {
          if (!(e instanceof SmimetrustError) || named.has(c.source)) throw e;
          ctx.out.stderr(`warning: left out a CRL: ${oneLine(e.describe())}\n`);
        }
      }
      const vo: ValidationOptions = {
        time,
        profile: profile as Profile,
        anchorAny: anchor === "any",
        untrusted,
        parsedCrls,
        requireRevocation: opts.requireRevocation === true,
        leafSource: "extra",
        strict: opts.strict === true,
      };
      if (opts.online) {
        vo.online = true;
        const fetcher = fetcherFromEnv(ctx.env);
        vo.fetcher = fetcher;
        // SMIMETRUST_TIMEOUT_MS (default 10 s, OWACRLRetrievalTimeout) is also the total for the whole chain.
        vo.retrievalTimeoutMs = fetcher.settings.timeoutMs;
      }
      const result = await validateChain(leaf, new TrustList(trustIn.certificates), vo);
      if (opts.json)
        writeData(ctx.out, `${JSON.stringify({ ...toJson(result), ...skippedJson(skipped) }, null, 2)}\n`);
      else {
        ctx.out.stdout(renderChain(result, ctx.out, { time, profile }));
        if (skipped.length) ctx.out.stderr(`skipped ${oneLine(skippedSummary(skipped))}\n`);
      }
      done(result.verdict === "valid" ? 0 : 1);
    });
};

/** The --online fetcher, configured from the environment (see online.ts). */
export function fetcherFromEnv(env: NodeJS.ProcessEnv): HttpFetcher {
  return createHttpFetcher(fetchOptionsFromEnv(env));
}

/** The DESIGN.md contract: {"verdict","problems","path":[{"subject","sha1","source","problems"}]}. */
export function toJson(r: ChainResult): {
  verdict: string;
  problems: Problem[];
  path: { subject: string; sha1: string; source: string; problems: Problem[] }[];
} {
  return {
    verdict: r.verdict,
    problems: r.problems,
    path: r.path.map((e) => ({
      subject: e.cert.subject.toString(),
      sha1: e.cert.sha1,
      source: e.source,
      problems: e.problems,
    })),
  };
}

function status(problems: readonly Problem[]): "ok" | "warn" | "fail" {
  if (problems.some((p) => p.severity === "error")) return "fail";
  if (problems.some((p) => p.severity === "warning")) return "warn";
  return "ok";
}

function problemLines(out: Out, problems: readonly Problem[], indent: string): string {
  let s = "";
  for (const p of problems) {
    const m =
      p.severity === "error"
        ? mark(out, "fail")
        : p.severity === "warning"
          ? mark(out, "warn")
          : mark(out, "info");
    s += `${indent}${m} ${p.code}: ${oneLine(p.message)}\n`;
    if (p.hint) s += `${indent}  ${paint(out, "dim", `hint: ${oneLine(p.hint)}`)}\n`;
  }
  return s;
}

/** The path as a tree, anchor at the top, each certificate with its status by word and symbol. */
export function renderChain(r: ChainResult, out: Out, info: { time: number; profile: string }): string {
  const els: PathElement[] = [...r.path].reverse();
  const top = els[0];
  const anchored =
    top !== undefined &&
    top.source === "trust" &&
    !top.problems.some((p) =>
      ["CHAIN_INCOMPLETE", "UNTRUSTED_ROOT", "CHAIN_SIGNATURE_INVALID"].includes(p.code),
    );
  let s = `Certification path at ${isoTime(info.time)} (profile ${info.profile})\n\n`;
  els.forEach((e, i) => {
    const lead = i === 0 ? "" : `${"   ".repeat(i - 1)}└─ `;
    const role =
      i === els.length - 1
        ? "leaf"
        : i === 0 && anchored
          ? "trust anchor"
          : i === 0
            ? "last found"
            : "intermediate";
    s += `${lead}${mark(out, status(e.problems))}  ${paint(out, "bold", oneLine(e.cert.name))}  (${role}, from ${e.source})\n`;
    const pad = `${"   ".repeat(i)}     `;
    s += `${pad}sha1 ${e.cert.sha1} · valid ${isoTime(e.cert.notBefore).slice(0, 10)} to ${isoTime(e.cert.notAfter).slice(0, 10)} · ${e.cert.keyDescription}\n`;
    s += problemLines(out, e.problems, pad);
  });
  const certProblems = new Set(r.path.flatMap((e) => e.problems));
  const pathProblems = r.problems.filter((p) => !certProblems.has(p));
  if (pathProblems.length) s += `\n${problemLines(out, pathProblems, "")}`;
  s += `\nverdict: ${r.verdict === "valid" ? paint(out, "green", "✓ valid") : paint(out, "red", "✗ invalid")}\n`;
  return s;
}
