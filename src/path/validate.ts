/**
 * validateChain: builds candidate paths from a leaf to the trust list's anchors and validates each per
 * RFC 5280 section 6.1 at `opts.time`, with the S/MIME leaf checks and the Exchange Online profile; the
 * first valid path wins, else the best failing path is returned with its problems.
 *
 * The options are resolved once into a frozen profile (profile.ts), which also gives the result-cache key;
 * each step of 6.1 is a check of its own under checks/; one Budget (budget.ts) bounds the whole validation,
 * CRL and OCSP signer validations included; memos live in the session the caller passes (`cache`) or in one
 * made for this call (session.ts).
 *
 * Decisions (documented in docs/readme/chain.md):
 * - The anchor's own signature is not checked (RFC 5280 6.1), but the anchor certificate is still held to
 *   what Exchange does with it: it must be within its validity (CERT_EXPIRED, Exchange refuses expired CAs),
 *   a CA (basicConstraints cA, critical, keyCertSign when keyUsage is present), without unknown critical
 *   extensions; its pathLenConstraint and name constraints apply below it. Its certificate policies are not
 *   processed (RFC 5280 treats an anchor as a name and a key).
 * - Validity is compared at second granularity, both ends inclusive.
 */

import { withDeadline } from "../lib/fetcher.js";
import { type Problem, problem, type Severity } from "../problems.js";
import type { Crl } from "../revocation/crl.js";
import type { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import { Budget } from "./budget.js";
import { type BuildNode, type Candidate, CandidatePool, type DeadEnd, PathBuilder } from "./build.js";
import { windowAround } from "./cache.js";
import { AFTER_EXTENSIONS, BEFORE_EXTENSIONS, extensionFaults, type PathState } from "./checks/index.js";
import { params } from "./checks/types.js";
import { PolicyProcessor } from "./policy.js";
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_RETRIEVAL_TIMEOUT_MS,
  signerProfile,
  type ValidationProfile,
} from "./profile.js";
import { getRevocationChecker, type RevocationContext } from "./revocation-link.js";
import { ValidationSession } from "./session.js";
import type { ChainResult, PathElement, ValidationOptions } from "./types.js";

export const DEFAULTS = {
  maxDepth: DEFAULT_MAX_DEPTH,
  budget: 200,
  retrievalTimeoutMs: DEFAULT_RETRIEVAL_TIMEOUT_MS,
};

/** How deep CRL/OCSP signer validations may nest (a signer's CRL signed by another signer...). */
const MAX_SIGNER_DEPTH = 3;

interface Evaluated {
  elements: PathElement[];
  pathProblems: Problem[];
  complete: boolean;
  errors: number;
}

/** One top-level validation: what every path built for it (signer paths included) shares. */
interface Validation {
  readonly trust: TrustList;
  readonly crls: readonly Crl[];
  readonly pool: CandidatePool;
  readonly untrusted: readonly Candidate[];
  readonly session: ValidationSession;
  readonly budget: Budget;
  readonly fetcher?: ValidationOptions["fetcher"];
  /** Signer validations already done (SHA-1 + time -> valid). */
  readonly signerResults: Map<string, boolean>;
}

/** One path search within a validation: the leaf's own, or a signer's. */
interface Run {
  readonly v: Validation;
  readonly profile: ValidationProfile;
  readonly time: number;
  /** 0 for the top-level leaf; 1.. for signer validations. */
  readonly signerDepth: number;
}

function errorCount(problems: readonly Problem[]): number {
  let n = 0;
  for (const p of problems) if (p.severity === "error") n++;
  return n;
}

