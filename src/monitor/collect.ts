/**
 * One pass over the watched sources (the I/O edge of the monitor): read each trust list and folder of
 * user certificates, run the audit, apply the expiry tiers, and turn failures to read into findings
 * (CHECK_FAILED, EXPORT_STALE) rather than exceptions.
 */
import { statSync } from "node:fs";
import { auditTrustList } from "../audit/check.js";
import { validateLeaves } from "../audit/leaves.js";
import { SmimetrustError, UnreadableFilesError } from "../errors.js";
import { loadCertificates } from "../io/files.js";
import { loadTrustSources } from "../io/trust-sources.js";
import type { ChainValidator } from "../path/types.js";
import { type Problem, problem } from "../problems.js";
import type { Certificate } from "../x509/certificate.js";
import type { ExchangeTenantsSource, MonitorConfig } from "./config.js";
import { type MonitorFinding, tierFor } from "./evaluate.js";
import type { CertSnapshot } from "./store.js";

export interface Collected {
  findings: MonitorFinding[];
  /** Fresh certificate snapshots by scope (only for sources read successfully). */
  certificates: Map<string, CertSnapshot[]>;
  /** Sources that could not be checked, with why. */
  failures: {
    scope: string;
    error: string /** The whole source could not be read (not just one file in a folder). */;
    whole: boolean;
  }[];
  /** Notes for the log (skipped files...). */
  warnings: string[];
  /** User-certificate sets whose chains could not be checked this time (their trust list failed). */
  chainsUnchecked: string[];
}

/**
 * One tenant of an Exchange Online source as read live. The reader is supplied by the front end that wires
 * the client (exchange-api/ sits above monitor/): the monitor turns what it read into findings.
 */
export interface LiveTenantState {
  name: string;
  /** Sign-in failed: the one line why (no secret in it). */
  signInFailed?: string;
  /** Reading the tenant failed otherwise. */
  error?: string;
  /** The live trust list's certificates (absent when it could not be read). */
  certificates?: Certificate[];
  trustListSha256?: string | null;
  /** The SHA-256 of the list the desired state builds; undefined when the config leaves the list alone. */
  desiredSha256?: string | null;
  /** The desired state could not be built (its own problem, reported beside the live checks). */
  desiredError?: string;
  /** Settings that differ from the desired ones ("OWAAlwaysSign is false, expected true"). */
  settingDrift?: string[];
}

export type ExchangeTenantsReader = (
  source: ExchangeTenantsSource,
  now: number,
) => Promise<LiveTenantState[]>;

