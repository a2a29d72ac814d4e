/**
 * verify: one message (or one CMS object) in, one verdict out, as Exchange Online would give it.
 *
 *   verifyMessage(bytes, ctx) -> VerifyResult {verdict, problems, signers}
 *
 * The message is split with the raw-bytes MIME parser; every S/MIME layer is located; each SignedData is
 * parsed; each signer is checked (digest, signed attributes, signature); its certificate is validated
 * against the trust list by the path engine (certificates and CRLs carried by the message are untrusted
 * material only); the From address is compared with the certificate's addresses. No I/O, no clock:
 * the validation time and everything else come in through `ctx`.
 */

import { cmsContentType, parseSignedData, type SignedData } from "../cms/signed-data.js";
import { findSignerCert } from "../cms/signer-info.js";
import { SmimetrustError } from "../errors.js";
import { bytesEqual } from "../lib/bytes.js";
import { OID } from "../lib/oids.js";
import { pemBlocks } from "../lib/pem.js";
import { MimeError, NotMailError } from "../mime/errors.js";
import { type MimeEntity, parseMessage } from "../mime/parse.js";
import type { CertSource, ChainResult, ChainValidator, ValidationOptions } from "../path/types.js";
import { type Problem, problem } from "../problems.js";
import type { TrustList } from "../trust/trust-list.js";
import { Certificate } from "../x509/certificate.js";
import { type Layer, locateInner, locateLayers } from "./locate.js";
import { type ContentForm, checkSigner, SignedContent } from "./signer.js";

export type Verdict = "valid" | "invalid" | "error";

export interface ChainLink {
  subject: string;
  sha1: string;
  source: CertSource;
}

export interface SignerResult {
  subject: string;
  emails: string[];
  sha1: string;
  /** ISO 8601 UTC, or null when the signature has no signingTime attribute. */
  signingTime: string | null;
  /** Shared by every result whose chain came from the same cached validation: read-only. */
  chain: readonly ChainLink[];
  problems: Problem[];
  /** Not part of the JSON contract: the display name (common name), where the signature sits ("" = whole message) and the content form that matched. */
  name: string;
  part: string;
  form?: ContentForm;
  /** Signature and chain both good, and no error-level problem. */
  ok: boolean;
}

export interface VerifyResult {
  verdict: Verdict;
  problems: Problem[];
  signers: SignerResult[];
  /** Not part of the JSON contract: display subject of the message, sender address. */
  subject?: string;
  from?: string;
}

export interface VerifyContext {
  trust: TrustList;
  validate: ChainValidator;
  /** Options passed to the engine (time is set per signer). */
  validation: Omit<ValidationOptions, "time" | "untrusted" | "crls">;
  /** Validation time (ms), or "signing" to use each signature's signingTime (falling back to `now`). */
  at: number | "signing";
  now: number;
  /** Untrusted certificates from --untrusted. */
  extra?: readonly Certificate[];
  /** CRLs from --crl (DER). */
  crls?: readonly Uint8Array[];
  ignoreSender?: boolean;
  /** Content of a detached signature given on its own (.p7s with --content). */
  detachedContent?: Uint8Array;
  /** Shared certificate objects across messages (bulk speed). */
  certCache?: CertificateCache;
}

/** Certificates parsed once and reused across messages (their keys, hashes and extensions stay memoised). */
export class CertificateCache {
  private readonly map = new Map<number, Certificate>();
  constructor(readonly max = 20_000) {}
  get(der: Uint8Array): Certificate {
    // A cheap key (a hash of the length and the last 32 bytes, which lie in the signature), then a full byte
    // comparison; another certificate under the same key replaces the one there.
    const n = der.length;
    let k = n | 0;
    for (let i = Math.max(0, n - 32); i < n; i++) k = Math.imul(k ^ der[i], 0x01000193);
    let c = this.map.get(k);
    if (c && !bytesEqual(der, c.der)) c = undefined;
    if (!c) {
      c = new Certificate(new Uint8Array(der));
      checkUsable(c);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(k, c);
    }
    return c;
  }
}

/**
 * Certificate parses its public key lazily; a message may carry a certificate whose SubjectPublicKeyInfo is
 * damaged. Such a certificate is useless material: refuse it here so no later step trips over it.
 */
function checkUsable(c: Certificate): void {
  void c.publicKeyInfo;
  void c.subject.key;
  void c.issuer.key;
}

const MAX_SIGNERS_TOTAL = 64;

/** Every option of VerifyContext.validation, none left out (a new option must be copied, or this fails to compile). */
type ValidationOption = keyof VerifyContext["validation"];
type AllValidationOptions = {
  [K in ValidationOption]: VerifyContext["validation"][K];
} & Pick<ValidationOptions, "time" | "untrusted" | "crls">;

