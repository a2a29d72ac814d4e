/**
 * The trust-list audit: rules over the certificates of one list, each finding from the problem
 * catalogue and naming its certificate by SHA-1. Pure: the clock comes in as `now`, the size of the
 * .sst as `sstBytes` (or it is computed with the same writer `build` uses).
 *
 * Decisions:
 * - WEAK_ALGORITHM is reported for SHA-1 / MD5 signatures on certificates that are not self-signed.
 *   A self-signed root's own signature protects nothing: the root is trusted because it is in the list,
 *   not because of its signature, so a SHA-1 self-signature is not security-relevant (RFC 5280 6.1,
 *   CA/B Forum practice). Its key size still counts (WEAK_KEY).
 * - MISSING_ISSUER is checked for CA certificates that are not self-signed (intermediates). A leaf in
 *   the list is NOT_A_CA; whether its issuer is present does not matter for the list.
 * - Expiry windows are counted in whole days, rounded down (a certificate expiring in 29.9 days has 29).
 */

import { describeDistrust, sstDistrust } from "../formats/distrust.js";
import { createSst } from "../formats/sst.js";
import { signatureHash } from "../lib/signature.js";
import { type Problem, type ProblemCode, problem, severityRank } from "../problems.js";
import { EXCHANGE_MAX_SST_BYTES } from "../trust/build-store.js";
import { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import { sameBytes } from "./diff.js";

export const DAY_MS = 86_400_000;

export interface AuditOptions {
  /** The time the list is judged at (ms since the epoch). */
  now: number;
  /** TRUST_EXPIRING window in days (default 30). */
  warnDays?: number;
  /** Size of the .sst as it is (a file or an Exchange export); computed from the certificates when absent. */
  sstBytes?: number;
}

/**
 * Days left until `notAfter`, counted one way everywhere (text, JSON, alerts): whole days, rounded down,
 * so negative once expired (-1 during the first day after expiry).
 */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / DAY_MS);
}

