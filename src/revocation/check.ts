/**
 * Revocation checking for one certificate of a path: RFC 5280 section 6.3 CRL processing (scope by
 * distribution point, reasons, indirect and delta CRLs, CRL signer validation) over the CRLs given,
 * then, when online, the certificate's CRL distribution points over HTTP and OCSP (AIA).
 *
 * The path engine calls `checkRevocation` for every certificate but the anchor. Nothing here reads the
 * clock or the network directly: the time and a Fetcher come in through the context.
 */

import type { KeyObject } from "node:crypto";
import { bytesEqual } from "../lib/bytes.js";
import { encodeOid, parseOne, TAG, tlv } from "../lib/der.js";
import type { Fetcher } from "../lib/fetcher.js";
import { OID } from "../lib/oids.js";
import { importSpki, verifySignature } from "../lib/signature.js";
import { type Problem, problem } from "../problems.js";
import type { Certificate } from "../x509/certificate.js";
import type { DistributionPoint } from "../x509/extensions.js";
import type { GeneralName } from "../x509/general-name.js";
import { Name } from "../x509/name.js";
import { CRL_REASON, CRL_REASON_NAMES, type Crl, type RevokedEntry, readCrls, serialKey } from "./crl.js";
import { checkOcsp } from "./ocsp.js";

export interface RevocationContext {
  time: number;
  crls: Crl[];
  online: boolean;
  fetcher?: Fetcher;
  /** Certificates that may have signed a CRL (trust list + untrusted pool) with this subject name key (Name.key). */
  candidateSigners(nameKey: string): Certificate[];
  /** Validates a CRL/OCSP signer certificate's own path to the same anchors (the engine supplies it; recursion guarded). */
  validateSigner(cert: Certificate, time: number): Promise<boolean>;
}

export interface RevocationResult {
  status: "good" | "revoked" | "unknown";
  problems: Problem[];
}

/** ReasonFlags bits 1..8 (keyCompromise .. aACompromise); bit 0 is "unused". */
const ALL_REASONS = 0x1fe;
/** Most candidate signers tried per CRL, and most URLs fetched per certificate. */
const MAX_SIGNER_CANDIDATES = 16;
const MAX_FETCH_URLS = 4;

interface Evaluation {
  status: "good" | "revoked" | "unknown";
  entry?: RevokedEntry;
  crl?: Crl;
  /** Why CRLs could not be used (for REVOCATION_UNKNOWN's detail). */
  notes: string[];
}

export async function checkRevocation(
  cert: Certificate,
  issuer: Certificate,
  path: Certificate[],
  index: number,
  ctx: RevocationContext,
): Promise<RevocationResult> {
  const notes: string[] = [];
  const signerCache = new Map<Crl, Promise<Certificate | undefined>>();
  let ev = await evaluateCrls(cert, issuer, path, index, ctx, ctx.crls, signerCache);
  if (ev.status !== "unknown") return toResult(cert, ev, ctx.time);
  if (ctx.crls.length > 0) notes.push(...ev.notes);

  if (ctx.online && ctx.fetcher) {
    const fetched = await fetchCrls(cert, ctx.fetcher, notes);
    if (fetched.length > 0) {
      ev = await evaluateCrls(cert, issuer, path, index, ctx, [...ctx.crls, ...fetched], signerCache);
      if (ev.status !== "unknown") return toResult(cert, ev, ctx.time);
      notes.push(...ev.notes.filter((n) => !notes.includes(n)));
    }
    const ocspUrls = cert.ocspUrls.filter((u) => /^https?:/i.test(u)).slice(0, MAX_FETCH_URLS);
    for (const url of ocspUrls) {
      const r = await checkOcsp(cert, issuer, url, ctx);
      if (r.status === "revoked") {
        const p = problem("CERT_REVOKED", {
          name: cert.name,
          sha1: cert.sha1,
          ...(r.revocationTime !== undefined ? { date: iso(r.revocationTime) } : {}),
          detail: `OCSP responder ${url}${r.reason !== undefined ? `, reason ${CRL_REASON_NAMES[r.reason] ?? r.reason}` : ""}`,
        });
        return { status: "revoked", problems: [p] };
      }
      if (r.status === "good") return { status: "good", problems: [] };
      notes.push(`OCSP ${url}: ${r.note}`);
    }
  } else if (ctx.online) {
    notes.push("online checking was asked for, but no fetcher was given");
  } else {
    const where = [...crlUrls(cert), ...cert.ocspUrls][0];
    notes.push(
      where
        ? `${ctx.crls.length ? "no usable CRL given" : "no CRL given"}; --online would fetch ${where}`
        : `${ctx.crls.length ? "no usable CRL given" : "no CRL given"}, and ${noSourceNote(cert)}`,
    );
  }
  if (notes.length === 0 || (ctx.online && crlUrls(cert).length === 0 && cert.ocspUrls.length === 0))
    notes.push(noSourceNote(cert));
  return {
    status: "unknown",
    problems: [
      problem("REVOCATION_UNKNOWN", { name: cert.name, sha1: cert.sha1, detail: dedupe(notes).join("; ") }),
    ],
  };
}