/** Verifies one input: an e-mail message (RFC 5322/MIME) or a CMS object (DER, PEM or base64). */
export async function verifyMessage(bytes: Uint8Array, ctx: VerifyContext): Promise<VerifyResult> {
  const cms = asCms(bytes);
  if (cms) return verifyCmsObject(cms, ctx);
  let msg: MimeEntity;
  try {
    msg = parseMessage(bytes);
  } catch (e) {
    // Bytes that start as DER (a SEQUENCE) but did not parse as CMS above are a damaged .p7m/.p7s: MALFORMED.
    if (e instanceof NotMailError && !(bytes.length > 1 && bytes[0] === 0x30))
      return { verdict: "error", problems: [problem("NOT_MAIL", { detail: e.message })], signers: [] };
    if (e instanceof NotMailError)
      return errorResult("a DER object that is not a readable CMS signature (truncated or damaged)");
    if (e instanceof MimeError) return errorResult(e.message);
    throw e;
  }
  const res: VerifyResult = {
    verdict: "invalid",
    problems: [],
    signers: [],
    subject: msg.headers.get("subject"),
    from: msg.headers.get("from"),
  };
  let layers: Layer[];
  try {
    layers = locateLayers(msg);
  } catch (e) {
    if (e instanceof SmimetrustError) return errorResult(e.message);
    throw e;
  }
  await processLayers(layers, ctx, res, 0);
  return finish(res);
}

async function processLayers(
  layers: Layer[],
  ctx: VerifyContext,
  res: VerifyResult,
  nesting: number,
): Promise<void> {
  for (const layer of layers) {
    if (res.signers.length >= MAX_SIGNERS_TOTAL) break;
    switch (layer.kind) {
      case "encrypted":
        res.problems.push(problem("ENCRYPTED"));
        break;
      case "certs-only":
        break;
      case "malformed":
        res.problems.push(problem("MALFORMED", { detail: layerWhere(layer.path, layer.detail) }));
        break;
      case "detached":
      case "opaque": {
        let sd: SignedData;
        try {
          sd = parseSignedData(layer.cms);
        } catch (e) {
          if (!(e instanceof SmimetrustError)) throw e;
          res.problems.push(problem("MALFORMED", { detail: layerWhere(layer.path, e.message) }));
          break;
        }
        let content: SignedContent | undefined;
        if (layer.kind === "detached") {
          // The signature must cover the first part as shown; encapsulated content (which a reader would not
          // see) is ignored, so a signature over other content fails as DIGEST_MISMATCH.
          content = new SignedContent(layer.content, true);
        } else if (sd.encapContent !== undefined) {
          content = new SignedContent(sd.encapContent, false);
        }
        if (sd.signerInfos.length === 0) {
          if (layers.length === 1)
            res.problems.push(problem("NOT_SIGNED", { detail: "the signature holds certificates only" }));
          break;
        }
        if (layer.path) res.problems.push(problem("SIGNED_PART", { detail: layer.path }));
        await checkSignedData(sd, content, layer.path, layer.from, ctx, res);
        if (layer.kind === "opaque" && sd.encapContent && nesting < 4) {
          const inner = locateInner(sd.encapContent, layer.path || "1", layer.from, nesting);
          await processLayers(inner, ctx, res, nesting + 1);
        }
        break;
      }
    }
  }
}

function layerWhere(path: string, detail: string): string {
  return path ? `part ${path}: ${detail}` : detail;
}

