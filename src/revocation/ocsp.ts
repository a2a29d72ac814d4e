/**
 * OCSP (RFC 6960) client side: build a request with a SHA-1 CertID using our DER writer, parse the
 * BasicOCSPResponse with the zero-copy reader, authenticate the responder (the issuer itself or a
 * delegated responder with id-kp-OCSPSigning issued by the issuer) and read the certificate's status.
 */

import { MalformedInputError } from "../errors.js";
import { bytesEqual, digest } from "../lib/bytes.js";
import {
  DerError,
  DerReader,
  decodeBitString,
  decodeOidEl,
  decodeSmallInt,
  decodeTime,
  encodeOid,
  TAG,
  tlv,
} from "../lib/der.js";
import { OID } from "../lib/oids.js";
import {
  type AlgorithmIdentifier,
  HASH_BY_OID,
  readAlgorithmIdentifier,
  verifySignature,
} from "../lib/signature.js";
import { Certificate } from "../x509/certificate.js";
import { Name } from "../x509/name.js";
import type { RevocationContext } from "./check.js";
import { serialKey } from "./crl.js";

export const OID_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";
export const OID_OCSP_NONCE = "1.3.6.1.5.5.7.48.1.2";
/** Tolerated clock difference between us and the responder. */
export const OCSP_CLOCK_SKEW_MS = 5 * 60_000;

export interface CertId {
  hashAlgorithm: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Serial, canonical upper-case hex. */
  serial: string;
}

export interface SingleResponse {
  certId: CertId;
  status: "good" | "revoked" | "unknown";
  revocationTime?: number;
  reason?: number;
  thisUpdate: number;
  nextUpdate?: number;
}

export interface OcspResponse {
  /** 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
  responseStatus: number;
  basic?: {
    tbs: Uint8Array;
    signatureAlgorithm: AlgorithmIdentifier;
    signature: Uint8Array;
    responderName?: Name;
    responderKeyHash?: Uint8Array;
    producedAt: number;
    responses: SingleResponse[];
    certs: Certificate[];
  };
}

export const OCSP_STATUS_NAMES: Record<number, string> = {
  0: "successful",
  1: "malformedRequest",
  2: "internalError",
  3: "tryLater",
  5: "sigRequired",
  6: "unauthorized",
};

/** SHA-1 CertID of `cert` as issued by `issuer`. */
export function certIdFor(cert: Certificate, issuer: Certificate, hash: "sha1" | "sha256" = "sha1"): CertId {
  return {
    hashAlgorithm: hash === "sha1" ? OID.sha1 : OID.sha256,
    issuerNameHash: digest(hash, issuer.subject.der),
    issuerKeyHash: digest(hash, issuer.publicKeyInfo.key),
    serial: serialKey(cert.serialNumber),
  };
}

/** DER OCSPRequest for one certificate (no nonce, unsigned: what CAs' responders cache best). */
export function buildOcspRequest(cert: Certificate, issuer: Certificate): Uint8Array {
  const id = certIdFor(cert, issuer);
  const certId = tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.sha1)), tlv(TAG.NULL)),
    tlv(TAG.OCTET_STRING, id.issuerNameHash),
    tlv(TAG.OCTET_STRING, id.issuerKeyHash),
    tlv(TAG.INTEGER, cert.serialNumber),
  );
  const request = tlv(TAG.SEQUENCE, certId);
  const tbsRequest = tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, request));
  return tlv(TAG.SEQUENCE, tbsRequest);
}

function readCertId(r: DerReader): CertId {
  const s = r.sequence("CertID");
  const alg = readAlgorithmIdentifier(s, "hashAlgorithm");
  const issuerNameHash = s.expect(TAG.OCTET_STRING, "issuerNameHash").value;
  const issuerKeyHash = s.expect(TAG.OCTET_STRING, "issuerKeyHash").value;
  const serial = serialKey(s.expect(TAG.INTEGER, "serialNumber").value);
  s.end("CertID");
  return { hashAlgorithm: alg.oid, issuerNameHash, issuerKeyHash, serial };
}

