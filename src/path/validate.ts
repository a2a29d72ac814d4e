/**
 * validateChain: builds candidate paths from a leaf to the trust list's anchors and validates each per
 * RFC 5280 section 6.1 at `opts.time`, with the S/MIME leaf checks and the Exchange Online profile; the
 * first valid path wins, else the best failing path is returned with its problems.
 *
 * Decisions (documented in docs/readme/chain.md):
 * - The anchor's own signature is not checked (RFC 5280 6.1), but the anchor certificate is still held to
 *   what Exchange does with it: it must be within its validity (CERT_EXPIRED, Exchange refuses expired CAs),
 *   a CA (basicConstraints cA, critical, keyCertSign when keyUsage is present), without unknown critical
 *   extensions; its pathLenConstraint and name constraints apply below it. Its certificate policies are not
 *   processed (RFC 5280 treats an anchor as a name and a key).
 * - Validity is compared at second granularity, both ends inclusive.
 */
import type { Certificate, PublicKeyInfo } from "../certs/certificate.js";
import type { NameConstraints } from "../certs/extensions.js";
import { digest, hexUpper } from "../lib/bytes.js";
import { OID } from "../lib/oids.js";
import { signatureHash } from "../lib/signature.js";
import { withDeadline } from "../net/fetcher.js";
import { type Problem, type ProblemCode, type ProblemParams, problem, type Severity } from "../problems.js";
import { type Crl, parseCrl } from "../revocation/crl.js";
import type { TrustList } from "../trust/trust-list.js";
import { type BuildNode, type Candidate, CandidatePool, type DeadEnd, PathBuilder } from "./build.js";
import { windowAround } from "./cache.js";
import { isoTime } from "./format.js";
import { checkNameConstraints, malformedConstraints, validDnsName, validEmail } from "./name-constraints.js";
import { PolicyFailure, PolicyProcessor } from "./policy.js";
import { getRevocationChecker, type RevocationContext } from "./revocation-link.js";
import { checkSignature, dsaParamsFor } from "./signatures.js";
import type { ChainResult, PathElement, ValidationOptions } from "./types.js";

export const DEFAULTS = { maxDepth: 10, budget: 200, retrievalTimeoutMs: 10_000 };

/** Extensions the engine processes; any other critical extension fails the certificate. */
const KNOWN_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.freshestCrl,
  OID.authorityInfoAccess,
]);

/** Extensions RFC 5280 says conforming CAs MUST mark non-critical. */
const MUST_BE_NONCRITICAL: [string, string][] = [
  [OID.authorityKeyIdentifier, "authorityKeyIdentifier is critical"],
  [OID.subjectKeyIdentifier, "subjectKeyIdentifier is critical"],
  [OID.authorityInfoAccess, "authorityInfoAccess is critical"],
];

/** The typed extensions the checks read; parsing them first turns a malformed one into one problem. */
const PARSED_EXTENSIONS: ((c: Certificate) => unknown)[] = [
  (c) => c.basicConstraints,
  (c) => c.keyUsage,
  (c) => c.extKeyUsage,
  (c) => c.subjectAltName,
  (c) => c.nameConstraints,
  (c) => c.certificatePolicies,
  (c) => c.policyMappings,
  (c) => c.policyConstraints,
  (c) => c.inhibitAnyPolicy,
  (c) => c.subjectKeyIdentifier,
  (c) => c.authorityKeyIdentifier,
];

function params(c: Certificate, extra: ProblemParams = {}): ProblemParams {
  return { name: c.name, sha1: c.sha1, ...extra };
}

interface Evaluated {
  elements: PathElement[];
  pathProblems: Problem[];
  complete: boolean;
  errors: number;
}

interface Engine {
  opts: ValidationOptions;
  trust: TrustList;
  crls: Crl[];
  pool: CandidatePool;
  requireRevocation: boolean;
  exchange: boolean;
  smime: boolean;
  strict: boolean;
  /** With strict: a trust anchor that is not self-issued needs its AKI too. */
  pedantic: boolean;
  /** Depth of signer validations (CRL/OCSP signers), guarding recursion. */
  signerDepth: number;
}

function errorCount(problems: readonly Problem[]): number {
  let n = 0;
  for (const p of problems) if (p.severity === "error") n++;
  return n;
}