/** Validates one complete (or, when `complete` is false, dead-ended) path; leaf first. Synchronous checks only. */
function checkPath(nodes: readonly BuildNode[], complete: boolean, run: Run, deadEnd?: DeadEnd): Evaluated {
  const N = nodes.length;
  const elements: PathElement[] = nodes.map((n) => ({ cert: n.cert, source: n.source, problems: [] }));
  const hasAnchor = complete && N > 1;
  const state: PathState = {
    profile: run.profile,
    session: run.v.session,
    budget: run.v.budget,
    nodes,
    hasAnchor,
    time: Math.floor(run.time / 1000) * 1000,
    at: (k) => nodes[N - 1 - k].cert,
    maxPath: Infinity,
    ncSets: [],
    policy: complete ? new PolicyProcessor(hasAnchor ? N - 1 : N, run.profile.policy) : undefined,
    policyFailed: false,
    pathProblems: [],
  };

  // Anchor first, down to the leaf.
  for (let k = 0; k < N; k++) {
    const c = state.at(k);
    const isLeaf = k === N - 1;
    const pos = { k, isAnchor: hasAnchor && k === 0, isLeaf, isIssuer: !isLeaf };
    const probs = elements[N - 1 - k].problems;
    for (const step of BEFORE_EXTENSIONS) probs.push(...step(c, pos, state));
    const faults = extensionFaults(c, pos, state);
    if (faults.length > 0) {
      probs.push(...faults);
      continue;
    }
    for (const step of AFTER_EXTENSIONS) probs.push(...step(c, pos, state));
  }

  if (!complete && deadEnd) {
    // Why the path stops here goes on the last certificate found (and, as an error, into the result's problems).
    elements[N - 1].problems.push(deadEndProblem(nodes[N - 1].cert, deadEnd, run.profile));
  }

  let errors = errorCount(state.pathProblems);
  for (const el of elements) errors += errorCount(el.problems);
  return { elements, pathProblems: state.pathProblems, complete, errors };
}

function deadEndProblem(last: Certificate, deadEnd: DeadEnd, profile: ValidationProfile): Problem {
  switch (deadEnd.reason) {
    case "untrusted-root":
      return problem("UNTRUSTED_ROOT", params(last));
    case "signature":
      return problem(
        "CHAIN_SIGNATURE_INVALID",
        params(last, {
          issuer: last.issuer.display,
          detail: `none of ${deadEnd.failed.length} certificate(s) named '${last.issuer.display}' verifies it`,
        }),
      );
    case "unsupported":
      return problem(
        "UNSUPPORTED_ALGORITHM",
        params(last, { alg: last.signatureAlgorithmName, detail: `signature on '${last.name}'` }),
      );
    case "depth":
      return problem(
        "PATH_LENGTH_EXCEEDED",
        params(last, { detail: `no trust anchor within ${profile.maxDepth} certificates` }),
      );
    default:
      return problem("CHAIN_INCOMPLETE", params(last, { issuer: last.issuer.toString() }));
  }
}

/** Severity ranking of a finished evaluation (lower is better): complete paths first, then fewer errors, then longer. */
function better(a: Evaluated, b: Evaluated | undefined): boolean {
  if (!b) return true;
  if (a.complete !== b.complete) return a.complete;
  if (a.errors !== b.errors) return a.errors < b.errors;
  return a.elements.length > b.elements.length;
}

function finish(ev: Evaluated): ChainResult {
  const problems: Problem[] = [...ev.pathProblems];
  for (const el of ev.elements) for (const p of el.problems) if (p.severity === "error") problems.push(p);
  return { verdict: ev.complete && ev.errors === 0 ? "valid" : "invalid", problems, path: ev.elements };
}

function parseCrls(opts: ValidationOptions, session: ValidationSession): Crl[] {
  const out: Crl[] = [...(opts.parsedCrls ?? [])];
  for (const der of opts.crls ?? []) {
    const c = session.parseCrl(der);
    if (c) out.push(c);
  }
  return out;
}

/**
 * The result-cache key: the leaf, the trust list's content, the untrusted set, the CRLs and the resolved
 * profile (every option that can change the answer; see profile.ts). The validation time is not in it: a
 * cached result answers for a window of times (cache.ts).
 *
 * Made of the session's short ids, not of the certificates' hashes: the key of every message's validation is
 * a new string that the cache's Map hashes whole, and a key of hex digests (64 characters for the leaf and
 * the trust list, 40 per untrusted certificate) cost about 1 us per message to build and hash. Certificates
 * count by identity (one object per certificate in a bulk run, from smime's CertificateCache; another object
 * with the same content only misses the cache); the trust list and the profile by content.
 */