/** Parses an OCSPResponse. Throws MalformedInputError (with offset) on malformed input. */
export function parseOcspResponse(der: Uint8Array, source?: string): OcspResponse {
  try {
    const outer = new DerReader(der);
    const top = outer.sequence("OCSPResponse");
    outer.end("OCSPResponse");
    const responseStatus = decodeSmallInt(top.expect(TAG.ENUMERATED, "responseStatus"));
    const out: OcspResponse = { responseStatus };
    const rb = top.optional(0xa0);
    if (!rb || responseStatus !== 0) return out;
    const rbs = DerReader.of(rb).sequence("ResponseBytes");
    const type = decodeOidEl(rbs.read());
    if (type !== OID_OCSP_BASIC) throw new DerError(`unsupported OCSP response type ${type}`, rb.offset);
    const octets = rbs.expect(TAG.OCTET_STRING, "response");
    const b = new DerReader(octets.value, octets.offset + octets.headerLength).sequence("BasicOCSPResponse");
    const tbsEl = b.expect(TAG.SEQUENCE, "ResponseData");
    const signatureAlgorithm = readAlgorithmIdentifier(b, "signatureAlgorithm");
    const signature = decodeBitString(b.expect(TAG.BIT_STRING, "signature")).bytes;
    const certs: Certificate[] = [];
    const certsEl = b.optional(0xa0);
    if (certsEl) {
      const cs = DerReader.of(certsEl).sequence("certs");
      while (!cs.done && certs.length < 16) {
        const c = cs.expect(TAG.SEQUENCE, "Certificate");
        certs.push(new Certificate(c.raw, c.offset));
      }
    }
    const t = DerReader.of(tbsEl);
    const v = t.optional(0xa0);
    if (v && decodeSmallInt(DerReader.of(v).read()) !== 0)
      throw new DerError("unsupported OCSP response version", v.offset);
    const basic: NonNullable<OcspResponse["basic"]> = {
      tbs: tbsEl.raw,
      signatureAlgorithm,
      signature,
      producedAt: 0,
      responses: [],
      certs,
    };
    const rid = t.read();
    if (rid.tag === 0xa1) basic.responderName = new Name(DerReader.of(rid).expect(TAG.SEQUENCE, "Name"));
    else if (rid.tag === 0xa2)
      basic.responderKeyHash = DerReader.of(rid).expect(TAG.OCTET_STRING, "KeyHash").value;
    else throw new DerError("bad ResponderID", rid.offset);
    basic.producedAt = decodeTime(t.expect(TAG.GeneralizedTime, "producedAt"));
    const list = t.sequence("responses");
    while (!list.done) {
      const sr = list.sequence("SingleResponse");
      const certId = readCertId(sr);
      const st = sr.read();
      const single: SingleResponse = { certId, status: "unknown", thisUpdate: 0 };
      if (st.tag === 0x80) single.status = "good";
      else if (st.tag === 0xa1) {
        single.status = "revoked";
        const ri = DerReader.of(st);
        single.revocationTime = decodeTime(ri.expect(TAG.GeneralizedTime, "revocationTime"));
        const rr = ri.optional(0xa0);
        if (rr) single.reason = decodeSmallInt(DerReader.of(rr).expect(TAG.ENUMERATED, "revocationReason"));
      } else if (st.tag === 0x82) single.status = "unknown";
      else throw new DerError("bad CertStatus", st.offset);
      single.thisUpdate = decodeTime(sr.expect(TAG.GeneralizedTime, "thisUpdate"));
      const nu = sr.optional(0xa0);
      if (nu) single.nextUpdate = decodeTime(DerReader.of(nu).expect(TAG.GeneralizedTime, "nextUpdate"));
      basic.responses.push(single);
    }
    out.basic = basic;
    return out;
  } catch (e) {
    if (e instanceof DerError)
      throw new MalformedInputError(`not a valid OCSP response: ${e.message.replace(/ at byte \d+$/, "")}`, {
        offset: e.offset,
        file: source,
        cause: e,
      });
    throw e;
  }
}

export interface OcspOutcome {
  status: "good" | "revoked" | "unknown";
  revocationTime?: number;
  reason?: number;
  /** Why the answer is unknown. */
  note: string;
}

function matchesCertId(id: CertId, cert: Certificate, issuer: Certificate): boolean {
  const h = HASH_BY_OID[id.hashAlgorithm];
  if (h !== "sha1" && h !== "sha256" && h !== "sha384" && h !== "sha512") return false;
  return (
    id.serial === serialKey(cert.serialNumber) &&
    bytesEqual(id.issuerNameHash, digest(h, issuer.subject.der)) &&
    bytesEqual(id.issuerKeyHash, digest(h, issuer.publicKeyInfo.key))
  );
}

