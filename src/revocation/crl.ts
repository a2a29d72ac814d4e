/**
 * X.509 CRLs (RFC 5280 section 5), parsed with the zero-copy DER reader. The parser keeps the raw
 * TBSCertList and signature for verification, decodes the CRL and entry extensions RFC 5280 defines,
 * flags unknown critical ones, and indexes the revoked serials in a Map for constant-time lookup.
 */

import { MalformedInputError } from "../errors.js";
import { hexUpper } from "../lib/bytes.js";
import {
  bitStringBits,
  type DerElement,
  DerError,
  DerReader,
  decodeBigInt,
  decodeBitString,
  decodeOidEl,
  decodeSmallInt,
  decodeTime,
  parseOne,
  retag,
  TAG,
} from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { pemBlocks } from "../lib/pem.js";
import {
  type AlgorithmIdentifier,
  readAlgorithmIdentifier,
  signatureAlgorithmName,
} from "../lib/signature.js";
import {
  type AuthorityKeyIdentifier,
  type DistributionPoint,
  type Extension,
  parseAuthorityKeyIdentifier,
  parseCrlDistributionPoints,
  parseDistributionPointName,
  readExtensions,
} from "../x509/extensions.js";
import { type GeneralName, parseGeneralNames } from "../x509/general-name.js";
import { Name } from "../x509/name.js";

/** CRLReason codes (RFC 5280 5.3.1). */
export const CRL_REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export const CRL_REASON_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(CRL_REASON).map(([k, v]) => [v, k]),
);

export interface IssuingDistributionPoint {
  /** distributionPoint fullName. */
  fullName?: GeneralName[];
  /** distributionPoint nameRelativeToCRLIssuer, raw RDN SET. */
  relativeName?: Uint8Array;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  /** ReasonFlags bit numbers, when present. */
  onlySomeReasons?: number[];
  indirectCRL: boolean;
  onlyContainsAttributeCerts: boolean;
  /** DER of the extension value, to compare a delta CRL's scope with its base. */
  der: Uint8Array;
}

export interface RevokedEntry {
  /** Serial number, canonical two's-complement upper-case hex (as encoded; negative numbers keep their sign bytes). */
  serial: string;
  revocationDate: number;
  /** CRLReason, when the entry has one. */
  reason?: number;
  invalidityDate?: number;
  /**
   * For indirect CRLs: the certificate issuer this entry belongs to (from this entry's certificateIssuer
   * extension or the last one before it). Undefined = the CRL issuer.
   */
  certificateIssuer?: GeneralName[];
  /** OIDs of critical entry extensions the parser does not understand. */
  unknownCritical: string[];
  /** Absolute offset of the entry in the input. */
  offset: number;
}

export interface Crl {
  der: Uint8Array;
  source?: string;
  /** 1 or 2. */
  version: number;
  signatureAlgorithm: AlgorithmIdentifier;
  tbsSignatureAlgorithm: AlgorithmIdentifier;
  issuer: Name;
  thisUpdate: number;
  nextUpdate?: number;
  revoked: RevokedEntry[];
  /** serial hex -> entries (several when an indirect CRL lists equal serials of different issuers). */
  bySerial: Map<string, RevokedEntry[]>;
  extensions: Extension[];
  crlNumber?: bigint;
  /** deltaCRLIndicator: the BaseCRLNumber; present only on delta CRLs. */
  deltaBase?: bigint;
  issuingDistributionPoint?: IssuingDistributionPoint;
  authorityKeyIdentifier?: AuthorityKeyIdentifier;
  freshestCrl?: DistributionPoint[];
  /** OIDs of critical CRL extensions not understood: such a CRL must not be used. */
  unknownCriticalExtensions: string[];
  /** RFC 5280 violations that make the CRL unusable (a v2 CRL without CRL number, a critical CRL number). */
  defects: string[];
  /** True when some entry carries an unknown critical extension (the CRL cannot be relied on). */
  hasUnknownCriticalEntryExtension: boolean;
  tbs: Uint8Array;
  signature: Uint8Array;
  /** Human-readable signature algorithm. */
  signatureAlgorithmName: string;
}

const KNOWN_CRL_EXTS = new Set<string>([
  OID.crlNumber,
  OID.deltaCrlIndicator,
  OID.issuingDistributionPoint,
  OID.authorityKeyIdentifier,
  OID.freshestCrl,
  OID.issuerAltName,
  OID.authorityInfoAccess,
]);

const KNOWN_ENTRY_EXTS = new Set<string>([OID.crlReason, OID.invalidityDate, OID.certificateIssuer]);