export function cacheKey(
  leaf: Certificate,
  trust: TrustList,
  profile: ValidationProfile,
  opts: Pick<ValidationOptions, "untrusted" | "crls" | "parsedCrls">,
  session: ValidationSession,
): string {
  let k = `${session.idOf(leaf)}|${session.idOfText(trust.id)}|${session.idOfText(profile.key)}`;
  const u = opts.untrusted;
  if (u && u.length > 0) {
    k += "|u";
    // Ids are base 36: the source is marked with characters outside it.
    for (const x of u) k += `${session.idOf(x.cert)}${x.source === "message" ? "," : ";"}`;
  }
  if (opts.crls) for (const c of opts.crls) k += `|c${session.crlId(c)}`;
  if (opts.parsedCrls) for (const c of opts.parsedCrls) k += `|p${session.idOf(c)}`;
  return k;
}

/** The window of validation times around `time` in which no certificate of `trust` becomes valid or expires. */
function trustWindow(
  session: ValidationSession,
  trust: TrustList,
  time: number,
): { from: number; until: number } {
  const a = session.trustValidityInstants(trust);
  // First instant > time.
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= time) lo = mid + 1;
    else hi = mid;
  }
  return { from: lo > 0 ? a[lo - 1] : -Infinity, until: lo < a.length ? a[lo] - 1 : Infinity };
}

/**
 * Validates `leaf` against `trust` (exclusive trust: the list's self-signed certificates are the anchors,
 * or every certificate with `anchorAny`). Never throws for certificate content; throws only for misuse.
 */
export async function validateChain(
  leaf: Certificate,
  trust: TrustList,
  opts: ValidationOptions,
): Promise<ChainResult> {
  const session: ValidationSession = opts.cache ?? new ValidationSession();
  const profile = session.profileFor(opts);
  // Results are reused offline only (online, the network may know more); the session's memos always.
  const cache = profile.online ? undefined : opts.cache;
  let key: string | undefined;
  if (cache) {
    key = cacheKey(leaf, trust, profile, opts, session);
    const hit = cache.get(key, opts.time);
    if (hit) return hit;
  }
  const crls = parseCrls(opts, session);
  let fetcher = opts.fetcher;
  if (profile.online && fetcher) {
    // One accumulative budget for all retrievals of this validation (signer validations included).
    fetcher = withDeadline(fetcher, Date.now() + profile.retrievalTimeoutMs, profile.retrievalTimeoutMs);
  }
  const untrusted: Candidate[] = (opts.untrusted ?? []).map((u) => ({ cert: u.cert, source: u.source }));
  const v: Validation = {
    trust,
    crls,
    pool: new CandidatePool(untrusted),
    untrusted,
    session,
    budget: new Budget(profile.limits),
    fetcher,
    signerResults: new Map(),
  };
  const result = await run(leaf, { v, profile, time: opts.time, signerDepth: 0 });
  if (cache && key) {
    const starts: number[] = [];
    const ends: number[] = [];
    const involve = (c: Certificate) => {
      starts.push(c.notBefore);
      ends.push(c.notAfter + 999);
    };
    for (const el of result.path) involve(el.cert);
    for (const u of untrusted) involve(u.cert);
    for (const c of crls) {
      starts.push(c.thisUpdate);
      if (c.nextUpdate !== undefined) ends.push(c.nextUpdate);
    }
    const w = windowAround(opts.time, starts, ends);
    // Any certificate of the trust list may start or stop giving a path (an anchor or a CRL signer that
    // becomes valid or expires), not only those of the path found: its validity bounds the window too.
    const tw = trustWindow(session, trust, opts.time);
    cache.set(key, { result, from: Math.max(w.from, tw.from), until: Math.min(w.until, tw.until) });
  }
  return result;
}

/**
 * The path search for `leaf` within validation `r.v` (its budget, session, pool and CRLs) under `r.profile`
 * at `r.time`: validateChain runs it for the leaf, the revocation step for CRL and OCSP signers.
 */