/** Validates one complete (or, when `complete` is false, dead-ended) path; leaf first. Synchronous checks only. */
export function checkPath(
  nodes: readonly BuildNode[],
  complete: boolean,
  eng: Engine,
  deadEnd?: DeadEnd,
): Evaluated {
  const opts = eng.opts;
  const t = Math.floor(opts.time / 1000) * 1000;
  const N = nodes.length;
  const elements: PathElement[] = nodes.map((n) => ({ cert: n.cert, source: n.source, problems: [] }));
  const pathProblems: Problem[] = [];
  // Anchor-first view.
  const at = (k: number) => elements[N - 1 - k];
  const hasAnchor = complete && N > 1;
  const n = hasAnchor ? N - 1 : N;
  const policy = complete ? new PolicyProcessor(n, opts) : undefined;
  let maxPath = Infinity;
  let constrainer: Certificate | undefined;
  const ncSets: NameConstraints[] = [];
  let policyFailed = false;

  for (let k = 0; k < N; k++) {
    const el = at(k);
    const c = el.cert;
    const isAnchor = hasAnchor && k === 0;
    const isLeaf = k === N - 1;
    const isIssuer = !isLeaf;
    const probs = el.problems;
    const add = (code: ProblemCode, extra: ProblemParams = {}) => probs.push(problem(code, params(c, extra)));

    // Validity.
    if (t < c.notBefore) add("CERT_NOT_YET_VALID", { date: isoTime(c.notBefore) });
    else if (t > c.notAfter) add("CERT_EXPIRED", { date: isoTime(c.notAfter) });

    // Signature of this certificate by the next one up (checked while building, unless deferred).
    if (k > 0 || !hasAnchor) {
      if (k > 0) {
        const issuer = at(k - 1).cert;
        const node = nodes[N - 1 - k];
        if (node.deferred) {
          const chainUp: Certificate[] = [];
          for (let j = k - 1; j >= 0; j--) chainUp.push(at(j).cert);
          const inherited = dsaParamsFor(issuer, chainUp.slice(1));
          const ok = checkSignature(c, issuer, inherited);
          if (ok === "unsupported")
            add("UNSUPPORTED_ALGORITHM", {
              alg: c.signatureAlgorithmName,
              detail: `signature on '${c.name}'`,
            });
          else if (!ok) add("CHAIN_SIGNATURE_INVALID", { issuer: issuer.name });
        }
      }
      weakSignature(c, add);
    }
    if (!sameAlgorithm(c))
      add("CHAIN_SIGNATURE_INVALID", {
        detail: "the signature algorithm inside the certificate differs from the outer one",
      });
    weakKey(c, add);

    // Unknown critical extensions and criticality rules.
    for (const e of c.extensions)
      if (e.critical && !KNOWN_EXTENSIONS.has(e.oid)) add("UNKNOWN_CRITICAL_EXTENSION", { detail: e.oid });

    // Parse the typed extensions; a malformed one is a nonconforming certificate.
    let parsed = true;
    try {
      for (const read of PARSED_EXTENSIONS) read(c);
    } catch (e) {
      parsed = false;
      add("NONCONFORMING_CERT", { detail: (e as Error).message });
    }
    if (!parsed) continue;

    if (eng.strict) strictChecks(c, { isAnchor, isLeaf, isIssuer, pedantic: eng.pedantic }, add);

    // Issuer role: CA, keyCertSign, path length.
    if (isIssuer) {
      const bc = c.basicConstraints;
      if (!bc?.ca)
        add("ISSUER_NOT_CA", {
          detail: bc ? "basicConstraints cA is false" : "no basicConstraints extension",
        });
      else if (isAnchor && eng.strict && !c.extension(OID.basicConstraints)?.critical)
        add("NONCONFORMING_CERT", { detail: "basicConstraints of a CA is not critical" });
      if (c.keyUsage !== undefined && !c.keyUsage.includes(5))
        add("KEY_USAGE", { detail: "a CA certificate without keyCertSign" });
      if (!isAnchor && !c.isSelfIssued) {
        if (maxPath <= 0 && constrainer) {
          // Named after the CA whose pathLenConstraint is exceeded; listed on the CA one too many.
          probs.push(
            problem("PATH_LENGTH_EXCEEDED", {
              name: constrainer.name,
              sha1: constrainer.sha1,
              detail: `'${c.name}' is one CA more than its pathLenConstraint allows`,
            }),
          );
        }
        maxPath--;
      }
      if (bc?.pathLen !== undefined && bc.pathLen < maxPath) {
        maxPath = bc.pathLen;
        constrainer = c;
      }
      if (eng.smime && !c.allowsEmailProtection)
        add("EKU_NOT_EMAIL", {
          detail: `a CA whose extended key usage (${c.extKeyUsageNames.join(", ")}) excludes e-mail protection`,
        });
    }

    // Names against the constraints of the CAs above (self-issued intermediates are exempt).
    if (!isAnchor && ncSets.length > 0 && (isLeaf || !c.isSelfIssued)) {
      const why = checkNameConstraints(c, ncSets);
      if (why) add("NAME_CONSTRAINTS", { detail: why });
    }
    const nc = c.nameConstraints;
    if (nc) {
      const bad = malformedConstraints(nc);
      if (bad) add("NAME_CONSTRAINTS", { detail: `malformed name constraints: ${bad}` });
      else if (eng.strict && !c.extension(OID.nameConstraints)?.critical)
        add("NAME_CONSTRAINTS", { detail: "the nameConstraints extension is not critical" });
      else if (!isIssuer && eng.strict && !c.isCA)
        add("NAME_CONSTRAINTS", { detail: "name constraints in a certificate that is not a CA" });
      else if (isIssuer) ncSets.push(nc);
    }

    // Policies.
    if (policy && !isAnchor && !policyFailed) {
      const i = hasAnchor ? k : k + 1;
      try {
        policy.processCertificate(c, i);
        if (!isLeaf) policy.prepareNext(c, i);
        else policy.finish(c);
      } catch (e) {
        if (!(e instanceof PolicyFailure)) throw e;
        policyFailed = true;
        pathProblems.push(
          problem("POLICY", { detail: `${e.message} (at '${c.name}')`, sha1: c.sha1, name: c.name }),
        );
      }
    }

    // Leaf purpose.
    if (isLeaf && eng.smime) {
      const ku = c.keyUsage;
      if (ku !== undefined && !ku.includes(0) && !ku.includes(1))
        add("KEY_USAGE", {
          detail: "the signing certificate has neither digitalSignature nor nonRepudiation",
        });
      const eku = c.extKeyUsage;
      if (eng.exchange) {
        if (eku === undefined)
          add("EKU_NOT_EMAIL", {
            detail: "no extended key usage extension (Exchange Online requires Secure Email)",
          });
        else if (!eku.includes(OID.emailProtection))
          add("EKU_NOT_EMAIL", {
            detail: `extended key usage is ${c.extKeyUsageNames.join(", ") || "empty"}`,
          });
      } else if (!c.allowsEmailProtection)
        add("EKU_NOT_EMAIL", { detail: `extended key usage is ${c.extKeyUsageNames.join(", ") || "empty"}` });
    }
    if (c.extKeyUsage !== undefined && c.extKeyUsage.length === 0 && !(isLeaf && eng.smime))
      add("NONCONFORMING_CERT", { detail: "empty extended key usage" });
  }

  if (!complete && deadEnd) {
    // Why the path stops here goes on the last certificate found (and, as an error, into the result's problems).
    const last = nodes[N - 1].cert;
    const lastProblems = elements[N - 1].problems;
    switch (deadEnd.reason) {
      case "untrusted-root":
        lastProblems.push(problem("UNTRUSTED_ROOT", params(last)));
        break;
      case "signature":
        lastProblems.push(
          problem(
            "CHAIN_SIGNATURE_INVALID",
            params(last, {
              issuer: last.issuer.display,
              detail: `none of ${deadEnd.failed.length} certificate(s) named '${last.issuer.display}' verifies it`,
            }),
          ),
        );
        break;
      case "unsupported":
        lastProblems.push(
          problem(
            "UNSUPPORTED_ALGORITHM",
            params(last, { alg: last.signatureAlgorithmName, detail: `signature on '${last.name}'` }),
          ),
        );
        break;
      case "depth":
        lastProblems.push(
          problem(
            "PATH_LENGTH_EXCEEDED",
            params(last, {
              detail: `no trust anchor within ${eng.opts.maxDepth ?? DEFAULTS.maxDepth} certificates`,
            }),
          ),
        );
        break;
      default:
        lastProblems.push(problem("CHAIN_INCOMPLETE", params(last, { issuer: last.issuer.toString() })));
    }
  }

  let errors = errorCount(pathProblems);
  for (const el of elements) errors += errorCount(el.problems);
  return { elements, pathProblems, complete, errors };
}