/** Upper-case hex of an INTEGER's content octets in minimal two's complement form. */
export function serialKey(v: Uint8Array): string {
  let i = 0;
  while (i < v.length - 1 && ((v[i] === 0 && !(v[i + 1] & 0x80)) || (v[i] === 0xff && v[i + 1] & 0x80))) i++;
  return hexUpper(v.subarray(i));
}

/** Most CRLs are small; a hostile one should not exhaust memory. */
export const CRL_LIMITS = { maxBytes: 64 * 1024 * 1024, maxEntries: 5_000_000 };

/**
 * Parses a DER CRL. `source` (a file name or URL) goes into errors and the result.
 * Throws MalformedInputError (with the byte offset) on anything that is not a well-formed CRL.
 */
export function parseCrl(der: Uint8Array, source?: string): Crl {
  try {
    return parse(der, source);
  } catch (e) {
    if (e instanceof DerError) {
      throw new MalformedInputError(`not a valid CRL: ${e.message.replace(/ at byte \d+$/, "")}`, {
        offset: e.offset,
        file: source,
        cause: e,
      });
    }
    if (e instanceof MalformedInputError && source) throw e.withFile(source);
    throw e;
  }
}

function inner(ext: Extension): DerElement {
  return parseOne(ext.value, "extension value", ext.offset);
}

function parseIdp(ext: Extension): IssuingDistributionPoint {
  const el = inner(ext);
  if (el.tag !== TAG.SEQUENCE) throw new DerError("issuingDistributionPoint is not a SEQUENCE", el.offset);
  const r = DerReader.of(el);
  const out: IssuingDistributionPoint = {
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
    der: ext.value,
  };
  const dp = r.optional(0xa0);
  if (dp) {
    try {
      Object.assign(out, parseDistributionPointName(dp));
    } catch (e) {
      if (e instanceof DerError) throw e;
      throw new DerError("bad distributionPoint in issuingDistributionPoint", dp.offset);
    }
  }
  const flag = (tag: number): boolean => {
    const f = r.optional(tag);
    if (!f) return false;
    if (f.value.length !== 1) throw new DerError("bad BOOLEAN in issuingDistributionPoint", f.offset);
    return f.value[0] !== 0;
  };
  out.onlyContainsUserCerts = flag(0x81);
  out.onlyContainsCACerts = flag(0x82);
  const reasons = r.optional(0x83);
  if (reasons) out.onlySomeReasons = bitStringBits(retag(reasons, TAG.BIT_STRING));
  out.indirectCRL = flag(0x84);
  out.onlyContainsAttributeCerts = flag(0x85);
  r.end("issuingDistributionPoint");
  return out;
}

/**
 * The revokedCertificates list, scanned by hand: CRLs can hold hundreds of thousands of entries, and a
 * general reader allocating an object and two views per element spends most of its time collecting
 * garbage. Same rules as the reader (strict lengths, offsets in errors). Returns whether some entry has
 * an unknown critical extension.
 */