async function checkSignedData(
  sd: SignedData,
  content: SignedContent | undefined,
  part: string,
  from: string | undefined,
  ctx: VerifyContext,
  res: VerifyResult,
): Promise<void> {
  const cache = ctx.certCache;
  const messageCerts: Certificate[] = [];
  for (const der of sd.certificates) {
    try {
      if (cache) messageCerts.push(cache.get(der));
      else {
        const c = new Certificate(new Uint8Array(der));
        checkUsable(c);
        messageCerts.push(c);
      }
    } catch {
      // A certificate that does not parse is useless material, not a reason to reject the others.
    }
  }
  const extra = ctx.extra ?? [];
  let pool: Certificate[] | undefined;
  const allCerts = () => {
    pool ??= [...messageCerts, ...extra, ...ctx.trust.certificates];
    return pool;
  };
  const untrusted: { cert: Certificate; source: "message" | "extra" }[] = [];
  for (const cert of messageCerts) untrusted.push({ cert, source: "message" });
  for (const cert of extra) untrusted.push({ cert, source: "extra" });
  const crls = ctx.crls?.length ? [...sd.crls, ...ctx.crls] : sd.crls;
  // One options object for every signer of this SignedData (only the time differs between them), written
  // out field by field: a spread followed by more properties makes V8 build a new object shape each time
  // (~7 us), Object.assign a dictionary (~0.4 us, slower to read); its type makes the compiler want every
  // option here.
  const v = ctx.validation;
  const validation: AllValidationOptions = {
    time: 0,
    untrusted,
    crls: crls.length ? crls : undefined,
    profile: v.profile,
    anchorAny: v.anchorAny,
    online: v.online,
    fetcher: v.fetcher,
    retrievalTimeoutMs: v.retrievalTimeoutMs,
    requireRevocation: v.requireRevocation,
    checkRevocation: v.checkRevocation,
    leafPurpose: v.leafPurpose,
    maxDepth: v.maxDepth,
    budget: v.budget,
    leafSource: v.leafSource,
    strict: v.strict,
    pedantic: v.pedantic,
    parsedCrls: v.parsedCrls,
    cache: v.cache,
    initialPolicySet: v.initialPolicySet,
    initialExplicitPolicy: v.initialExplicitPolicy,
    initialPolicyMappingInhibit: v.initialPolicyMappingInhibit,
    initialInhibitAnyPolicy: v.initialInhibitAnyPolicy,
  };
  for (const info of sd.signerInfos) {
    if (res.signers.length >= MAX_SIGNERS_TOTAL) break;
    // The chain first: its path gives the issuers a DSA key may inherit parameters from.
    // Message certificates first, then --untrusted; the trust list only when neither has it.
    const signerCert =
      findSignerCert(info, messageCerts) ??
      findSignerCert(info, extra) ??
      findSignerCert(info, ctx.trust.certificates);
    const signingTime = info.signedAttributes?.signingTime;
    let chain: ChainResult | undefined;
    const chainProblems: Problem[] = [];
    if (signerCert) {
      const time = ctx.at === "signing" ? (signingTime ?? ctx.now) : ctx.at;
      try {
        validation.time = time;
        chain = await ctx.validate(signerCert, ctx.trust, validation);
      } catch (e) {
        if (!(e instanceof SmimetrustError)) throw e;
        chainProblems.push(
          problem("MALFORMED", { detail: `certificate path: ${e.message}`, sha1: signerCert.sha1 }),
        );
      }
    }
    const path = chain?.path;
    const check = checkSigner(sd, info, content, {
      cert: signerCert,
      pool: allCerts,
      issuersOf: () => (path ? path.slice(1).map((e) => e.cert) : []),
    });
    const problems = chainProblems.length ? [...check.problems, ...chainProblems] : check.problems;
    // Every problem of the path, warnings included (chain.problems holds the errors only): a signature
    // whose revocation could not be checked, or that rests on a weak key, must say so.
    if (chain) {
      addProblems(problems, chain.problems);
      for (const e of chain.path) if (e.problems.length) addProblems(problems, e.problems);
    }
    const cert = check.cert;
    const emails = cert?.emails ?? [];
    if (cert && !ctx.ignoreSender && from !== undefined) {
      const addr = from.toLowerCase();
      if (!emails.some((e) => e.toLowerCase() === addr)) {
        problems.push(
          problem("SENDER_MISMATCH", {
            email: from,
            sha1: cert.sha1,
            detail: emails.length
              ? `the certificate is for ${emails.join(", ")}`
              : "the certificate names no e-mail address",
          }),
        );
      }
    }
    const ok =
      check.signatureOk && chain?.verdict === "valid" && !problems.some((p) => p.severity === "error");
    res.signers.push({
      subject: cert ? cert.subject.toString() : check.label,
      name: cert ? cert.subject.display : check.label,
      emails,
      sha1: cert ? cert.sha1 : "",
      signingTime: signingTime !== undefined ? isoTime(signingTime) : null,
      chain: chain ? chainLinks(chain) : [],
      problems,
      part,
      form: check.form,
      ok,
    });
  }
}

// A cached chain result answers many messages: its links are made once and shared (read-only) by their
// results, so each message's output can reuse the links' JSON text too (verify-json.ts).
const linksOf = new WeakMap<ChainResult, readonly ChainLink[]>();

function chainLinks(chain: ChainResult): readonly ChainLink[] {
  let links = linksOf.get(chain);
  if (!links) {
    links = Object.freeze(
      chain.path.map((e) =>
        Object.freeze({ subject: e.cert.subject.toString(), sha1: e.cert.sha1, source: e.source }),
      ),
    );
    linksOf.set(chain, links);
  }
  return links;
}