function sameAlgorithm(c: Certificate): boolean {
  const a = c.signatureAlgorithm;
  const b = c.tbsSignatureAlgorithm;
  if (a.oid !== b.oid) return false;
  const pa = a.params;
  const pb = b.params;
  if (!pa || !pb) return !pa === !pb;
  if (pa.length !== pb.length) return false;
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return false;
  return true;
}

function weakSignature(c: Certificate, add: (code: ProblemCode, extra?: ProblemParams) => void): void {
  let h: string | undefined;
  try {
    h = signatureHash(c.signatureAlgorithm);
  } catch {
    add("UNSUPPORTED_ALGORITHM", { alg: c.signatureAlgorithmName, detail: `signature on '${c.name}'` });
    return;
  }
  if (h === "md5") add("WEAK_ALGORITHM", { alg: c.signatureAlgorithmName, severity: "error" });
  else if (h === "sha1") add("WEAK_ALGORITHM", { alg: c.signatureAlgorithmName });
}

function weakKey(c: Certificate, add: (code: ProblemCode, extra?: ProblemParams) => void): void {
  let k: PublicKeyInfo;
  try {
    k = c.publicKeyInfo;
  } catch {
    add("NONCONFORMING_CERT", { detail: "unreadable public key" });
    return;
  }
  if ((k.type === "RSA" || k.type === "RSA-PSS" || k.type === "DSA") && k.bits !== undefined && k.bits < 2048)
    add("WEAK_KEY", { alg: c.keyDescription });
  // Elliptic curves under 224 bits (P-192 and its kin) are below the 112-bit security of RSA-2048.
  else if (k.type === "EC" && k.bits !== undefined && k.bits < 224)
    add("WEAK_KEY", { alg: c.keyDescription });
}

