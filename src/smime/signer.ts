/**
 * One signer of a message judged as Exchange would: the S/MIME policy over the CMS check. The SignerInfo is
 * decoded by cms/signer-info.ts and its signature checked by cms/verify.ts (RFC 5652 5.4-5.6); here are what
 * is policy: the content forms tried (as stored, then CRLF-canonical for clear-signed parts stored with LF
 * line ends, digests streamed with createHash), which algorithms are refused or weak, DSA keys inheriting
 * their issuer's parameters, and the problem each fault is reported as.
 */
import { createHash, type KeyObject, hash as oneShotHash } from "node:crypto";
import type { SignedData } from "../cms/signed-data.js";
import { findSignerCert, type SignerInfo, signerLabel } from "../cms/signer-info.js";
import {
  type ContentSource,
  checkSignature,
  type SignatureFault,
  signerAlgorithms,
  VERIFICATION_ATTRIBUTES,
} from "../cms/verify.js";
import { UnsupportedError } from "../errors.js";
import { OID } from "../lib/oids.js";
import { dsaParamsInherited, type HashName, importDsaKey } from "../lib/signature.js";
import { feedCanonical, hasBareLf, toCanonical } from "../mime/canonical.js";
import { type Problem, problem } from "../problems.js";
import type { Certificate } from "../x509/certificate.js";

export type ContentForm = "raw" | "crlf";

/** The content a SignedData covers, and how its digests may be computed. */
export class SignedContent implements ContentSource<ContentForm> {
  private readonly digests = new Map<string, Buffer>();
  private canonical?: Uint8Array;

  /**
   * `bytes`: the content (a view, never copied). `canonicalRetry`: whether the CRLF form may be tried
   * (clear-signed MIME parts; not opaque encapsulated content, which travels in binary).
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly canonicalRetry: boolean,
  ) {}

  private bareLf?: boolean;

  /** True when the CRLF form differs from the bytes as stored (and may be tried). Scans once, on demand. */
  get canRetry(): boolean {
    if (!this.canonicalRetry) return false;
    this.bareLf ??= hasBareLf(this.bytes);
    return this.bareLf;
  }

  /** The first form (as stored, then CRLF-canonical when that differs) for which `test` holds. */
  match(test: (form: ContentForm) => boolean): ContentForm | undefined {
    if (test("raw")) return "raw";
    if (this.canRetry && test("crlf")) return "crlf";
    return undefined;
  }

  digest(hash: HashName, form: ContentForm): Buffer {
    const k = `${hash}:${form}`;
    let d = this.digests.get(k);
    if (!d) {
      if (form === "raw") d = oneShotHash(hash, this.bytes, "buffer");
      else {
        const h = createHash(hash);
        feedCanonical(this.bytes, (c) => h.update(c));
        d = h.digest();
      }
      this.digests.set(k, d);
    }
    return d;
  }

  /** The bytes of a form as one buffer (only for signatures without signed attributes). */
  whole(form: ContentForm): Uint8Array {
    if (form === "raw") return this.bytes;
    this.canonical ??= toCanonical(this.bytes);
    return this.canonical;
  }
}

export interface SignerCheck {
  info: SignerInfo;
  /** The signer's certificate, when found. */
  cert?: Certificate;
  /** How the signer is named when its certificate is missing ("" when it was found). */
  label: string;
  signingTime?: number;
  /** The content form that matched, when the digest matched. */
  form?: ContentForm;
  /** True when digest and signature both verify. */
  signatureOk: boolean;
  problems: Problem[];
}

function poolOf(ctx: SignerContext): readonly Certificate[] {
  return typeof ctx.pool === "function" ? ctx.pool() : ctx.pool;
}