function scanRevoked(
  list: DerElement,
  revoked: RevokedEntry[],
  bySerial: Map<string, RevokedEntry[]>,
): boolean {
  const buf = list.value;
  const base = list.offset + list.headerLength;
  const B = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let unknownCrit = false;
  let currentIssuer: GeneralName[] | undefined;
  // header(): reads the TLV header at `at` (within `limit`) into hTag / hStart / hEnd.
  let hTag = 0;
  let hStart = 0;
  let hEnd = 0;
  const header = (at: number, limit: number, want: number, what: string): void => {
    if (at >= limit) throw new DerError(`expected ${what}, found end of data`, base + at);
    hTag = buf[at];
    if (want >= 0 && hTag !== want)
      throw new DerError(
        `expected ${what} (tag 0x${want.toString(16)}), found tag 0x${hTag.toString(16)}`,
        base + at,
      );
    let q = at + 1;
    if (q >= limit) throw new DerError("truncated length", base + q);
    let len = buf[q++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new DerError("indefinite length is not DER", base + at);
      if (n > 4 || q + n > limit) throw new DerError("bad length", base + q);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[q++];
    }
    if (q + len > limit)
      throw new DerError(`element needs ${len} bytes but only ${limit - q} remain`, base + at);
    hStart = q;
    hEnd = q + len;
  };
  const element = (tag: number, start: number, end: number, at: number): DerElement => ({
    tag,
    offset: base + at,
    headerLength: start - at,
    value: buf.subarray(start, end),
    raw: buf.subarray(at, end),
  });
  let p = 0;
  while (p < buf.length) {
    if (revoked.length >= CRL_LIMITS.maxEntries) throw new DerError("too many CRL entries", base + p);
    const entryAt = p;
    header(p, buf.length, TAG.SEQUENCE, "revokedCertificate");
    const entryEnd = hEnd;
    header(hStart, entryEnd, TAG.INTEGER, "userCertificate");
    if (hEnd === hStart) throw new DerError("empty INTEGER", base + hStart - 2);
    // Minimal two's complement, as serialKey().
    let s0 = hStart;
    while (
      s0 < hEnd - 1 &&
      ((buf[s0] === 0 && !(buf[s0 + 1] & 0x80)) || (buf[s0] === 0xff && buf[s0 + 1] & 0x80))
    )
      s0++;
    const serial = B.toString("hex", s0, hEnd).toUpperCase();
    const timeAt = hEnd;
    header(timeAt, entryEnd, -1, "revocationDate");
    const revocationDate = decodeTime(element(hTag, hStart, hEnd, timeAt));
    const entry: RevokedEntry = { serial, revocationDate, unknownCritical: [], offset: base + entryAt };
    let q = hEnd;
    if (q < entryEnd) {
      header(q, entryEnd, TAG.SEQUENCE, "crlEntryExtensions");
      const extsEnd = hEnd;
      if (hEnd !== entryEnd) throw new DerError("unexpected data after revokedCertificate", base + hEnd);
      q = hStart;
      let seen = 0;
      while (q < extsEnd) {
        header(q, extsEnd, TAG.SEQUENCE, "Extension");
        const extEnd = hEnd;
        const oidAt = hStart;
        header(oidAt, extEnd, TAG.OID, "extnID");
        const oidStart = hStart;
        const oidEnd = hEnd;
        let r = hEnd;
        let critical = false;
        if (r < extEnd && buf[r] === TAG.BOOLEAN) {
          header(r, extEnd, TAG.BOOLEAN, "critical");
          if (hEnd - hStart !== 1) throw new DerError("expected BOOLEAN", base + r);
          critical = buf[hStart] !== 0;
          r = hEnd;
        }
        const valAt = r;
        header(valAt, extEnd, TAG.OCTET_STRING, "extnValue");
        if (hEnd !== extEnd) throw new DerError("unexpected data after Extension", base + hEnd);
        const vStart = hStart;
        const vEnd = hEnd;
        // id-ce 55 1D xx: reasonCode 21, invalidityDate 24, certificateIssuer 29.
        const idCe =
          oidEnd - oidStart === 3 && buf[oidStart] === 0x55 && buf[oidStart + 1] === 0x1d
            ? buf[oidStart + 2]
            : -1;
        if (idCe === 21 || idCe === 24 || idCe === 29) {
          const bit = 1 << (idCe - 21);
          if (seen & bit) throw new DerError(`extension 2.5.29.${idCe} appears twice`, base + valAt);
          seen |= bit;
          header(vStart, vEnd, -1, "extension value");
          if (hEnd !== vEnd) throw new DerError("unexpected data after extension value", base + hEnd);
          const inner = element(hTag, hStart, hEnd, vStart);
          if (idCe === 21) {
            if (hTag !== TAG.ENUMERATED) throw new DerError("reasonCode is not ENUMERATED", base + vStart);
            entry.reason = decodeSmallInt(inner);
          } else if (idCe === 24) entry.invalidityDate = decodeTime(inner);
          else {
            try {
              currentIssuer = parseGeneralNames(inner);
            } catch (err) {
              if (err instanceof DerError) throw err;
              throw new DerError("bad certificateIssuer entry extension", base + vStart);
            }
          }
        } else if (critical) {
          entry.unknownCritical.push(decodeOidEl(element(TAG.OID, oidStart, oidEnd, oidAt)));
          unknownCrit = true;
        }
        q = extEnd;
      }
    } else if (q !== entryEnd) throw new DerError("unexpected data after revokedCertificate", base + q);
    if (currentIssuer) entry.certificateIssuer = currentIssuer;
    revoked.push(entry);
    const same = bySerial.get(serial);
    if (same) same.push(entry);
    else bySerial.set(serial, [entry]);
    p = entryEnd;
  }
  return unknownCrit;
}

function crlNumberOf(ext: Extension): bigint {
  const el = inner(ext);
  if (el.tag !== TAG.INTEGER) throw new DerError("CRL number is not an INTEGER", el.offset);
  if (el.value.length > 20) throw new DerError("CRL number longer than 20 octets", el.offset);
  return decodeBigInt(el.value);
}