function verifiedBy(basic: NonNullable<OcspResponse["basic"]>, c: Certificate): boolean {
  try {
    return verifySignature(
      basic.signatureAlgorithm,
      basic.tbs,
      basic.signature,
      c.publicKey,
      c.publicKeyInfo.algorithm,
    );
  } catch {
    return false;
  }
}

function responderIdMatches(basic: NonNullable<OcspResponse["basic"]>, c: Certificate): boolean {
  if (basic.responderName) return basic.responderName.equals(c.subject);
  if (basic.responderKeyHash) return bytesEqual(basic.responderKeyHash, digest("sha1", c.publicKeyInfo.key));
  return false;
}

/**
 * The responder is the issuer itself, or a certificate in the response that the issuer signed, with
 * id-kp-OCSPSigning, valid at `time`.
 */
export function authenticateResponder(
  basic: NonNullable<OcspResponse["basic"]>,
  issuer: Certificate,
  time: number,
): { ok: boolean; note: string } {
  if (responderIdMatches(basic, issuer) || basic.certs.length === 0) {
    if (verifiedBy(basic, issuer)) return { ok: true, note: "" };
    if (responderIdMatches(basic, issuer))
      return { ok: false, note: "the response's signature does not verify with the issuer's key" };
  }
  for (const c of basic.certs) {
    if (!responderIdMatches(basic, c) && !verifiedBy(basic, c)) continue;
    if (!verifiedBy(basic, c))
      return { ok: false, note: "the response's signature does not verify with the responder certificate" };
    if (!c.issuer.equals(issuer.subject) || !safeSigned(c, issuer))
      return { ok: false, note: "the responder certificate is not issued by the certificate's issuer" };
    if (!(c.extKeyUsage ?? []).includes(OID.ocspSigning))
      return { ok: false, note: "the responder certificate lacks the OCSPSigning extended key usage" };
    if (!c.isValidAt(time))
      return { ok: false, note: "the responder certificate is not valid at the validation time" };
    return { ok: true, note: "" };
  }
  return { ok: false, note: "the response is not signed by the issuer or an authorised responder" };
}

function safeSigned(c: Certificate, issuer: Certificate): boolean {
  try {
    return c.isSignedBy(issuer);
  } catch {
    return false;
  }
}

/** Evaluates a parsed response for `cert` at `time`. */
export function evaluateOcspResponse(
  res: OcspResponse,
  cert: Certificate,
  issuer: Certificate,
  time: number,
): OcspOutcome {
  if (res.responseStatus !== 0)
    return {
      status: "unknown",
      note: `responder answered ${OCSP_STATUS_NAMES[res.responseStatus] ?? res.responseStatus}`,
    };
  const basic = res.basic;
  if (!basic) return { status: "unknown", note: "response without a basic OCSP response" };
  const auth = authenticateResponder(basic, issuer, time);
  if (!auth.ok) return { status: "unknown", note: auth.note };
  const single = basic.responses.find((s) => matchesCertId(s.certId, cert, issuer));
  if (!single) return { status: "unknown", note: "the response does not answer for this certificate" };
  // An answer produced after the validation time is fine (historical validation); a stale one is not.
  if (single.nextUpdate !== undefined && single.nextUpdate + OCSP_CLOCK_SKEW_MS < time)
    return { status: "unknown", note: "the response is stale (nextUpdate passed)" };
  if (single.status === "revoked") {
    const out: OcspOutcome = { status: "revoked", note: "" };
    if (single.revocationTime !== undefined) out.revocationTime = single.revocationTime;
    if (single.reason !== undefined) out.reason = single.reason;
    return out;
  }
  if (single.status === "good") return { status: "good", note: "" };
  return { status: "unknown", note: "the responder does not know the certificate" };
}

/** POSTs a request to `url` with ctx.fetcher and evaluates the answer. Never throws. */
export async function checkOcsp(
  cert: Certificate,
  issuer: Certificate,
  url: string,
  ctx: RevocationContext,
): Promise<OcspOutcome> {
  if (!ctx.fetcher) return { status: "unknown", note: "no fetcher" };
  try {
    const req = buildOcspRequest(cert, issuer);
    const res = await ctx.fetcher.post(url, req, "application/ocsp-request");
    if (res.status !== 200) return { status: "unknown", note: `HTTP ${res.status}` };
    return evaluateOcspResponse(parseOcspResponse(res.body, url), cert, issuer, ctx.time);
  } catch (e) {
    return { status: "unknown", note: (e as Error).message };
  }
}