function toResult(cert: Certificate, ev: Evaluation, time: number): RevocationResult {
  if (ev.status === "good") return { status: "good", problems: [] };
  const e = ev.entry!;
  const reason = e.reason !== undefined ? (CRL_REASON_NAMES[e.reason] ?? String(e.reason)) : undefined;
  const p = problem("CERT_REVOKED", {
    name: cert.name,
    sha1: cert.sha1,
    date: iso(e.revocationDate),
    detail: `${reason ? `reason ${reason}, ` : ""}listed in the ${ev.crl?.deltaBase !== undefined ? "delta " : ""}CRL of '${ev.crl?.issuer.display ?? "?"}'${e.revocationDate > time ? ` (after the validation time ${iso(time)})` : ""}`,
  });
  return { status: "revoked", problems: [p] };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function dedupe(a: string[]): string[] {
  return [...new Set(a)];
}

/** Why there is nothing to fetch: no distribution point at all, or only ones that are not HTTP (LDAP, file). */
function noSourceNote(cert: Certificate): string {
  const other: string[] = [];
  for (const dp of cert.crlDistributionPoints ?? [])
    for (const g of dp.fullName ?? [])
      if (g.type === "uri" && !/^https?:\/\//i.test(g.value)) other.push(g.value);
  if (other.length > 0)
    return `its CRL distribution points are not HTTP (${other.slice(0, 2).join(", ")}); neither smimetrust nor Exchange Online can fetch them: publish the CRL over HTTP`;
  return "the certificate names no CRL distribution point or OCSP responder";
}

/** http(s) URLs of the certificate's CRL distribution points (and freshest CRL, for deltas). */
export function crlUrls(cert: Certificate): string[] {
  const dps = [...(cert.crlDistributionPoints ?? []), ...(cert.freshestCrl ?? [])];
  const out: string[] = [];
  for (const dp of dps)
    for (const g of dp.fullName ?? [])
      if (g.type === "uri" && /^https?:\/\//i.test(g.value) && !out.includes(g.value)) out.push(g.value);
  return out;
}

/** Parsed CRLs per fetched body: a caching fetcher hands back the same bytes, so each CRL is parsed (and its signature checked) once. */
const parsedBodies = new WeakMap<Uint8Array, Crl[]>();

async function fetchCrls(cert: Certificate, fetcher: Fetcher, notes: string[]): Promise<Crl[]> {
  const out: Crl[] = [];
  for (const url of crlUrls(cert).slice(0, MAX_FETCH_URLS)) {
    try {
      const res = await fetcher.get(url);
      if (res.status !== 200) {
        notes.push(`CRL ${url}: HTTP ${res.status}`);
        continue;
      }
      let parsed = parsedBodies.get(res.body);
      if (!parsed) {
        parsed = readCrls(res.body, url);
        parsedBodies.set(res.body, parsed);
      }
      out.push(...parsed);
    } catch (e) {
      notes.push(`CRL ${url}: ${(e as Error).message}`);
    }
  }
  return out;
}

// ---- RFC 5280 6.3.3 ------------------------------------------------------

async function evaluateCrls(
  cert: Certificate,
  issuer: Certificate,
  path: Certificate[],
  index: number,
  ctx: RevocationContext,
  crls: Crl[],
  signerCache: Map<Crl, Promise<Certificate | undefined>>,
): Promise<Evaluation> {
  const notes: string[] = [];
  const time = ctx.time;
  if (crls.length === 0) return { status: "unknown", notes: ["no CRL available"] };
  const dpsExt = cert.crlDistributionPoints;
  const dps: (DistributionPoint | undefined)[] = dpsExt && dpsExt.length > 0 ? dpsExt : [undefined];
  // Only CRLs from the certificate's issuer or a cRLIssuer its distribution points name can apply.
  const issuerKeys = new Set<string>([cert.issuer.key]);
  for (const dp of dps) for (const g of dp?.crlIssuer ?? []) if (g.type === "dn") issuerKeys.add(g.value.key);
  const relevant = crls.filter((c) => issuerKeys.has(c.issuer.key));
  const complete = relevant
    .filter((c) => c.deltaBase === undefined)
    .sort((a, b) => b.thisUpdate - a.thisUpdate);
  const deltas = relevant.filter((c) => c.deltaBase !== undefined);
  if (complete.length === 0 && deltas.length > 0)
    notes.push("only a delta CRL is available, no complete CRL");
  const serial = serialKey(cert.serialNumber);
  let mask = 0;
  let anyInScope = false;

  for (const crl of complete) {
    if (mask === ALL_REASONS) break;
    for (const dp of dps) {
      if (mask === ALL_REASONS) break;
      // (b) issuer and scope
      if (!crlIssuerMatches(crl, cert, dp)) continue;
      if (!idpMatches(crl, cert, dp)) continue;
      anyInScope = true;
      // (a) currency
      const label = `CRL of '${crl.issuer.display}'${crl.source ? ` (${crl.source})` : ""}`;
      // A CRL issued after the validation time is used too: it still tells whether the certificate was
      // revoked (historical validation, --at signing); only a CRL whose nextUpdate has passed is stale.
      if (crl.nextUpdate !== undefined && crl.nextUpdate < time) {
        notes.push(`${label} is stale (nextUpdate ${iso(crl.nextUpdate)})`);
        continue;
      }
      if (crl.unknownCriticalExtensions.length > 0) {
        notes.push(
          `${label} has an unknown critical extension (${crl.unknownCriticalExtensions.join(", ")})`,
        );
        continue;
      }
      if (crl.defects.length > 0) {
        notes.push(`${label} is not usable: ${crl.defects.join("; ")}`);
        continue;
      }
      if (crl.hasUnknownCriticalEntryExtension) {
        notes.push(`${label} has an entry with an unknown critical extension`);
        continue;
      }
      // (c), (d) reasons
      let interim = ALL_REASONS;
      const idp = crl.issuingDistributionPoint;
      if (idp?.onlySomeReasons) interim &= reasonMask(idp.onlySomeReasons);
      if (dp?.reasons) interim &= reasonMask(dp.reasons);
      if ((interim & ~mask) === 0) continue;
      // (f) signer
      let sp = signerCache.get(crl);
      if (!sp) {
        sp = findSigner(crl, cert, issuer, path, index, ctx, notes, label);
        signerCache.set(crl, sp);
      }
      const signer = await sp;
      if (!signer) continue;
      // (g) delta CRL
      const delta = findDelta(crl, deltas, signer, time, path);
      // (i) look up the serial
      if (delta) {
        const de = findEntry(delta, serial, cert);
        if (de) {
          if (de.reason === CRL_REASON.removeFromCRL) {
            mask |= interim;
            continue;
          }
          return { status: "revoked", entry: de, crl: delta, notes };
        }
      }
      const e = findEntry(crl, serial, cert);
      if (e && e.reason !== CRL_REASON.removeFromCRL) return { status: "revoked", entry: e, crl, notes };
      mask |= interim;
    }
  }
  if (mask === ALL_REASONS) return { status: "good", notes };
  if (!anyInScope && (complete.length > 0 || deltas.length === 0))
    notes.push(`no CRL covers this certificate (issuer '${cert.issuer.display}')`);
  else if (mask !== 0) notes.push("the usable CRLs do not cover all revocation reasons");
  return { status: "unknown", notes };
}

function reasonMask(bits: number[]): number {
  let m = 0;
  for (const b of bits) if (b >= 1 && b <= 8) m |= 1 << b;
  return m;
}

function findEntry(crl: Crl, serial: string, cert: Certificate): RevokedEntry | undefined {
  const entries = crl.bySerial.get(serial);
  if (!entries) return undefined;
  for (const e of entries) {
    const issuers = e.certificateIssuer
      ? e.certificateIssuer.flatMap((g) => (g.type === "dn" ? [g.value] : []))
      : [crl.issuer];
    if (issuers.some((n) => n.equals(cert.issuer))) return e;
  }
  return undefined;
}

/** 6.3.3 (b)(1): the CRL's issuer is the certificate's issuer, or the DP's cRLIssuer of an indirect CRL. */
function crlIssuerMatches(crl: Crl, cert: Certificate, dp: DistributionPoint | undefined): boolean {
  if (dp?.crlIssuer && dp.crlIssuer.length > 0) {
    if (!crl.issuingDistributionPoint?.indirectCRL) return false;
    return dp.crlIssuer.some((g) => g.type === "dn" && g.value.equals(crl.issuer));
  }
  return crl.issuer.equals(cert.issuer);
}

/** 6.3.3 (b)(2): issuing distribution point versus the certificate's distribution point and kind. */
function idpMatches(crl: Crl, cert: Certificate, dp: DistributionPoint | undefined): boolean {
  const idp = crl.issuingDistributionPoint;
  if (!idp) return true;
  if (idp.fullName || idp.relativeName) {
    const idpNames = dpNames(idp, crl.issuer);
    if (!idpNames) return false;
    if (dp && (dp.fullName || dp.relativeName)) {
      const base = dp.crlIssuer?.find((g) => g.type === "dn");
      const certNames = dpNames(dp, base && base.type === "dn" ? base.value : cert.issuer);
      if (!certNames || !intersects(idpNames, certNames)) return false;
    } else if (dp?.crlIssuer) {
      if (!intersects(idpNames, dp.crlIssuer)) return false;
    } else return false;
  }
  if (idp.onlyContainsUserCerts && cert.isCA) return false;
  if (idp.onlyContainsCACerts && !cert.isCA) return false;
  if (idp.onlyContainsAttributeCerts) return false;
  return true;
}

/** A distribution point name as GeneralNames; nameRelativeToCRLIssuer becomes the issuer's DN plus the RDN. */
function dpNames(
  dp: { fullName?: GeneralName[]; relativeName?: Uint8Array },
  crlIssuer: Name,
): GeneralName[] | undefined {
  if (dp.fullName) return dp.fullName;
  if (!dp.relativeName) return undefined;
  try {
    const content = parseOne(crlIssuer.der, "Name").value;
    // relativeName is the raw [1] IMPLICIT RDN; re-tag it as a SET.
    const rdn = parseOne(dp.relativeName, "RDN");
    const der = tlv(TAG.SEQUENCE, content, tlv(TAG.SET, rdn.value));
    return [{ type: "dn", value: new Name(parseOne(der, "Name")) }];
  } catch {
    return undefined;
  }
}

function intersects(a: GeneralName[], b: GeneralName[]): boolean {
  return a.some((x) => b.some((y) => generalNameEquals(x, y)));
}

function generalNameEquals(a: GeneralName, b: GeneralName): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case "dn":
      return a.value.equals((b as { value: Name }).value);
    case "uri":
    case "dns":
    case "email":
      return a.value.toLowerCase() === (b as { value: string }).value.toLowerCase();
    case "ip":
      return bytesEqual(a.value, (b as { value: Uint8Array }).value);
    case "oid":
      return a.value === (b as { value: string }).value;
    default:
      return bytesEqual(a.raw, (b as { raw: Uint8Array }).raw);
  }
}

/** CRL signature results per (CRL, signer certificate), so bulk validation verifies each CRL once per signer. */
const sigMemo = new WeakMap<Crl, Map<string, boolean>>();

function signatureOk(crl: Crl, signer: Certificate, path: Certificate[]): boolean {
  let m = sigMemo.get(crl);
  if (!m) {
    m = new Map();
    sigMemo.set(crl, m);
  }
  // A DSA key without parameters depends on the path it inherits them from: not memoised.
  const memo = !(signer.publicKeyInfo.algorithm === OID.dsa && isAbsentParams(signer.publicKeyInfo.params));
  const hit = memo ? m.get(signer.sha1) : undefined;
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok =
      crl.signatureAlgorithm.oid === crl.tbsSignatureAlgorithm.oid &&
      verifySignature(
        crl.signatureAlgorithm,
        crl.tbs,
        crl.signature,
        signerKey(signer, path),
        signer.publicKeyInfo.algorithm,
      );
  } catch {
    ok = false;
  }
  if (memo) m.set(signer.sha1, ok);
  return ok;
}