/** Adds each of `list` to `problems` unless the same problem (code, certificate, message) is there. */
function addProblems(problems: Problem[], list: readonly Problem[]): void {
  for (const p of list)
    if (!problems.some((q) => q.code === p.code && q.cert === p.cert && q.message === p.message))
      problems.push(p);
}

function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  // Years 1970-9999 written out with integer arithmetic (days to civil date, H. Hinnant's algorithm): no Date
  // object and no string surgery per message; other years through toISOString, as before.
  if (ms >= 0 && ms < 253402300800000) {
    const secs = Math.floor(ms / 1000);
    const days = Math.floor(secs / 86400);
    const sod = secs - days * 86400;
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    const h = Math.floor(sod / 3600);
    const mi = Math.floor((sod % 3600) / 60);
    const se = sod % 60;
    return `${y}-${two(m)}-${two(d)}T${two(h)}:${two(mi)}:${two(se)}Z`;
  }
  const s = new Date(ms).toISOString();
  return s.replace(/\.\d{3}Z$/, "Z");
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A .p7m/.p7s/.bin given directly: opaque SignedData, or detached with ctx.detachedContent. */
async function verifyCmsObject(der: Uint8Array, ctx: VerifyContext): Promise<VerifyResult> {
  const res: VerifyResult = { verdict: "invalid", problems: [], signers: [] };
  const type = cmsContentType(der);
  if (type === OID.envelopedData || type === OID.authEnvelopedData) {
    res.problems.push(problem("ENCRYPTED"));
    return finish(res);
  }
  let sd: SignedData;
  try {
    sd = parseSignedData(der);
  } catch (e) {
    if (e instanceof SmimetrustError) return errorResult(e.message);
    throw e;
  }
  if (sd.signerInfos.length === 0) {
    res.problems.push(problem("NOT_SIGNED", { detail: "the object holds certificates only" }));
    return finish(res);
  }
  let content: SignedContent | undefined;
  if (sd.encapContent !== undefined) content = new SignedContent(sd.encapContent, false);
  else if (ctx.detachedContent) content = new SignedContent(ctx.detachedContent, true);
  await checkSignedData(sd, content, "", undefined, ctx, res);
  if (sd.encapContent) {
    const inner = locateInner(sd.encapContent, "1", undefined, 0);
    await processLayers(inner, ctx, res, 1);
  }
  return finish(res);
}

function errorResult(detail: string): VerifyResult {
  return { verdict: "error", problems: [problem("MALFORMED", { detail })], signers: [] };
}

function finish(res: VerifyResult): VerifyResult {
  const hasSigned = res.signers.length > 0;
  if (
    !hasSigned &&
    !res.problems.some((p) => p.code === "ENCRYPTED" || p.code === "MALFORMED" || p.code === "NOT_SIGNED")
  ) {
    res.problems.unshift(problem("NOT_SIGNED"));
  }
  const anyError =
    res.problems.some((p) => p.severity === "error") ||
    res.signers.some((s) => s.problems.some((p) => p.severity === "error"));
  res.verdict =
    hasSigned && res.signers.some((s) => s.ok) && res.signers.every((s) => s.ok) && !anyError
      ? "valid"
      : "invalid";
  return res;
}

/**
 * Recognises CMS given directly: DER/BER (starts with SEQUENCE), PEM ("-----BEGIN PKCS7/CMS-----") or
 * bare base64 of a ContentInfo. Returns the DER, or undefined for anything else (treated as a message).
 */
export function asCms(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x30) return cmsContentType(bytes) !== undefined ? bytes : undefined;
  // PEM and bare base64 start with '-', 'M' or white space (as \s reads Latin-1); a message with a header name.
  const c = bytes[0];
  if (c !== 0x2d && c !== 0x4d && !(c >= 0x09 && c <= 0x0d) && c !== 0x20 && c !== 0xa0) return undefined;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64)).toString("latin1");
  const pem = /^\s*-----BEGIN (PKCS7|CMS|PKCS #7 SIGNED DATA)-----/.exec(head);
  if (pem) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const m = pemBlocks(buf)[0];
    if (m) {
      const der = Buffer.from(buf.toString("latin1", m.bodyStart, m.bodyEnd).replace(/\s+/g, ""), "base64");
      return cmsContentType(der) !== undefined ? der : undefined;
    }
  }
  if (/^MI[A-Za-z0-9+/]{2}/.test(head)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
      const der = Buffer.from(text.replace(/\s+/g, ""), "base64");
      return cmsContentType(der) !== undefined ? der : undefined;
    }
  }
  return undefined;
}
