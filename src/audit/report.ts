/**
 * Shapes of the audit for front ends: the `check --json` document (DESIGN.md contract) and the
 * Markdown report an administrator keeps as the documentation of the list. Pure: values in, text out.
 */

import { escapeMarkdown, markdownCode } from "../lib/text.js";
import type { Problem, Severity } from "../problems.js";
import { EXCHANGE_MAX_SST_BYTES } from "../trust/build-store.js";
import { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import { daysAgo, daysLeft, isoUtc } from "./check.js";
import type { LeafResult } from "./leaves.js";

export interface CheckJson {
  certificates: { subject: string; sha1: string; notAfter: string; role: string }[];
  findings: Problem[];
}

export function uniqueCertificates(certs: readonly Certificate[]): Certificate[] {
  return new TrustList(certs).certificates;
}

export function checkJson(certs: readonly Certificate[], findings: Problem[]): CheckJson {
  return {
    certificates: uniqueCertificates(certs).map((c) => ({
      subject: c.subject.toString(),
      sha1: c.sha1,
      notAfter: new Date(c.notAfter).toISOString(),
      role: c.role,
    })),
    findings,
  };
}

export const SEVERITY_ICON: Record<Severity, string> = { error: "✗", warning: "!", info: "i" };

export function countBySeverity(findings: readonly Problem[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Text for a Markdown paragraph or GFM table cell (see lib/text.ts). */
const md = escapeMarkdown;

export interface MarkdownReportInput {
  certificates: readonly Certificate[];
  findings: readonly Problem[];
  now: number;
  sources: readonly string[];
  sstBytes: number;
  warnDays: number;
  leaves?: readonly LeafResult[];
}

/** The report: what is in the list (role, issuer, expiry with days left, thumbprint), the findings, when it was made. */
export function markdownReport(r: MarkdownReportInput): string {
  const list = new TrustList(r.certificates);
  const ordered = list.ordered();
  const counts = countBySeverity(r.findings);
  const roles = { root: 0, intermediate: 0, leaf: 0 };
  for (const c of ordered) roles[c.role]++;
  const earliest = ordered.reduce<Certificate | undefined>(
    (a, c) => (!a || c.notAfter < a.notAfter ? c : a),
    undefined,
  );
  const bySha1 = new Map<string, Problem[]>();
  for (const f of r.findings) if (f.cert) bySha1.set(f.cert, [...(bySha1.get(f.cert) ?? []), f]);
  const L: string[] = [];
  L.push("# S/MIME trust list report", "");
  L.push(`- Generated: ${isoUtc(r.now)} (UTC)`);
  L.push(`- Source${r.sources.length === 1 ? "" : "s"}: ${r.sources.map(markdownCode).join(", ")}`);
  L.push(
    `- Certificates: ${ordered.length} (${roles.root} root, ${roles.intermediate} intermediate${roles.leaf ? `, ${roles.leaf} not a CA` : ""})`,
  );
  L.push(
    `- Size as .sst: ${r.sstBytes.toLocaleString("en-US")} bytes (Exchange Online accepts up to ${EXCHANGE_MAX_SST_BYTES.toLocaleString("en-US")})`,
  );
  if (earliest) {
    const d = daysLeft(earliest.notAfter, r.now);
    const when =
      earliest.notAfter < r.now ? `expired ${daysAgo(earliest.notAfter, r.now)} days ago` : `${d} days left`;
    L.push(
      `- First to expire: ${md(earliest.name)}, ${isoUtc(earliest.notAfter)} (${when}), thumbprint \`${earliest.sha1}\``,
    );
  }
  const status = counts.error ? "✗ errors found" : counts.warning ? "! warnings found" : "✓ ok";
  L.push(
    `- Status: ${status} (${counts.error} error, ${counts.warning} warning, ${counts.info} info; expiry warning window ${r.warnDays} days)`,
  );
  L.push("", "## Certificates", "");
  L.push("Roots first, each followed by the CAs it issued.", "");
  L.push(
    "| # | Certificate | Role | Issued by | Valid from (UTC) | Expires (UTC) | Days left | Key | Used for | SHA-1 thumbprint | Status |",
  );
  L.push("|---|---|---|---|---|---|---|---|---|---|---|");
  ordered.forEach((c, i) => {
    const fs = bySha1.get(c.sha1) ?? [];
    const worst = fs.some((f) => f.severity === "error")
      ? "✗ error"
      : fs.some((f) => f.severity === "warning")
        ? "! warning"
        : fs.length
          ? "i info"
          : "✓ ok";
    const d = daysLeft(c.notAfter, r.now);
    const eku = c.extKeyUsage === undefined ? "any" : c.extKeyUsageNames.join(", ") || "none";
    L.push(
      `| ${i + 1} | ${md(c.subject.toString())} | ${c.role} | ${md(c.isSelfSigned ? "(itself)" : c.issuer.display)} | ${isoUtc(c.notBefore)} | ${isoUtc(c.notAfter)} | ${c.notAfter < r.now ? `expired ${daysAgo(c.notAfter, r.now)} days ago` : d} | ${md(c.keyDescription)} | ${md(eku)} | \`${c.sha1}\` | ${worst} |`,
    );
  });
  L.push("", "## Findings", "");
  if (r.findings.length === 0) L.push("✓ No findings.");
  else {
    L.push("| Severity | Code | Certificate | Finding | Fix |", "|---|---|---|---|---|");
    for (const f of r.findings)
      L.push(
        `| ${SEVERITY_ICON[f.severity]} ${f.severity} | ${f.code} | ${f.cert ? `\`${f.cert}\`` : "(the list)"} | ${md(f.message)} | ${md(f.hint ?? "")} |`,
      );
  }
  if (r.leaves && r.leaves.length > 0) {
    L.push("", "## User certificates checked against the list", "");
    L.push("| User certificate | E-mail | Result | SHA-1 thumbprint |", "|---|---|---|---|");
    for (const l of r.leaves) {
      const res =
        l.result.verdict === "valid"
          ? "✓ chains to the list"
          : `✗ ${
              l.problems
                .filter((p) => p.severity === "error")
                .map((p) => p.code)
                .join(", ") || "invalid"
            }`;
      L.push(`| ${md(l.leaf.name)} | ${md(l.leaf.emails.join(", "))} | ${res} | \`${l.leaf.sha1}\` |`);
    }
  }
  L.push("", `_Made by smimetrust check at ${isoUtc(r.now)} UTC._`, "");
  return L.join("\n");
}