function strictChecks(
  c: Certificate,
  role: { isAnchor: boolean; isLeaf: boolean; isIssuer: boolean; pedantic: boolean },
  add: (code: ProblemCode, extra?: ProblemParams) => void,
): void {
  const fail = (detail: string) => add("NONCONFORMING_CERT", { detail });
  for (const [oid, why] of MUST_BE_NONCRITICAL) if (c.extension(oid)?.critical) fail(why);
  if (!role.isAnchor) {
    const s = c.serialNumber;
    if (s.length > 20) fail("serial number longer than 20 octets");
    else if (s[0] & 0x80) fail("negative serial number");
    else if (s.every((b) => b === 0)) fail("serial number zero");
  }
  if (c.issuer.isEmpty) fail("empty issuer name");
  if (c.subject.isEmpty) {
    if (role.isIssuer || c.isCA) fail("a CA with an empty subject name");
    else if (!c.extension(OID.subjectAltName)) fail("empty subject name and no subjectAltName");
    else if (!c.extension(OID.subjectAltName)?.critical)
      fail("empty subject name with a non-critical subjectAltName");
  }
  // A trust anchor is a name and a key (RFC 5280 6.1.1 (d)); its own AKI is not needed to build to it.
  if (!role.isAnchor && !c.isSelfSigned && c.authorityKeyIdentifier?.keyId === undefined)
    fail("no authorityKeyIdentifier keyIdentifier");
  else if (role.isAnchor && role.pedantic && !c.isSelfIssued && c.authorityKeyIdentifier?.keyId === undefined)
    fail("a trust anchor certified by another CA without authorityKeyIdentifier keyIdentifier");
  if (c.isCA && c.subjectKeyIdentifier === undefined) fail("a CA without subjectKeyIdentifier");
  const pc = c.extension(OID.policyConstraints);
  if (pc && !pc.critical) fail("policyConstraints is not critical");
  const san = c.subjectAltName;
  if (san) {
    if (san.length === 0) fail("empty subjectAltName");
    for (const g of san) {
      if (g.type === "dns" && !validDnsName(g.value)) fail(`invalid DNS name '${g.value}' in subjectAltName`);
      else if (g.type === "email" && !validEmail(g.value))
        fail(`invalid e-mail address '${g.value}' in subjectAltName`);
      else if (g.type === "ip" && g.value.length !== 4 && g.value.length !== 16)
        fail("invalid IP address in subjectAltName");
    }
  }
  if (role.isLeaf && !c.isCA && c.keyUsage?.includes(5))
    add("KEY_USAGE", { detail: "keyCertSign in a certificate that is not a CA" });
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

/**
 * CRLs arrive as DER views that differ per message even when the bytes are the same; they are identified by
 * content (SHA-256, memoised per view) so both the parse and the result-cache key are shared.
 */
const crlIdByView = new WeakMap<Uint8Array, string>();
const crlById = new Map<string, Crl | null>();
const CRL_PARSE_CACHE_MAX = 2_000;

function crlId(der: Uint8Array): string {
  let id = crlIdByView.get(der);
  if (id === undefined) {
    id = hexUpper(digest("sha256", der));
    crlIdByView.set(der, id);
  }
  return id;
}

function parseCrls(opts: ValidationOptions): Crl[] {
  const out: Crl[] = [...(opts.parsedCrls ?? [])];
  for (const der of opts.crls ?? []) {
    const id = crlId(der);
    let c = crlById.get(id);
    if (c === undefined) {
      try {
        c = parseCrl(der);
      } catch {
        c = null;
      }
      if (crlById.size >= CRL_PARSE_CACHE_MAX) crlById.clear();
      crlById.set(id, c);
    }
    if (c) out.push(c);
  }
  return out;
}

const objectIds = new WeakMap<object, string>();
let objectSeq = 0;
function idOf(o: object): string {
  let id = objectIds.get(o);
  if (!id) {
    id = (++objectSeq).toString(36);
    objectIds.set(o, id);
  }
  return id;
}

function cacheKey(leaf: Certificate, trust: TrustList, opts: ValidationOptions): string {
  let k = `${leaf.sha256}|${trust.id}|${opts.profile ?? "standard"}|${opts.anchorAny ? 1 : 0}|${opts.leafPurpose ?? "smime"}|${opts.requireRevocation ? 1 : 0}|${opts.checkRevocation === false ? 0 : 1}|${opts.maxDepth ?? ""}|${opts.budget ?? ""}|${opts.strict ? 1 : 0}${opts.pedantic ? 1 : 0}|${opts.leafSource ?? ""}`;
  if (
    opts.initialPolicySet ||
    opts.initialExplicitPolicy ||
    opts.initialInhibitAnyPolicy ||
    opts.initialPolicyMappingInhibit
  )
    k += `|${(opts.initialPolicySet ?? []).join(",")}|${opts.initialExplicitPolicy ? 1 : 0}${opts.initialInhibitAnyPolicy ? 1 : 0}${opts.initialPolicyMappingInhibit ? 1 : 0}`;
  const u = opts.untrusted;
  if (u && u.length > 0) {
    k += "|u";
    for (const x of u) k += `${x.cert.sha1}${x.source[0]}`;
  }
  if (opts.crls) for (const c of opts.crls) k += `|c${crlId(c)}`;
  if (opts.parsedCrls) for (const c of opts.parsedCrls) k += `|p${idOf(c)}`;
  return k;
}

/** The instants (ms) at which a trust-list certificate becomes valid or stops being valid, sorted; per list. */
const trustInstants = new WeakMap<TrustList, { id: string; at: number[] }>();

function trustWindow(trust: TrustList, time: number): { from: number; until: number } {
  let memo = trustInstants.get(trust);
  if (!memo || memo.id !== trust.id) {
    const at: number[] = [];
    // Validity is compared at second granularity with both ends inclusive (see checkPath).
    for (const c of trust) at.push(c.notBefore, c.notAfter + 1000);
    at.sort((a, b) => a - b);
    memo = { id: trust.id, at };
    trustInstants.set(trust, memo);
  }
  const a = memo.at;
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
  const cache = opts.online ? undefined : opts.cache;
  let key: string | undefined;
  if (cache) {
    key = cacheKey(leaf, trust, opts);
    const hit = cache.get(key, opts.time);
    if (hit) return hit;
  }
  const crls = parseCrls(opts);
  if (opts.online && opts.fetcher) {
    // One accumulative budget for all retrievals of this validation (signer validations included).
    const budgetMs = opts.retrievalTimeoutMs ?? DEFAULTS.retrievalTimeoutMs;
    opts = { ...opts, fetcher: withDeadline(opts.fetcher, Date.now() + budgetMs, budgetMs) };
  }
  const untrusted: Candidate[] = (opts.untrusted ?? []).map((u) => ({ cert: u.cert, source: u.source }));
  const eng: Engine = {
    opts,
    trust,
    crls,
    pool: new CandidatePool(untrusted),
    exchange: opts.profile === "exchange",
    requireRevocation: opts.requireRevocation === true || opts.profile === "exchange",
    smime: (opts.leafPurpose ?? "smime") === "smime",
    strict: opts.strict === true,
    pedantic: opts.strict === true && opts.pedantic === true,
    signerDepth: 0,
  };
  const result = await run(leaf, eng);
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
    const tw = trustWindow(trust, opts.time);
    cache.set(key, { result, from: Math.max(w.from, tw.from), until: Math.min(w.until, tw.until) });
  }
  return result;
}