function parse(der: Uint8Array, source?: string): Crl {
  if (der.length > CRL_LIMITS.maxBytes)
    throw new MalformedInputError(`CRL larger than ${CRL_LIMITS.maxBytes} bytes`, { file: source });
  const outer = new DerReader(der);
  const crlEl = outer.expect(TAG.SEQUENCE, "CertificateList");
  outer.end("CertificateList");
  const c = DerReader.of(crlEl);
  const tbsEl = c.expect(TAG.SEQUENCE, "TBSCertList");
  const signatureAlgorithm = readAlgorithmIdentifier(c, "signatureAlgorithm");
  const signature = decodeBitString(c.expect(TAG.BIT_STRING, "signatureValue")).bytes;
  c.end("CertificateList");

  const t = DerReader.of(tbsEl);
  let version = 1;
  const v = t.optional(TAG.INTEGER);
  if (v) {
    const n = decodeSmallInt(v);
    if (n !== 1) throw new DerError(`unsupported CRL version ${n + 1}`, v.offset);
    version = 2;
  }
  const tbsSignatureAlgorithm = readAlgorithmIdentifier(t, "signature");
  const issuer = new Name(t.expect(TAG.SEQUENCE, "issuer"));
  const thisUpdate = decodeTime(t.read());
  let nextUpdate: number | undefined;
  if (t.peekTag() === TAG.UTCTime || t.peekTag() === TAG.GeneralizedTime) nextUpdate = decodeTime(t.read());

  const revoked: RevokedEntry[] = [];
  const bySerial = new Map<string, RevokedEntry[]>();
  let hasUnknownCriticalEntryExtension = false;
  const list = t.optional(TAG.SEQUENCE);
  if (list) hasUnknownCriticalEntryExtension = scanRevoked(list, revoked, bySerial);

  let extensions: Extension[] = [];
  const extsEl = t.optional(0xa0);
  if (extsEl) {
    const w = DerReader.of(extsEl);
    extensions = readExtensions(w.expect(TAG.SEQUENCE, "crlExtensions"));
    w.end("crlExtensions");
  }
  t.end("TBSCertList");

  const out: Crl = {
    der,
    version,
    signatureAlgorithm,
    tbsSignatureAlgorithm,
    issuer,
    thisUpdate,
    revoked,
    bySerial,
    extensions,
    unknownCriticalExtensions: [],
    defects: [],
    hasUnknownCriticalEntryExtension,
    tbs: tbsEl.raw,
    signature,
    signatureAlgorithmName: signatureAlgorithmName(signatureAlgorithm),
  };
  if (source !== undefined) out.source = source;
  if (nextUpdate !== undefined) out.nextUpdate = nextUpdate;
  for (const x of extensions) {
    try {
      switch (x.oid) {
        case OID.crlNumber:
          out.crlNumber = crlNumberOf(x);
          if (x.critical) out.defects.push("its CRL number extension is marked critical (RFC 5280 5.2.3)");
          break;
        case OID.deltaCrlIndicator:
          out.deltaBase = crlNumberOf(x);
          break;
        case OID.issuingDistributionPoint:
          out.issuingDistributionPoint = parseIdp(x);
          break;
        case OID.authorityKeyIdentifier:
          out.authorityKeyIdentifier = parseAuthorityKeyIdentifier(x);
          break;
        case OID.freshestCrl:
          out.freshestCrl = parseCrlDistributionPoints(x);
          break;
        default:
          if (x.critical && !KNOWN_CRL_EXTS.has(x.oid)) out.unknownCriticalExtensions.push(x.oid);
      }
    } catch (err) {
      if (err instanceof DerError) throw err;
      throw new DerError(`bad ${x.oid} CRL extension: ${(err as Error).message}`, x.offset);
    }
  }
  if (version === 2 && out.crlNumber === undefined) out.defects.push("it has no CRL number (RFC 5280 5.2.3)");
  return out;
}

/** The entries for a serial (raw INTEGER content octets or hex), or an empty array. */
export function lookupSerial(crl: Crl, serial: Uint8Array | string): RevokedEntry[] {
  const key = typeof serial === "string" ? serial.toUpperCase() : serialKey(serial);
  return crl.bySerial.get(key) ?? [];
}

/** Accepts DER or PEM ("X509 CRL"); returns the CRLs found. */
export function readCrls(bytes: Uint8Array, source?: string): Crl[] {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString(
    "latin1",
  );
  if (head.includes("-----BEGIN")) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: Crl[] = [];
    for (const b of pemBlocks(buf, "X509 CRL")) {
      const body = buf.toString("latin1", b.bodyStart, b.bodyEnd);
      const der = new Uint8Array(Buffer.from(body.replace(/\s+/g, ""), "base64"));
      out.push(parseCrl(der, source));
    }
    if (out.length === 0) throw new MalformedInputError("no 'X509 CRL' PEM block found", { file: source });
    return out;
  }
  return [parseCrl(bytes, source)];
}

/** True when the bytes look like a CRL (DER CertificateList or PEM "X509 CRL"), without throwing. */
export function looksLikeCrl(bytes: Uint8Array): boolean {
  try {
    readCrls(bytes);
    return true;
  } catch {
    return false;
  }
}

export { KNOWN_ENTRY_EXTS };