const isAbsentParams = (p: Uint8Array | undefined) => !p || (p.length === 2 && p[0] === TAG.NULL);

/** The signer's key; a DSA key without domain parameters inherits them from the issuers above it in the path (PKITS 4.1.5). */
function signerKey(signer: Certificate, path: Certificate[]): KeyObject {
  const k = signer.publicKeyInfo;
  if (k.algorithm !== OID.dsa || !isAbsentParams(k.params)) return signer.publicKey;
  const pos = path.findIndex((p) => p.sha1 === signer.sha1);
  for (let j = pos + 1; pos >= 0 && j < path.length; j++) {
    const pk = path[j].publicKeyInfo;
    if (pk.algorithm !== OID.dsa) break;
    if (!isAbsentParams(pk.params)) {
      const spki = tlv(
        TAG.SEQUENCE,
        tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.dsa)), pk.params!),
        tlv(TAG.BIT_STRING, Uint8Array.of(0), k.key),
      );
      return importSpki(spki);
    }
  }
  return signer.publicKey;
}

/**
 * 6.3.3 (f): a certificate whose subject is the CRL issuer, whose key verifies the CRL, that may sign CRLs
 * (cRLSign) and whose own path is valid: the certificate's issuer or a certificate higher in the path are
 * trusted as they are; others (separate CRL keys, re-keyed CAs, indirect CRL issuers) go to validateSigner.
 */
