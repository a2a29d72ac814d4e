/**
 * TrustList: an indexed, de-duplicated set of certificates (by SHA-1, SHA-256, subject name and
 * subject key identifier), with the order Microsoft's guide asks for: each root followed by the
 * intermediates under it.
 */

import { digest, hexUpper } from "../lib/bytes.js";
import type { Certificate } from "../x509/certificate.js";

export class TrustList {
  private readonly bySha1 = new Map<string, Certificate>();
  private readonly bySubject = new Map<string, Certificate[]>();
  private readonly bySki = new Map<string, Certificate[]>();
  private readonly sha256s = new Map<string, Certificate>();
  /** How many times each SHA-1 was added (duplicates are reported by audit). */
  readonly occurrences = new Map<string, number>();
  private _id?: string;

  constructor(certs: Iterable<Certificate> = []) {
    for (const c of certs) this.add(c);
  }

  /** Adds a certificate; returns false when it was already present (the first copy is kept). */
  add(cert: Certificate): boolean {
    const k = cert.sha1;
    this.occurrences.set(k, (this.occurrences.get(k) ?? 0) + 1);
    if (this.bySha1.has(k)) return false;
    this._id = undefined;
    this.bySha1.set(k, cert);
    this.sha256s.set(cert.sha256, cert);
    push(this.bySubject, cert.subject.key, cert);
    const ski = cert.subjectKeyIdentifier;
    if (ski) push(this.bySki, ski, cert);
    return true;
  }

  get size(): number {
    return this.bySha1.size;
  }

  /** Certificates in insertion order. */
  get certificates(): Certificate[] {
    return [...this.bySha1.values()];
  }

  [Symbol.iterator](): Iterator<Certificate> {
    return this.bySha1.values();
  }

  has(cert: Certificate): boolean {
    return this.bySha1.has(cert.sha1);
  }

  bySha1Thumbprint(sha1: string): Certificate | undefined {
    return this.bySha1.get(sha1.toUpperCase());
  }

  bySha256Thumbprint(sha256: string): Certificate | undefined {
    return this.sha256s.get(sha256.toUpperCase());
  }

  /** Certificates whose subject name equals `subjectKey` (a Name.key). */
  withSubject(subjectKey: string): readonly Certificate[] {
    return this.bySubject.get(subjectKey) ?? EMPTY;
  }

  withSubjectKeyIdentifier(ski: string): readonly Certificate[] {
    return this.bySki.get(ski) ?? EMPTY;
  }

  /**
   * Candidate issuers of `cert` in this list: same name as its issuer, those whose SKI equals its
   * AKI keyIdentifier first. Signatures are not checked here.
   */
  issuersOf(cert: Certificate): Certificate[] {
    const named = this.withSubject(cert.issuer.key);
    if (named.length <= 1) return [...named];
    const aki = cert.authorityKeyIdentifier?.keyId;
    if (!aki) return [...named];
    return [...named].sort(
      (a, b) => Number(b.subjectKeyIdentifier === aki) - Number(a.subjectKeyIdentifier === aki),
    );
  }

  /** The self-signed certificates: Exchange's anchors. */
  get anchors(): Certificate[] {
    return this.certificates.filter((c) => c.isSelfSigned);
  }

  /** A stable identifier of the set's content (independent of order), for cache keys. */
  get id(): string {
    if (this._id === undefined) {
      const keys = [...this.bySha1.keys()].sort().join("");
      this._id = hexUpper(digest("sha256", Buffer.from(keys, "latin1")));
    }
    return this._id;
  }

  /**
   * Roots first, each followed by the certificates it issued, depth first (the order Microsoft's guide
   * asks for). Certificates whose issuer is not in the list follow at the end, in insertion order.
   */
  ordered(): Certificate[] {
    const all = this.certificates;
    const placed = new Set<string>();
    const out: Certificate[] = [];
    const children = new Map<string, Certificate[]>();
    for (const c of all) {
      if (c.isSelfIssued) continue;
      const parent = this.issuersOf(c).find((p) => p !== c && safeSignedBy(c, p));
      if (parent) push(children, parent.sha1, c);
    }
    const visit = (c: Certificate) => {
      if (placed.has(c.sha1)) return;
      placed.add(c.sha1);
      out.push(c);
      for (const k of children.get(c.sha1) ?? []) visit(k);
    };
    for (const c of all) if (c.isSelfIssued) visit(c);
    for (const c of all) if (!placed.has(c.sha1)) visit(c);
    return out;
  }
}

const EMPTY: readonly Certificate[] = Object.freeze([]);

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

function safeSignedBy(c: Certificate, issuer: Certificate): boolean {
  try {
    return c.isSignedBy(issuer);
  } catch {
    return false;
  }
}