async function run(leaf: Certificate, eng: Engine): Promise<ChainResult> {
  const opts = eng.opts;
  const builder = new PathBuilder(eng.trust, eng.pool, {
    time: opts.time,
    anchorAny: opts.anchorAny === true,
    maxDepth: opts.maxDepth ?? DEFAULTS.maxDepth,
    budget: opts.budget ?? DEFAULTS.budget,
    online: opts.online === true,
    fetcher: opts.fetcher,
  });
  const leafSource = eng.trust.has(leaf)
    ? "trust"
    : (opts.leafSource ?? opts.untrusted?.find((u) => u.cert.sha1 === leaf.sha1)?.source ?? "message");
  let best: Evaluated | undefined;
  let found: Evaluated | undefined;
  const outcome = await builder.build(
    { cert: leaf, source: leafSource },
    async (path) => {
      const ev = checkPath(path, true, eng);
      if (ev.errors === 0 && opts.checkRevocation !== false) await revocation(path, ev, eng);
      if (ev.errors === 0) {
        found = ev;
        return true;
      }
      if (better(ev, best)) best = ev;
      return false;
    },
    (d) => {
      if (best?.complete) return;
      const ev = checkPath(d.path, false, eng, d);
      if (better(ev, best)) best = ev;
    },
  );
  if (found) return finish(found);
  if (!best) {
    const ev = checkPath([{ cert: leaf, source: leafSource }], false, eng, {
      path: [],
      reason: "no-issuer",
      failed: [],
    });
    best = ev;
  }
  const res = finish(best);
  if (outcome.exhausted) {
    const p = problem("CHAIN_INCOMPLETE", {
      ...params(leaf),
      detail: `path building gave up after ${opts.budget ?? DEFAULTS.budget} candidate checks`,
    });
    res.problems.unshift(p);
  }
  return res;
}