async function findSigner(
  crl: Crl,
  cert: Certificate,
  issuer: Certificate,
  path: Certificate[],
  index: number,
  ctx: RevocationContext,
  notes: string[],
  label: string,
): Promise<Certificate | undefined> {
  const trusted = new Set<string>([issuer.sha1, cert.sha1]);
  for (let j = index + 1; j < path.length; j++) trusted.add(path[j].sha1);
  const seen = new Set<string>();
  const cands: Certificate[] = [];
  const add = (c: Certificate) => {
    if (seen.has(c.sha1) || !c.subject.equals(crl.issuer)) return;
    seen.add(c.sha1);
    cands.push(c);
  };
  add(issuer);
  for (let j = index + 1; j < path.length; j++) add(path[j]);
  const pool = ctx.candidateSigners(crl.issuer.key);
  const aki = crl.authorityKeyIdentifier?.keyId;
  // Candidates whose key identifier matches the CRL's AKI first.
  const sorted = [...pool].sort(
    (a, b) => Number(b.subjectKeyIdentifier === aki) - Number(a.subjectKeyIdentifier === aki),
  );
  for (const c of sorted) add(c);
  add(cert);

  let sawSignature = false;
  let lackedCrlSign = false;
  let invalidPath = false;
  for (const c of cands.slice(0, MAX_SIGNER_CANDIDATES)) {
    if (!signatureOk(crl, c, path)) continue;
    sawSignature = true;
    const ku = c.keyUsage;
    if (ku !== undefined && !ku.includes(6)) {
      lackedCrlSign = true;
      continue;
    }
    if (trusted.has(c.sha1)) return c;
    if (await ctx.validateSigner(c, ctx.time)) return c;
    invalidPath = true;
  }
  if (lackedCrlSign) notes.push(`${label}: its signer may not sign CRLs (no cRLSign key usage)`);
  if (invalidPath) notes.push(`${label}: its signer's certificate is not valid`);
  if (!sawSignature)
    notes.push(`${label}: signature does not verify with any certificate of '${crl.issuer.display}'`);
  return undefined;
}

