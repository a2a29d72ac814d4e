/** Typed parsers for the X.509 extensions the project understands (RFC 5280 4.2). */

import { hexUpper } from "../lib/bytes.js";
import {
  bitStringBits,
  type DerElement,
  DerError,
  DerReader,
  decodeBoolean,
  decodeOidEl,
  decodeSmallInt,
  parseOne,
  retag,
  TAG,
} from "../lib/der.js";
import { type GeneralName, parseGeneralName, parseGeneralNames } from "./general-name.js";
import type { Name } from "./name.js";

export interface Extension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING contents (the DER of the extension's own structure). */
  value: Uint8Array;
  /** Absolute offset of value in the certificate, for error messages. */
  offset: number;
}

/**
 * Extensions ::= SEQUENCE OF Extension (certificates, CRLs and CRL entries alike), given the SEQUENCE
 * element. An extension that appears twice is malformed (RFC 5280 4.2).
 */
export function readExtensions(seqEl: DerElement): Extension[] {
  if (seqEl.tag !== TAG.SEQUENCE) throw new DerError("Extensions is not a SEQUENCE", seqEl.offset);
  const seq = DerReader.of(seqEl);
  const out: Extension[] = [];
  const seen = new Set<string>();
  while (!seq.done) {
    const e = seq.sequence("Extension");
    const oid = decodeOidEl(e.read());
    const b = e.optional(TAG.BOOLEAN);
    const critical = b ? decodeBoolean(b) : false;
    const val = e.expect(TAG.OCTET_STRING, "extnValue");
    e.end("Extension");
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`, val.offset);
    seen.add(oid);
    out.push({ oid, critical, value: val.value, offset: val.offset + val.headerLength });
  }
  return out;
}

export interface BasicConstraints {
  ca: boolean;
  pathLen?: number;
}

/** Key usage bit numbers. */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export const KU_NAMES = Object.keys(KU) as (keyof typeof KU)[];

export interface AuthorityKeyIdentifier {
  keyId?: string;
  issuer?: GeneralName[];
  serial?: string;
}

export interface PolicyInformation {
  oid: string;
  /** Qualifiers, kept raw. */
  qualifiers?: Uint8Array;
}

export interface PolicyConstraints {
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
}

export interface GeneralSubtree {
  base: GeneralName;
  minimum: number;
  maximum?: number;
}

export interface NameConstraints {
  permitted?: GeneralSubtree[];
  excluded?: GeneralSubtree[];
}

export interface DistributionPoint {
  /** fullName, if given. */
  fullName?: GeneralName[];
  /** nameRelativeToCRLIssuer as a raw RDN SET (rare). */
  relativeName?: Uint8Array;
  /** Reason flags bits (RFC 5280 ReasonFlags), if present. */
  reasons?: number[];
  crlIssuer?: GeneralName[];
}

export interface AccessDescription {
  method: string;
  location: GeneralName;
}

function inner(ext: Extension): DerElement {
  return parseOne(ext.value, "extension value", ext.offset);
}

/**
 * An INTEGER (0..MAX) (pathLenConstraint, SkipCerts): a value too large for a number is as good as no
 * limit; a negative one is malformed.
 */
function zeroToMax(el: DerElement, what: string): number {
  if (el.value.length > 0 && el.value[0] & 0x80) throw new DerError(`negative ${what}`, el.offset);
  return el.value.length > 6 ? Number.MAX_SAFE_INTEGER : decodeSmallInt(el);
}

export function parseBasicConstraints(ext: Extension): BasicConstraints {
  const r = DerReader.of(inner(ext));
  let ca = false;
  let pathLen: number | undefined;
  const b = r.optional(TAG.BOOLEAN);
  if (b) ca = decodeBoolean(b);
  const i = r.optional(TAG.INTEGER);
  if (i) pathLen = zeroToMax(i, "pathLenConstraint");
  r.end("basicConstraints");
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

export function parseKeyUsage(ext: Extension): number[] {
  return bitStringBits(inner(ext));
}

export function parseOidSequence(ext: Extension): string[] {
  const r = DerReader.of(inner(ext));
  const out: string[] = [];
  while (!r.done) out.push(decodeOidEl(r.read()));
  return out;
}

export function parseSubjectKeyIdentifier(ext: Extension): string {
  const el = inner(ext);
  if (el.tag !== TAG.OCTET_STRING) throw new Error("subjectKeyIdentifier is not an OCTET STRING");
  return hexUpper(el.value);
}

export function parseAuthorityKeyIdentifier(ext: Extension): AuthorityKeyIdentifier {
  const r = DerReader.of(inner(ext));
  const out: AuthorityKeyIdentifier = {};
  const k = r.optional(0x80);
  if (k) out.keyId = hexUpper(k.value);
  const i = r.optional(0xa1);
  if (i) out.issuer = parseGeneralNames(i);
  const s = r.optional(0x82);
  if (s) out.serial = hexUpper(s.value);
  return out;
}

export function parseGeneralNamesExt(ext: Extension): GeneralName[] {
  return parseGeneralNames(inner(ext));
}

export function parseCertificatePolicies(ext: Extension): PolicyInformation[] {
  const r = DerReader.of(inner(ext));
  const out: PolicyInformation[] = [];
  while (!r.done) {
    const pi = r.sequence("PolicyInformation");
    const oid = decodeOidEl(pi.read());
    const q = pi.optional(TAG.SEQUENCE);
    out.push(q ? { oid, qualifiers: q.raw } : { oid });
  }
  return out;
}

export interface PolicyMapping {
  issuerDomainPolicy: string;
  subjectDomainPolicy: string;
}

export function parsePolicyMappings(ext: Extension): PolicyMapping[] {
  const r = DerReader.of(inner(ext));
  const out: PolicyMapping[] = [];
  while (!r.done) {
    const m = r.sequence("PolicyMapping");
    out.push({ issuerDomainPolicy: decodeOidEl(m.read()), subjectDomainPolicy: decodeOidEl(m.read()) });
  }
  return out;
}

export function parsePolicyConstraints(ext: Extension): PolicyConstraints {
  const r = DerReader.of(inner(ext));
  const out: PolicyConstraints = {};
  const a = r.optional(0x80);
  if (a) out.requireExplicitPolicy = zeroToMax(retag(a, TAG.INTEGER), "requireExplicitPolicy");
  const b = r.optional(0x81);
  if (b) out.inhibitPolicyMapping = zeroToMax(retag(b, TAG.INTEGER), "inhibitPolicyMapping");
  return out;
}

export function parseInhibitAnyPolicy(ext: Extension): number {
  return zeroToMax(inner(ext), "inhibitAnyPolicy");
}

function parseSubtrees(el: DerElement): GeneralSubtree[] {
  const r = DerReader.of(el);
  const out: GeneralSubtree[] = [];
  while (!r.done) {
    const st = r.sequence("GeneralSubtree");
    const base = parseGeneralName(st.read());
    let minimum = 0;
    let maximum: number | undefined;
    const mn = st.optional(0x80);
    if (mn) minimum = decodeSmallInt(retag(mn, TAG.INTEGER));
    const mx = st.optional(0x81);
    if (mx) maximum = decodeSmallInt(retag(mx, TAG.INTEGER));
    out.push(maximum === undefined ? { base, minimum } : { base, minimum, maximum });
  }
  return out;
}

export function parseNameConstraints(ext: Extension): NameConstraints {
  const r = DerReader.of(inner(ext));
  const out: NameConstraints = {};
  const p = r.optional(0xa0);
  if (p) out.permitted = parseSubtrees(p);
  const e = r.optional(0xa1);
  if (e) out.excluded = parseSubtrees(e);
  return out;
}

/** DistributionPointName, shared by CRLDistributionPoints and IssuingDistributionPoint. */
export function parseDistributionPointName(
  el: DerElement,
): Pick<DistributionPoint, "fullName" | "relativeName"> {
  const r = DerReader.of(el);
  const x = r.read();
  if (x.tag === 0xa0) return { fullName: parseGeneralNames(x) };
  if (x.tag === 0xa1) return { relativeName: x.raw };
  throw new Error("bad DistributionPointName");
}

export function parseCrlDistributionPoints(ext: Extension): DistributionPoint[] {
  const r = DerReader.of(inner(ext));
  const out: DistributionPoint[] = [];
  while (!r.done) {
    const dp = r.sequence("DistributionPoint");
    const point: DistributionPoint = {};
    const name = dp.optional(0xa0);
    if (name) Object.assign(point, parseDistributionPointName(name));
    const reasons = dp.optional(0x81);
    if (reasons) point.reasons = bitStringBits(retag(reasons, TAG.BIT_STRING));
    const issuer = dp.optional(0xa2);
    if (issuer) point.crlIssuer = parseGeneralNames(issuer);
    out.push(point);
  }
  return out;
}

export function parseAccessDescriptions(ext: Extension): AccessDescription[] {
  const r = DerReader.of(inner(ext));
  const out: AccessDescription[] = [];
  while (!r.done) {
    const ad = r.sequence("AccessDescription");
    out.push({ method: decodeOidEl(ad.read()), location: parseGeneralName(ad.read()) });
  }
  return out;
}

/** Directory name as Name, for AKI issuer and friends. */
export function directoryNames(names: GeneralName[] | undefined): Name[] {
  return (names ?? []).flatMap((g) => (g.type === "dn" ? [g.value] : []));
}