/** Revocation of every certificate but the anchor, through the revocation module; adds problems to `ev`. */
async function revocation(path: readonly BuildNode[], ev: Evaluated, eng: Engine): Promise<void> {
  const check = getRevocationChecker();
  const certs = path.map((n) => n.cert);
  const signerResults = new Map<string, boolean>();
  const ctx: RevocationContext = {
    time: eng.opts.time,
    crls: eng.crls,
    online: eng.opts.online === true,
    fetcher: eng.opts.fetcher,
    candidateSigners: (nameKey: string) => {
      const out: Certificate[] = [...eng.trust.withSubject(nameKey)];
      for (const c of eng.pool.withSubject(nameKey)) if (!out.includes(c.cert)) out.push(c.cert);
      for (const c of certs) if (c.subject.key === nameKey && !out.includes(c)) out.push(c);
      return out;
    },
    validateSigner: async (cert: Certificate, time: number) => {
      // A signer above the certificate in this very path: its path was just validated, and its own
      // revocation is checked by this loop (RFC 5280 6.3.3 (f) asks for exactly that path).
      if (time === eng.opts.time && certs.some((c) => c === cert || c.sha1 === cert.sha1)) return true;
      const known = signerResults.get(cert.sha1 + time);
      if (known !== undefined) return known;
      if (eng.signerDepth >= 3) return false;
      const sub: Engine = {
        ...eng,
        opts: {
          ...eng.opts,
          time,
          leafPurpose: "none",
          cache: undefined,
          initialPolicySet: undefined,
          initialExplicitPolicy: false,
          initialInhibitAnyPolicy: false,
          initialPolicyMappingInhibit: false,
        },
        smime: false,
        exchange: false,
        signerDepth: eng.signerDepth + 1,
      };
      const r = await run(cert, sub);
      const ok = r.verdict === "valid";
      signerResults.set(cert.sha1 + time, ok);
      return ok;
    },
  };
  for (let i = 0; i < certs.length - 1; i++) {
    const res = await check(certs[i], certs[i + 1], certs, i, ctx);
    const el = ev.elements[i];
    for (const p of res.problems) {
      let q = p;
      if (p.code === "REVOCATION_UNKNOWN")
        q = { ...p, severity: (eng.requireRevocation ? "error" : "warning") as Severity };
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
        params(certs[i], { severity: eng.requireRevocation ? "error" : "warning" }),
      );
      el.problems.push(q);
      if (q.severity === "error") ev.errors++;
    }
  }
}