const HASH_LABEL: Record<HashName, string> = {
  md5: "MD5",
  sha1: "SHA-1",
  sha224: "SHA-224",
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

export interface SignerContext {
  /** The signer's certificate when the caller has found it already. */
  cert?: Certificate;
  /** Certificates a signer may be found among (message first, then --untrusted, then the trust list). */
  pool: readonly Certificate[] | (() => readonly Certificate[]);
  /** Issuers of the signer (nearest first) when known from its path: for inherited DSA parameters. */
  issuersOf?: (cert: Certificate) => readonly Certificate[];
}

/** Checks one signer: certificate, digest, signed attributes and signature. Never throws on bad input. */
export function checkSigner(
  sd: SignedData,
  info: SignerInfo,
  content: SignedContent | undefined,
  ctx: SignerContext,
): SignerCheck {
  const cert = ctx.cert ?? findSignerCert(info, poolOf(ctx));
  // The label names a signer without a certificate: worked out (it decodes the issuer name) only then.
  const out: SignerCheck = {
    info,
    cert,
    label: cert ? "" : signerLabel(info),
    signatureOk: false,
    problems: [],
  };
  const push = (p: Problem) => out.problems.push(p);
  // Who a weak-algorithm problem names (only worked out when there is one).
  const who = () => ({ name: cert?.name, sha1: cert?.sha1 });

  const attrs = info.signedAttributes;
  if (attrs) {
    out.signingTime = attrs.signingTime;
    // Attributes the signature check does not rest on (and repeats of those it does): reported, not fatal.
    for (const f of attrs.faults)
      if (!VERIFICATION_ATTRIBUTES.has(f.attribute) || f.kind === "repeated")
        push(problem("SIGNED_ATTRIBUTE_MALFORMED", { detail: f.detail }));
  }

  const { digest: digestHash, signature: alg, signatureHash: sigHash } = signerAlgorithms(info);
  if (!digestHash) {
    push(
      problem("UNSUPPORTED_ALGORITHM", {
        alg: info.digestAlgorithm.oid,
        detail: "digest algorithm of the signature",
      }),
    );
    return out;
  }
  if (digestHash === "md5") {
    push(problem("WEAK_ALGORITHM", { ...who(), alg: "MD5 message digest (refused)", severity: "error" }));
    return out;
  }
  if (!alg) {
    push(
      problem("UNSUPPORTED_ALGORITHM", {
        alg: info.signatureAlgorithm.oid,
        detail: `signature algorithm with ${HASH_LABEL[digestHash]}`,
      }),
    );
    return out;
  }
  if (sigHash === "md5") {
    push(problem("WEAK_ALGORITHM", { ...who(), alg: "MD5 signature (refused)", severity: "error" }));
    return out;
  }
  if (digestHash === "sha1" || sigHash === "sha1")
    push(problem("WEAK_ALGORITHM", { ...who(), alg: "SHA-1 in the message signature" }));

  if (!out.cert) {
    push(problem("SIGNER_CERT_MISSING", { detail: out.label.replace(/^unknown signer /, "") }));
    return out;
  }
  if (!content) {
    push(problem("SIGNED_CONTENT_MISSING"));
    return out;
  }

  let key: KeyObject;
  try {
    key = signerKey(out.cert, ctx);
  } catch (e) {
    let alg = "the signer's key";
    try {
      alg = out.cert.keyDescription;
    } catch {
      /* keep the generic label */
    }
    push(problem("UNSUPPORTED_ALGORITHM", { alg, detail: (e as Error).message }));
    return out;
  }
  const check = checkSignature(
    sd,
    info,
    content,
    { digest: digestHash, signature: alg },
    key,
    out.cert.publicKeyInfo.algorithm,
  );
  if (!check.ok) {
    push(faultProblem(check.fault, content));
    return out;
  }
  out.form = check.form;
  if (out.form === "crlf") push(problem("CONTENT_CANONICALISED"));
  out.signatureOk = true;
  return out;
}

/** The problem each reason for a failed signature check is reported as. */
function faultProblem(fault: SignatureFault, content: SignedContent): Problem {
  switch (fault) {
    case "attributes-incomplete":
      return problem("MALFORMED", {
        detail: "signed attributes lack a single contentType and messageDigest",
      });
    case "content-type-mismatch":
      return problem("SIGNATURE_INVALID", { detail: "the contentType attribute does not match the content" });
    case "digest-not-octets":
      return problem("MALFORMED", { detail: "messageDigest is not an OCTET STRING" });
    case "digest-mismatch":
      return problem("DIGEST_MISMATCH", {
        detail: content.canRetry ? "neither as stored nor with CRLF line ends" : undefined,
      });
    case "signature-invalid":
      return problem("SIGNATURE_INVALID");
    case "attributes-required":
      return problem("MALFORMED", {
        detail: "signed attributes are required for content other than id-data",
      });
    case "content-signature-invalid":
      return problem("SIGNATURE_INVALID", {
        detail: "no signed attributes; the content or the signature was altered",
      });
  }
}

const inherited = new WeakMap<Certificate, KeyObject>();

/** The signer's public key; a DSA key without parameters takes them from the nearest issuer that has them. */
function signerKey(cert: Certificate, ctx: SignerContext): KeyObject {
  const k = cert.publicKeyInfo;
  if (k.algorithm !== OID.dsa || !dsaParamsInherited(k.params)) return cert.publicKey;
  const hit = inherited.get(cert);
  if (hit) return hit;
  const candidates: Certificate[] = [...(ctx.issuersOf?.(cert) ?? [])];
  // Fall back to certificates named as the issuer, walking up while parameters are inherited.
  let cur: Certificate | undefined = cert;
  for (let i = 0; i < 8 && cur; i++) {
    const issuerKey: string = cur.issuer.key;
    const next: Certificate | undefined = poolOf(ctx).find(
      (c) => c !== cur && c.subject.key === issuerKey && c.publicKeyInfo.algorithm === OID.dsa,
    );
    if (next) candidates.push(next);
    cur = next;
  }
  for (const c of candidates) {
    const p = c.publicKeyInfo;
    if (p.algorithm !== OID.dsa) break;
    if (p.params && !dsaParamsInherited(p.params)) {
      const key = importDsaKey(p.params, k.key);
      inherited.set(cert, key);
      return key;
    }
  }
  throw new UnsupportedError("DSA key without parameters and no issuer to inherit them from");
}
