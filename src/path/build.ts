/**
 * Path building from a leaf to a trust anchor, in the style of Go's crypto/x509 verify.go and
 * rustls-webpki's verify_cert.rs: candidate issuers by name (AKI/SKI-matching, currently valid, trusted and
 * newest first), depth-first with back-tracking, no certificate (nor subject+key) twice in a path, a budget
 * (shared by every builder of one validation, see budget.ts) and a maximum depth. Every complete path is handed to `onPath`, which validates it and
 * says whether to stop; dead ends are reported to `onDeadEnd` so the caller can keep the best failing path.
 */

import { readAiaCertificates } from "../formats/aia.js";
import type { Fetcher } from "../lib/fetcher.js";
import type { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import type { Budget } from "./budget.js";
import type { ValidationSession } from "./session.js";
import { checkSignature, needsInheritedParams } from "./signatures.js";
import type { CertSource } from "./types.js";

export interface BuildNode {
  cert: Certificate;
  source: CertSource;
  /** The signature of this certificate by the next one was not checked yet (issuer inherits DSA parameters). */
  deferred?: boolean;
}

export type DeadEndReason =
  /** No certificate with the issuer's name anywhere. */
  | "no-issuer"
  /** Candidates with the issuer's name exist, but none verifies the signature. */
  | "signature"
  /** A candidate's signature algorithm cannot be evaluated. */
  | "unsupported"
  /** The path ends at a self-signed certificate that is not in the trust list. */
  | "untrusted-root"
  /** Longer than maxDepth. */
  | "depth"
  /** Every candidate was already in the path (a loop). */
  | "loop";

export interface DeadEnd {
  path: BuildNode[];
  reason: DeadEndReason;
  /** Candidates whose signature check failed (for the hint). */
  failed: Certificate[];
}

export interface Candidate {
  cert: Certificate;
  source: CertSource;
}

export interface BuildOptions {
  time: number;
  anchorAny: boolean;
  /** Longest path, certificates including the anchor. */
  maxDepth: number;
  /** The validation's budget: candidate checks and builder calls are spent from it. */
  budget: Budget;
  /** Where signature results are memoised. */
  session: ValidationSession;
  online: boolean;
  fetcher?: Fetcher;
}

export interface BuildOutcome {
  /** The budget ran out before the search ended. */
  exhausted: boolean;
  /** onPath asked to stop (a valid path was found). */
  stopped: boolean;
}

const MAX_AIA_FETCHES = 4;

/** Untrusted certificates indexed by subject name. */
export class CandidatePool {
  private readonly bySubject = new Map<string, Candidate[]>();
  private readonly seen = new Set<string>();

  constructor(items: Iterable<Candidate> = []) {
    for (const c of items) this.add(c);
  }

  add(c: Candidate): void {
    if (this.seen.has(c.cert.sha1)) return;
    this.seen.add(c.cert.sha1);
    const k = c.cert.subject.key;
    const a = this.bySubject.get(k);
    if (a) a.push(c);
    else this.bySubject.set(k, [c]);
  }

  withSubject(key: string): readonly Candidate[] {
    return this.bySubject.get(key) ?? [];
  }

  get all(): Candidate[] {
    return [...this.bySubject.values()].flat();
  }
}

export class PathBuilder {
  private readonly budget: Budget;
  private fetches = 0;
  private readonly fetched = new Map<string, Certificate[]>();
  private readonly aiaPool = new CandidatePool();

  constructor(
    private readonly trust: TrustList,
    private readonly pool: CandidatePool,
    private readonly opts: BuildOptions,
  ) {
    this.budget = opts.budget;
  }

  private get exhausted(): boolean {
    return this.budget.exhausted;
  }

  isAnchor(c: Certificate): boolean {
    return this.trust.has(c) && (this.opts.anchorAny || c.isSelfSigned);
  }

  /** Candidate issuers of `cert` by name, ordered best first. */
  candidates(cert: Certificate): Candidate[] {
    const key = cert.issuer.key;
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const c of this.trust.withSubject(key)) {
      seen.add(c.sha1);
      out.push({ cert: c, source: "trust" });
    }
    for (const pool of [this.pool, this.aiaPool]) {
      for (const c of pool.withSubject(key)) {
        if (seen.has(c.cert.sha1)) continue;
        seen.add(c.cert.sha1);
        out.push(c);
      }
    }
    if (out.length > 1) {
      const aki = cert.authorityKeyIdentifier?.keyId;
      const t = this.opts.time;
      const rank = (c: Candidate) => {
        const ski = c.cert.subjectKeyIdentifier;
        const keyRank = aki === undefined || ski === undefined ? 1 : ski === aki ? 0 : 2;
        const validRank = c.cert.isValidAt(t) ? 0 : 1;
        const trustRank = c.source === "trust" ? 0 : 1;
        return keyRank * 4 + validRank * 2 + trustRank;
      };
      out.sort((a, b) => rank(a) - rank(b) || b.cert.notBefore - a.cert.notBefore);
    }
    return out;
  }

  /**
   * Searches every path from `leaf`. `onPath` receives complete paths (leaf first, anchor last) and returns
   * true to stop the search.
   */
  async build(
    leaf: Candidate,
    onPath: (path: BuildNode[]) => Promise<boolean>,
    onDeadEnd: (d: DeadEnd) => void,
  ): Promise<BuildOutcome> {
    const path: BuildNode[] = [{ cert: leaf.cert, source: leaf.source }];
    const stopped = await this.extend(path, onPath, onDeadEnd);
    return { exhausted: this.exhausted, stopped };
  }

  private inPath(path: readonly BuildNode[], c: Certificate): boolean {
    for (const n of path) {
      if (n.cert === c || n.cert.sha1 === c.sha1) return true;
      // The same subject and key again is a loop, even in another certificate (cross-signs, re-issues).
      if (n.cert.subject.key === c.subject.key && bytesEqual(n.cert.spki, c.spki)) return true;
    }
    return false;
  }

  private async extend(
    path: BuildNode[],
    onPath: (path: BuildNode[]) => Promise<boolean>,
    onDeadEnd: (d: DeadEnd) => void,
  ): Promise<boolean> {
    if (this.exhausted || !this.budget.spend("buildCalls")) return false;
    const top = path[path.length - 1];
    const cert = top.cert;
    if (this.isAnchor(cert)) {
      return onPath(path.map((n) => ({ ...n })));
    }
    if (depthOf(path) >= this.opts.maxDepth) {
      onDeadEnd({ path: path.map((n) => ({ ...n })), reason: "depth", failed: [] });
      return false;
    }
    let cands = this.candidates(cert);
    const failed: Certificate[] = [];
    let unsupported = false;
    let extended = false;
    let anyNew = false;
    let triedAia = false;
    for (;;) {
      for (const cand of cands) {
        if (this.exhausted) return false;
        if (cand.cert === cert || cand.cert.sha1 === cert.sha1) continue;
        if (this.inPath(path, cand.cert)) continue;
        anyNew = true;
        if (!this.budget.spend("signatures")) return false;
        let deferred = false;
        if (needsInheritedParams(cand.cert)) {
          deferred = true;
        } else {
          const ok = checkSignature(this.opts.session, cert, cand.cert);
          if (ok === "unsupported") {
            unsupported = true;
            failed.push(cand.cert);
            continue;
          }
          if (!ok) {
            failed.push(cand.cert);
            continue;
          }
        }
        extended = true;
        top.deferred = deferred;
        path.push({ cert: cand.cert, source: cand.source });
        const stop = await this.extend(path, onPath, onDeadEnd);
        path.pop();
        top.deferred = undefined;
        if (stop) return true;
      }
      if (extended || triedAia || !this.opts.online || !this.opts.fetcher) break;
      triedAia = true;
      const more = await this.fetchAia(cert);
      if (more.length === 0) break;
      cands = more;
    }
    if (!extended) {
      let reason: DeadEndReason;
      if (cert.isSelfSigned) reason = "untrusted-root";
      else if (unsupported && failed.length > 0) reason = "unsupported";
      else if (failed.length > 0) reason = "signature";
      else if (anyNew || cands.length === 0) reason = "no-issuer";
      else reason = "loop";
      onDeadEnd({ path: path.map((n) => ({ ...n })), reason, failed });
    }
    return false;
  }

  /** Fetches the AIA caIssuers certificates of `cert` (online only); returns the new name-matching candidates. */
  private async fetchAia(cert: Certificate): Promise<Candidate[]> {
    const fetcher = this.opts.fetcher;
    if (!fetcher) return [];
    const out: Candidate[] = [];
    for (const url of cert.caIssuersUrls) {
      if (this.fetches >= MAX_AIA_FETCHES) break;
      let certs = this.fetched.get(url);
      if (!certs) {
        this.fetches++;
        certs = [];
        try {
          const res = await fetcher.get(url);
          if (res.status >= 200 && res.status < 300) certs = readAiaCertificates(res.body, url);
        } catch {
          certs = [];
        }
        this.fetched.set(url, certs);
      }
      for (const c of certs) {
        if (!c.subject.equals(cert.issuer)) continue;
        const cand: Candidate = { cert: c, source: this.trust.has(c) ? "trust" : "aia" };
        this.aiaPool.add(cand);
        out.push(cand);
      }
    }
    return out;
  }
}

/** Certificates that count towards maxDepth: self-issued intermediates do not (as for pathLenConstraint). */
function depthOf(path: readonly BuildNode[]): number {
  let d = 0;
  for (let i = 0; i < path.length; i++) if (i === 0 || !path[i].cert.isSelfIssued) d++;
  return d;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