async function run(leaf: Certificate, r: Run): Promise<ChainResult> {
  const { v, profile } = r;
  const builder = new PathBuilder(v.trust, v.pool, {
    time: r.time,
    anchorAny: profile.anchorAny,
    maxDepth: profile.maxDepth,
    budget: v.budget,
    session: v.session,
    online: profile.online,
    fetcher: v.fetcher,
  });
  const leafSource = v.trust.has(leaf)
    ? "trust"
    : (profile.leafSource ?? v.untrusted.find((u) => u.cert.sha1 === leaf.sha1)?.source ?? "message");
  let best: Evaluated | undefined;
  let found: Evaluated | undefined;
  await builder.build(
    { cert: leaf, source: leafSource },
    async (path) => {
      const ev = checkPath(path, true, r);
      if (ev.errors === 0 && profile.checkRevocation) await revocation(path, ev, r);
      if (ev.errors === 0) {
        found = ev;
        return true;
      }
      if (better(ev, best)) best = ev;
      return false;
    },
    (d) => {
      if (best?.complete) return;
      const ev = checkPath(d.path, false, r, d);
      if (better(ev, best)) best = ev;
    },
  );
  if (found) return finish(found);
  if (!best) {
    best = checkPath([{ cert: leaf, source: leafSource }], false, r, {
      path: [],
      reason: "no-issuer",
      failed: [],
    });
  }
  const res = finish(best);
  if (v.budget.exhausted)
    res.problems.unshift(problem("CHAIN_INCOMPLETE", { ...params(leaf), detail: v.budget.describe() }));
  return res;
}

/** Revocation of every certificate but the anchor, through the revocation module; adds problems to `ev`. */
async function revocation(path: readonly BuildNode[], ev: Evaluated, r: Run): Promise<void> {
  const { v, profile } = r;
  const check = getRevocationChecker();
  const certs = path.map((n) => n.cert);
  const ctx: RevocationContext = {
    time: r.time,
    crls: v.crls as Crl[],
    online: profile.online,
    fetcher: v.fetcher,
    candidateSigners: (nameKey: string) => {
      const out: Certificate[] = [...v.trust.withSubject(nameKey)];
      for (const c of v.pool.withSubject(nameKey)) if (!out.includes(c.cert)) out.push(c.cert);
      for (const c of certs) if (c.subject.key === nameKey && !out.includes(c)) out.push(c);
      return out;
    },
    validateSigner: async (cert: Certificate, time: number) => {
      // A signer above the certificate in this very path: its path was just validated, and its own
      // revocation is checked by this loop (RFC 5280 6.3.3 (f) asks for exactly that path).
      if (time === r.time && certs.some((c) => c === cert || c.sha1 === cert.sha1)) return true;
      const memo = cert.sha1 + time;
      const known = v.signerResults.get(memo);
      if (known !== undefined) return known;
      // Deeper nesting, or a budget already spent, cannot make a signer valid.
      if (r.signerDepth >= MAX_SIGNER_DEPTH || v.budget.exhausted) return false;
      const res = await run(cert, {
        v,
        profile: signerProfile(profile),
        time,
        signerDepth: r.signerDepth + 1,
      });
      const ok = res.verdict === "valid";
      v.signerResults.set(memo, ok);
      return ok;
    },
  };
  for (let i = 0; i < certs.length - 1; i++) {
    const res = await check(certs[i], certs[i + 1], certs, i, ctx);
    const el = ev.elements[i];
    for (const p of res.problems) {
      let q = p;
      if (p.code === "REVOCATION_UNKNOWN")
        q = { ...p, severity: (profile.requireRevocation ? "error" : "warning") as Severity };
      el.problems.push(q);
      if (q.severity === "error") ev.errors++;
    }
    if (res.status === "revoked" && !res.problems.some((p) => p.code === "CERT_REVOKED")) {
      el.problems.push(problem("CERT_REVOKED", params(certs[i])));
      ev.errors++;
    }
    if (res.status === "unknown" && !res.problems.some((p) => p.code === "REVOCATION_UNKNOWN")) {
      const q = problem(
        "REVOCATION_UNKNOWN",
        params(certs[i], { severity: profile.requireRevocation ? "error" : "warning" }),
      );
      el.problems.push(q);
      if (q.severity === "error") ev.errors++;
    }
  }
}