/** Days since an expired certificate's `notAfter`: always `-daysLeft`, so "expired N days ago" and daysLeft agree. */
export function daysAgo(t: number, now: number): number {
  return -daysLeft(t, now);
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function p(code: ProblemCode, c: Certificate, extra: Parameters<typeof problem>[1] = {}): Problem {
  return problem(code, { name: c.name, sha1: c.sha1, ...extra });
}

function safeSignedBy(c: Certificate, issuer: Certificate): boolean {
  try {
    return c.isSignedBy(issuer);
  } catch {
    return false;
  }
}

/**
 * NO_EMAIL_PROTECTION: a CA whose extended key usage excludes e-mail protection (a TLS-only CA), so nothing
 * under it can sign mail. The one rule `check` reports and `build` warns about.
 */
export function noEmailProtection(c: Certificate): Problem | undefined {
  if (!c.isCA || c.allowsEmailProtection) return undefined;
  const ekus = c.extKeyUsageNames;
  return p("NO_EMAIL_PROTECTION", c, {
    detail: `it allows only ${ekus.length ? ekus.join(", ") : "nothing"}`,
  });
}

/** Size in bytes of the .sst these certificates make (de-duplicated, as `build` writes it). */
export function sstSizeOf(certs: readonly Certificate[]): number {
  return createSst(new TrustList(certs).certificates.map((c) => ({ der: c.der }))).length;
}

/** The audit findings for a trust list, most severe first (list order within a severity). */
export function auditTrustList(certs: readonly Certificate[], opts: AuditOptions): Problem[] {
  const now = opts.now;
  const warnDays = opts.warnDays ?? 30;
  const list = new TrustList(certs);
  const out: Problem[] = [];

  const size = opts.sstBytes ?? sstSizeOf(certs);
  if (size > EXCHANGE_MAX_SST_BYTES) {
    out.push(
      problem("SST_TOO_LARGE", {
        bytes: size,
        detail: `${size - EXCHANGE_MAX_SST_BYTES} bytes over, ${list.size} certificates`,
      }),
    );
  }

  for (const c of list) {
    // ---- dates ----
    if (c.notAfter < now) {
      out.push(p("TRUST_EXPIRED", c, { date: isoUtc(c.notAfter), days: daysAgo(c.notAfter, now) }));
    } else if (c.notAfter - now <= warnDays * DAY_MS) {
      out.push(p("TRUST_EXPIRING", c, { date: isoUtc(c.notAfter), days: daysLeft(c.notAfter, now) }));
    }
    if (c.notBefore > now) out.push(p("TRUST_NOT_YET_VALID", c, { date: isoUtc(c.notBefore) }));

    // ---- copies ----
    const n = list.occurrences.get(c.sha1) ?? 1;
    if (n > 1) out.push(p("DUPLICATE", c, { count: n }));

    // ---- what it is ----
    const role = c.role;
    if (role === "leaf") {
      const why =
        c.basicConstraints === undefined
          ? "it has no basicConstraints extension"
          : "its basicConstraints say cA=FALSE";
      const who = c.emails.length ? `; it is a user certificate for ${c.emails.join(", ")}` : "";
      out.push(p("NOT_A_CA", c, { detail: `${why}${who}` }));
    }

    if (role === "intermediate" || (c.isCA && !c.isSelfSigned)) {
      const candidates = list.issuersOf(c).filter((i) => i.sha1 !== c.sha1);
      const signer = candidates.find((i) => safeSignedBy(c, i));
      if (!signer) {
        let detail: string | undefined;
        if (candidates.length > 0) {
          detail = `${candidates
            .map((i) => `'${i.name}' (thumbprint ${i.sha1})`)
            .join(
              " and ",
            )} in the list ${candidates.length === 1 ? "has" : "have"} that name, but a different key: ${candidates.length === 1 ? "it did not sign" : "none of them signed"} this certificate (the CA was re-keyed or it is a different CA with the same name)`;
        }
        out.push(p("MISSING_ISSUER", c, { issuer: c.issuer.display, detail }));
      }
    }

    // ---- distrust marked by Windows (.sst properties 104, 126, 127) ----
    const distrust = sstDistrust(c.sstProperties);
    if (distrust) {
      const past = distrust.disallowedAfter !== undefined && distrust.disallowedAfter <= opts.now;
      out.push(
        p("SST_DISTRUSTED", c, {
          detail: describeDistrust(distrust),
          ...(past ? { severity: "error" as const } : {}),
        }),
      );
    }

    // ---- strength ----
    const k = c.publicKeyInfo;
    const bits = k.bits;
    if (bits !== undefined) {
      const weak =
        ((k.type === "RSA" || k.type === "RSA-PSS" || k.type === "DSA") && bits < 2048) ||
        (k.type === "EC" && bits < 256);
      if (weak) out.push(p("WEAK_KEY", c, { alg: c.keyDescription }));
    }
    if (!c.isSelfSigned) {
      let hash: string | undefined;
      try {
        hash = signatureHash(c.signatureAlgorithm);
      } catch {
        hash = undefined;
      }
      if (hash === "sha1" || hash === "md5") {
        out.push(
          p("WEAK_ALGORITHM", c, { alg: `${c.signatureAlgorithmName} signature by '${c.issuer.display}'` }),
        );
      }
    }

    // ---- purpose ----
    const purpose = noEmailProtection(c);
    if (purpose) out.push(purpose);

    // ---- superseded: same subject and same key, a newer certificate present ----
    const newer = list
      .withSubject(c.subject.key)
      .filter(
        (o) =>
          o.sha1 !== c.sha1 &&
          sameBytes(o.spki, c.spki) &&
          (o.notAfter > c.notAfter || (o.notAfter === c.notAfter && o.notBefore > c.notBefore)),
      )
      .sort((a, b) => b.notAfter - a.notAfter)[0];
    if (newer)
      out.push(
        p("SUPERSEDED", c, { detail: `by thumbprint ${newer.sha1}, valid until ${isoUtc(newer.notAfter)}` }),
      );
  }

  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.i - b.i)
    .map((x) => x.f);
}