export interface CollectDeps {
  /** Reads Exchange Online sources; without it such a source is a CHECK_FAILED. */
  readExchangeTenants?: ExchangeTenantsReader;
  now: number;
  /** The path engine, for user certificates with a trustList; absent: chains are not checked. */
  validate?: ChainValidator;
  /** File modification time in ms (for maxAgeHours); default fs.statSync. */
  mtime?: (path: string) => number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function describeError(e: unknown): string {
  if (e instanceof SmimetrustError) return e.describe();
  return (e as Error).message ?? String(e);
}

function withCert(f: Problem, scope: string, byId: Map<string, Certificate>, key?: string): MonitorFinding {
  const c = f.cert ? byId.get(f.cert) : undefined;
  return {
    ...f,
    scope,
    key: key ?? `${scope}|${f.code}|${f.cert ?? "-"}`,
    ...(c ? { subject: c.subject.toString(), notAfter: c.notAfter } : {}),
  };
}

/** What the store keeps of a certificate (for metrics and the calendar). */
function snapshot(scope: string, c: Certificate): CertSnapshot {
  const role = c.role;
  return {
    scope,
    sha1: c.sha1,
    subject: c.subject.toString(),
    notAfter: c.notAfter,
    notBefore: c.notBefore,
    role: role === "leaf" ? "user" : role,
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * A successor of `c` among `all`: the same subject, the same key identifier chain (the same key, the same
 * subject key identifier, or the same issuer and authority key identifier; for a self-issued CA the same
 * issuer name is enough, as a renewed root has a new key) and a later notAfter. The latest such one.
 */
export function successorOf(c: Certificate, all: readonly Certificate[]): Certificate | undefined {
  const subject = c.subject.toString();
  let best: Certificate | undefined;
  for (const o of all) {
    if (o.sha1 === c.sha1 || o.notAfter <= c.notAfter || o.subject.toString() !== subject) continue;
    const sameKey = hex(o.spki) === hex(c.spki);
    const sameSki = c.subjectKeyIdentifier !== undefined && o.subjectKeyIdentifier === c.subjectKeyIdentifier;
    const sameIssuer = o.issuer.toString() === c.issuer.toString();
    const akiC = c.authorityKeyIdentifier?.keyId;
    const akiO = o.authorityKeyIdentifier?.keyId;
    const sameAki = sameIssuer && (akiC === undefined || akiO === undefined || akiC === akiO);
    const selfIssued = c.isSelfIssued && o.isSelfIssued;
    if (!(sameKey || sameSki || sameAki || selfIssued)) continue;
    if (!best || o.notAfter > best.notAfter) best = o;
  }
  return best;
}

function uniq(certs: readonly Certificate[]): Certificate[] {
  const m = new Map<string, Certificate>();
  for (const c of certs) if (!m.has(c.sha1)) m.set(c.sha1, c);
  return [...m.values()];
}

export async function collect(config: MonitorConfig, deps: CollectDeps): Promise<Collected> {
  const now = deps.now;
  const out: Collected = {
    findings: [],
    certificates: new Map(),
    failures: [],
    warnings: [],
    chainsUnchecked: [],
  };
  const mtime = deps.mtime ?? ((p: string) => statSync(p).mtimeMs);
  const lists = new Map<string, Certificate[]>();

  const failed = (scope: string, e: unknown) => {
    // A folder holding files that cannot be read fails closed: one failure per file, and the source is not
    // checked (its open findings are kept, none resolved) until the files are fixed or skipUnreadable is set.
    if (e instanceof UnreadableFilesError) {
      for (const f of e.failures) {
        const detail = f.describe();
        out.failures.push({ scope, error: detail, whole: true });
        out.findings.push({
          ...problem("CHECK_FAILED", { name: scope, detail }),
          scope,
          key: `${scope}|CHECK_FAILED|${detail}`,
        });
      }
      return;
    }
    const detail = describeError(e);
    out.failures.push({ scope, error: detail, whole: true });
    out.findings.push({
      ...problem("CHECK_FAILED", { name: scope, detail }),
      scope,
      key: `${scope}|CHECK_FAILED|-`,
    });
  };

  /** Files of a watched folder that could not be read are check failures too (the rest is still checked). */
  const notes = (scope: string, warnings: readonly string[]) => {
    for (const w of warnings) {
      if (w.startsWith("skipped ")) {
        const detail = w.slice("skipped ".length);
        out.failures.push({ scope, error: detail, whole: false });
        out.findings.push({
          ...problem("CHECK_FAILED", { name: scope, detail }),
          scope,
          key: `${scope}|CHECK_FAILED|${detail}`,
        });
      } else out.warnings.push(`${scope}: ${w}`);
    }
  };

  const expiry = (
    scope: string,
    c: Certificate,
    kind: "trust" | "user",
    all: readonly Certificate[],
  ): MonitorFinding | undefined => {
    const t = tierFor(c.notAfter, now, config.thresholds);
    if (!t) return undefined;
    const next = successorOf(c, all);
    const code =
      t.tier === "expired"
        ? kind === "trust"
          ? "TRUST_EXPIRED"
          : "CERT_EXPIRED"
        : kind === "trust"
          ? "TRUST_EXPIRING"
          : "CERT_EXPIRING";
    const p = problem(code, {
      name: c.name,
      sha1: c.sha1,
      date: iso(c.notAfter),
      days: t.tier === "expired" ? -t.days : t.days,
      severity: t.severity,
    });
    return {
      ...p,
      scope,
      key: `${scope}|expiry|${c.sha1}`,
      tier: t.tier,
      subject: c.subject.toString(),
      notAfter: c.notAfter,
      ...(next ? { superseded: { sha1: next.sha1, notAfter: next.notAfter } } : {}),
    };
  };

  for (const t of config.trustLists) {
    try {
      if (t.maxAgeHours !== undefined) {
        const m = Math.min(...t.paths.map((x) => mtime(x)));
        const ageH = (now - m) / 3_600_000;
        if (ageH > t.maxAgeHours) {
          out.findings.push({
            ...problem("EXPORT_STALE", {
              name: t.name,
              date: iso(m),
              detail: `${Math.floor(ageH)} hours ago (allowed: ${t.maxAgeHours})`,
            }),
            scope: t.name,
            key: `${t.name}|EXPORT_STALE|-`,
          });
        }
      }
      const src = await loadTrustSources(t.paths, { skipUnreadable: config.skipUnreadable });
      notes(t.name, src.warnings);
      if (src.certificates.length === 0)
        throw new SmimetrustError("no certificates in the trust list", { file: t.paths.join(", ") });
      lists.set(t.name, src.certificates);
      const byId = new Map(src.certificates.map((c) => [c.sha1, c]));
      const audit = auditTrustList(src.certificates, { now, warnDays: 0, sstBytes: src.sstBytes }).filter(
        (f) => f.code !== "TRUST_EXPIRED" && f.code !== "TRUST_EXPIRING",
      );
      const unique = uniq(src.certificates);
      // A certificate whose expiry finding already says "superseded" gets no second notice from the audit.
      const superseded = new Set<string>();
      for (const c of unique) {
        const f = expiry(t.name, c, "trust", unique);
        if (f) out.findings.push(f);
        if (f?.superseded) superseded.add(c.sha1);
      }
      for (const f of audit)
        if (!(f.code === "SUPERSEDED" && f.cert && superseded.has(f.cert)))
          out.findings.push(withCert(f, t.name, byId));
      out.certificates.set(
        t.name,
        unique.map((c) => snapshot(t.name, c)),
      );
    } catch (e) {
      failed(t.name, e);
    }
  }

  for (const x of config.exchangeTenants ?? []) {
    let states: LiveTenantState[];
    try {
      if (!deps.readExchangeTenants)
        throw new SmimetrustError("no Exchange Online client is wired in", { file: x.tenants });
      states = await deps.readExchangeTenants(x, now);
    } catch (e) {
      failed(x.name, e);
      continue;
    }
    for (const st of states) {
      const scope = `${x.name}/${st.name}`;
      if (st.signInFailed !== undefined) {
        out.failures.push({ scope, error: st.signInFailed, whole: true });
        out.findings.push({
          ...problem("EXCHANGE_SIGN_IN_FAILED", { name: st.name, detail: st.signInFailed }),
          scope,
          key: `${scope}|EXCHANGE_SIGN_IN_FAILED|-`,
        });
        continue;
      }
      if (st.error !== undefined || !st.certificates) {
        failed(scope, new SmimetrustError(st.error ?? "nothing read"));
        continue;
      }
      if (st.desiredError !== undefined)
        out.findings.push({
          ...problem("CHECK_FAILED", { name: `${st.name} (desired state)`, detail: st.desiredError }),
          scope,
          key: `${scope}|CHECK_FAILED|desired`,
        });
      if (st.desiredSha256 !== undefined && st.desiredSha256 !== st.trustListSha256)
        out.findings.push({
          ...problem("EXCHANGE_DRIFT", {
            name: st.name,
            detail: `trust list SHA-256 ${st.trustListSha256 ?? "(none)"}, desired ${st.desiredSha256 ?? "(none)"}`,
          }),
          scope,
          key: `${scope}|EXCHANGE_DRIFT|trust`,
        });
      if (st.settingDrift?.length)
        out.findings.push({
          ...problem("EXCHANGE_DRIFT", { name: st.name, detail: st.settingDrift.join("; ") }),
          scope,
          key: `${scope}|EXCHANGE_DRIFT|settings`,
        });
      // One expired certificate blocks every later upload: each live certificate through the expiry tiers.
      const unique = uniq(st.certificates);
      for (const c of unique) {
        const f = expiry(scope, c, "trust", unique);
        if (f) out.findings.push(f);
      }
      out.certificates.set(
        scope,
        unique.map((c) => snapshot(scope, c)),
      );
    }
  }

  for (const u of config.userCertificates) {
    try {
      const loaded = await loadCertificates([u.path], { skipUnreadable: config.skipUnreadable });
      notes(u.name, loaded.warnings);
      const users = uniq(loaded.certificates.filter((c) => !c.isCA));
      for (const c of users) {
        const f = expiry(u.name, c, "user", users);
        if (f) out.findings.push(f);
      }
      const trust = u.trustList ? lists.get(u.trustList) : undefined;
      if (u.trustList && !trust) out.chainsUnchecked.push(u.name);
      if (u.trustList && trust && deps.validate) {
        const byId = new Map(users.map((c) => [c.sha1, c]));
        const results = await validateLeaves(
          users.filter((c) => c.notAfter >= now),
          trust.filter((c) => c.isCA || c.isSelfSigned),
          { now, validate: deps.validate },
        );
        for (const r of results) {
          for (const p of r.problems) {
            if (p.code === "CERT_EXPIRED" || p.code === "CERT_NOT_YET_VALID") continue;
            out.findings.push(withCert(p, u.name, byId, `${u.name}|${p.code}|${r.leaf.sha1}`));
          }
        }
      }
      out.certificates.set(
        u.name,
        users.map((c) => snapshot(u.name, c)),
      );
    } catch (e) {
      failed(u.name, e);
    }
  }
  return out;
}