/** 6.3.3 (c)/(g): a current delta CRL for this complete CRL (same issuer, scope and signer; base <= number). */
function findDelta(
  complete: Crl,
  deltas: Crl[],
  signer: Certificate,
  time: number,
  path: Certificate[],
): Crl | undefined {
  if (complete.crlNumber === undefined) return undefined;
  let best: Crl | undefined;
  for (const d of deltas) {
    if (!d.issuer.equals(complete.issuer)) continue;
    const a = complete.issuingDistributionPoint?.der;
    const b = d.issuingDistributionPoint?.der;
    if ((a === undefined) !== (b === undefined) || (a && b && !bytesEqual(a, b))) continue;
    if (d.deltaBase! > complete.crlNumber) continue;
    if (d.crlNumber !== undefined && d.crlNumber <= complete.crlNumber) continue;
    if (d.nextUpdate !== undefined && d.nextUpdate < time) continue;
    if (d.unknownCriticalExtensions.length > 0 || d.hasUnknownCriticalEntryExtension || d.defects.length > 0)
      continue;
    const ka = complete.authorityKeyIdentifier?.keyId;
    const kb = d.authorityKeyIdentifier?.keyId;
    if (ka && kb && ka !== kb) continue;
    if (!signatureOk(d, signer, path)) continue;
    if (!best || (d.crlNumber ?? 0n) > (best.crlNumber ?? 0n)) best = d;
  }
  return best;
}
