/**
 * A test-only certificate factory: real X.509 certificates (and CRLs) signed with node:crypto, with
 * exact control over dates, keys and extensions. Tests use it to build trust lists and chains; openssl
 * cross-checks what it makes in the tests that need an independent opinion.
 */
import { constants, createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { DerReader, encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { Certificate } from "../../src/x509/certificate.js";

export type KeySpec =
  /** RSA; `pss` signs with RSASSA-PSS (SHA-256 family, MGF1 with the same hash, salt = hash length). */
  | { type: "rsa"; bits?: number; pss?: boolean }
  | { type: "ec"; curve?: "P-256" | "P-384" | "P-521" }
  | { type: "ed25519" }
  | { type: "ed448" }
  /** An id-RSASSA-PSS key (it signs with PSS only). */
  | { type: "rsa-pss"; bits?: number }
  /** DSA, 2048-bit p, 256-bit q. */
  | { type: "dsa" };

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Uint8Array;
  spec: KeySpec;
}

const keyCache = new Map<string, KeyPair>();

/** A key pair; `reuse` names a cached key so suites do not pay for RSA generation again. */
export function makeKey(spec: KeySpec = { type: "ec" }, reuse?: string): KeyPair {
  const cacheKey = reuse ? `${reuse}:${JSON.stringify(spec)}` : undefined;
  if (cacheKey && keyCache.has(cacheKey)) return keyCache.get(cacheKey)!;
  let kp: { privateKey: KeyObject; publicKey: KeyObject };
  if (spec.type === "rsa") kp = generateKeyPairSync("rsa", { modulusLength: spec.bits ?? 2048 });
  else if (spec.type === "ec") kp = generateKeyPairSync("ec", { namedCurve: spec.curve ?? "P-256" });
  else if (spec.type === "ed448") kp = generateKeyPairSync("ed448");
  else if (spec.type === "rsa-pss") kp = generateKeyPairSync("rsa-pss", { modulusLength: spec.bits ?? 2048 });
  else if (spec.type === "dsa") kp = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 });
  else kp = generateKeyPairSync("ed25519");
  const out = { ...kp, spki: new Uint8Array(kp.publicKey.export({ type: "spki", format: "der" })), spec };
  if (cacheKey) keyCache.set(cacheKey, out);
  return out;
}

export type NameSpec = string | [string, string][];

/** "CN=Foo,O=Bar,C=GB" (most specific first, as people write it) or explicit [type, value] pairs. */
export function encodeName(spec: NameSpec): Uint8Array {
  const LABELS: Record<string, string> = {
    CN: OID.commonName,
    O: OID.organizationName,
    OU: OID.organizationalUnitName,
    C: OID.countryName,
    L: OID.localityName,
    ST: OID.stateOrProvinceName,
    E: OID.emailAddress,
    DC: OID.domainComponent,
    SERIALNUMBER: OID.serialNumber,
  };
  const pairs: [string, string][] =
    typeof spec === "string"
      ? spec
          .split(/,(?=\s*[A-Za-z]+=)/)
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => {
            const i = p.indexOf("=");
            return [p.slice(0, i).toUpperCase(), p.slice(i + 1)] as [string, string];
          })
          .reverse()
      : spec;
  const rdns = pairs.map(([t, v]) => {
    const oid = LABELS[t] ?? t;
    const str =
      oid === OID.countryName
        ? tlv(TAG.PrintableString, Buffer.from(v))
        : oid === OID.emailAddress || oid === OID.domainComponent
          ? tlv(TAG.IA5String, Buffer.from(v))
          : tlv(TAG.UTF8String, Buffer.from(v, "utf8"));
    return tlv(TAG.SET, tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(oid)), str));
  });
  return tlv(TAG.SEQUENCE, ...rdns);
}

function time(ms: number): Uint8Array {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const p = (n: number) => String(n).padStart(2, "0");
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTCTime, Buffer.from(`${p(y % 100)}${body}`));
  return tlv(TAG.GeneralizedTime, Buffer.from(`${y}${body}`));
}

export type Hash = "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | "md5";

const HASH_OID: Record<string, string> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};
const HASH_LEN: Record<string, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

function usesPss(key: KeyPair): boolean {
  return key.spec.type === "rsa-pss" || (key.spec.type === "rsa" && key.spec.pss === true);
}

/** RSASSA-PSS-params with every field explicit (hash, MGF1 with the same hash, salt length). */
function pssAlg(hash: Hash): Uint8Array {
  const h = tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(HASH_OID[hash])), tlv(TAG.NULL));
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.OID, encodeOid(OID.rsaPss)),
    tlv(
      TAG.SEQUENCE,
      tlv(0xa0, h),
      tlv(0xa1, tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.mgf1)), h)),
      tlv(0xa2, tlv(TAG.INTEGER, Uint8Array.of(HASH_LEN[hash]))),
    ),
  );
}

function sigAlg(key: KeyPair, hash: Hash): Uint8Array {
  if (key.spec.type === "ed25519") return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.ed25519)));
  if (key.spec.type === "ed448") return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.ed448)));
  if (usesPss(key)) return pssAlg(hash);
  if (key.spec.type === "dsa") {
    const oid = { sha1: OID.dsaWithSHA1, sha224: OID.dsaWithSHA224, sha256: OID.dsaWithSHA256 }[
      hash as "sha1" | "sha224" | "sha256"
    ];
    return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(oid)));
  }
  if (key.spec.type === "rsa") {
    const oid = {
      md5: OID.md5WithRSA,
      sha1: OID.sha1WithRSA,
      sha224: OID.sha224WithRSA,
      sha256: OID.sha256WithRSA,
      sha384: OID.sha384WithRSA,
      sha512: OID.sha512WithRSA,
    }[hash];
    return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(oid)), tlv(TAG.NULL));
  }
  const oid = {
    md5: "",
    sha1: OID.ecdsaWithSHA1,
    sha224: OID.ecdsaWithSHA224,
    sha256: OID.ecdsaWithSHA256,
    sha384: OID.ecdsaWithSHA384,
    sha512: OID.ecdsaWithSHA512,
  }[hash];
  return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(oid)));
}

export function signWith(key: KeyPair, hash: Hash, data: Uint8Array): Uint8Array {
  if (key.spec.type === "ed25519" || key.spec.type === "ed448") return sign(null, data, key.privateKey);
  if (usesPss(key))
    return sign(hash, data, {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: HASH_LEN[hash],
    });
  return sign(hash, data, key.privateKey);
}

/** A DSA key's SubjectPublicKeyInfo without its domain parameters (they are inherited from the issuer). */
export function dsaSpkiWithoutParams(key: KeyPair): Uint8Array {
  const r = new DerReader(key.spki).sequence("SubjectPublicKeyInfo");
  r.read(); // AlgorithmIdentifier with the parameters
  const bits = r.read();
  return tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.dsa))), bits.raw);
}

export interface ExtensionSpec {
  oid: string;
  critical?: boolean;
  value: Uint8Array;
}

export const ext = {
  basicConstraints(ca: boolean, pathLen?: number, critical = true): ExtensionSpec {
    const parts: Uint8Array[] = [];
    if (ca) parts.push(tlv(TAG.BOOLEAN, Uint8Array.of(0xff)));
    if (pathLen !== undefined) parts.push(tlv(TAG.INTEGER, Uint8Array.of(pathLen)));
    return { oid: OID.basicConstraints, critical, value: tlv(TAG.SEQUENCE, ...parts) };
  },
  /** Key usage bit numbers (see KU in src/x509/extensions.ts). */
  keyUsage(bits: number[], critical = true): ExtensionSpec {
    const max = Math.max(...bits, 0);
    const bytes = new Uint8Array(Math.floor(max / 8) + 1);
    for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
    let unused = 7 - (max % 8);
    if (bits.length === 0) unused = 0;
    return { oid: OID.keyUsage, critical, value: tlv(TAG.BIT_STRING, Uint8Array.of(unused), bytes) };
  },
  extKeyUsage(oids: string[], critical = false): ExtensionSpec {
    return {
      oid: OID.extKeyUsage,
      critical,
      value: tlv(TAG.SEQUENCE, ...oids.map((o) => tlv(TAG.OID, encodeOid(o)))),
    };
  },
  subjectKeyIdentifier(id: Uint8Array): ExtensionSpec {
    return { oid: OID.subjectKeyIdentifier, value: tlv(TAG.OCTET_STRING, id) };
  },
  authorityKeyIdentifier(id: Uint8Array): ExtensionSpec {
    return { oid: OID.authorityKeyIdentifier, value: tlv(TAG.SEQUENCE, tlv(0x80, id)) };
  },
  emails(addresses: string[]): ExtensionSpec {
    return {
      oid: OID.subjectAltName,
      value: tlv(TAG.SEQUENCE, ...addresses.map((a) => tlv(0x81, Buffer.from(a)))),
    };
  },
  crlDistributionPoint(url: string): ExtensionSpec {
    return {
      oid: OID.crlDistributionPoints,
      value: tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from(url)))))),
    };
  },
  aia(opts: { caIssuers?: string; ocsp?: string }): ExtensionSpec {
    const ads: Uint8Array[] = [];
    if (opts.ocsp)
      ads.push(tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.adOcsp)), tlv(0x86, Buffer.from(opts.ocsp))));
    if (opts.caIssuers)
      ads.push(
        tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.adCaIssuers)), tlv(0x86, Buffer.from(opts.caIssuers))),
      );
    return { oid: OID.authorityInfoAccess, value: tlv(TAG.SEQUENCE, ...ads) };
  },
  certificatePolicies(oids: string[]): ExtensionSpec {
    return {
      oid: OID.certificatePolicies,
      value: tlv(TAG.SEQUENCE, ...oids.map((o) => tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(o))))),
    };
  },
};

const DAY = 86_400_000;

export interface CertSpec {
  subject: NameSpec;
  /** The issuer; omit for self-signed. */
  issuer?: Issued;
  key?: KeyPair;
  hash?: Hash;
  notBefore?: number;
  notAfter?: number;
  /** Days of validity from now, when notAfter is not given (negative: already expired). */
  days?: number;
  serial?: Uint8Array;
  ca?: boolean;
  pathLen?: number;
  /** Leave basicConstraints out entirely. */
  noBasicConstraints?: boolean;
  keyUsage?: number[] | null;
  eku?: string[];
  emails?: string[];
  /** Extra extensions, added after the defaults. */
  extensions?: ExtensionSpec[];
  /** Skip SKI/AKI. */
  noKeyIds?: boolean;
  /** Override the SKI bytes. */
  ski?: Uint8Array;
  /** Reference time for `days` (default Date.now()). */
  now?: number;
  /** The SubjectPublicKeyInfo to write instead of the key's own (e.g. DSA without parameters). */
  spki?: Uint8Array;
}

export interface Issued {
  cert: Certificate;
  der: Uint8Array;
  key: KeyPair;
  pem: string;
  ski: Uint8Array;
}

/** Issues a certificate (self-signed when no issuer is given). */
export function issue(spec: CertSpec): Issued {
  const key = spec.key ?? makeKey({ type: "ec" });
  const now = spec.now ?? Date.now();
  const notBefore = spec.notBefore ?? now - DAY;
  const notAfter = spec.notAfter ?? now + (spec.days ?? 365) * DAY;
  const hash = spec.hash ?? "sha256";
  const signer = spec.issuer?.key ?? key;
  const ski = spec.ski ?? createHash("sha1").update(key.spki).digest();
  const ca = spec.ca ?? false;
  const exts: ExtensionSpec[] = [];
  if (!spec.noBasicConstraints) exts.push(ext.basicConstraints(ca, spec.pathLen));
  const ku = spec.keyUsage === undefined ? (ca ? [5, 6] : [0, 1]) : spec.keyUsage;
  if (ku) exts.push(ext.keyUsage(ku));
  if (spec.eku) exts.push(ext.extKeyUsage(spec.eku));
  if (spec.emails) exts.push(ext.emails(spec.emails));
  if (!spec.noKeyIds) {
    exts.push(ext.subjectKeyIdentifier(ski));
    exts.push(ext.authorityKeyIdentifier(spec.issuer ? spec.issuer.ski : ski));
  }
  exts.push(...(spec.extensions ?? []));
  const subject = encodeName(spec.subject);
  const issuerName = spec.issuer ? spec.issuer.cert.subject.der : subject;
  let serial = spec.serial ?? randomBytes(12);
  // A random first octet of 0 would make the INTEGER non-minimal DER (which openssl refuses): avoid it.
  if (!spec.serial && serial[0] === 0) serial[0] = 1;
  if (serial[0] & 0x80) serial = Uint8Array.from([0, ...serial]);
  const alg = sigAlg(signer, hash);
  const tbs = tlv(
    TAG.SEQUENCE,
    tlv(0xa0, tlv(TAG.INTEGER, Uint8Array.of(2))),
    tlv(TAG.INTEGER, serial),
    alg,
    issuerName,
    tlv(TAG.SEQUENCE, time(notBefore), time(notAfter)),
    subject,
    spec.spki ?? key.spki,
    tlv(
      0xa3,
      tlv(
        TAG.SEQUENCE,
        ...exts.map((e) =>
          tlv(
            TAG.SEQUENCE,
            tlv(TAG.OID, encodeOid(e.oid)),
            ...(e.critical ? [tlv(TAG.BOOLEAN, Uint8Array.of(0xff))] : []),
            tlv(TAG.OCTET_STRING, e.value),
          ),
        ),
      ),
    ),
  );
  const sig = signWith(signer, hash, tbs);
  const der = tlv(TAG.SEQUENCE, tbs, alg, tlv(TAG.BIT_STRING, Uint8Array.of(0), sig));
  const cert = new Certificate(der);
  return { cert, der, key, pem: cert.toPem(), ski };
}

/** A root CA (self-signed, cA, keyCertSign|cRLSign). */
export function root(name: string, opts: Partial<CertSpec> = {}): Issued {
  return issue({ subject: name, ca: true, days: 3650, ...opts });
}

/** An intermediate CA under `issuer`. */
export function intermediate(name: string, issuer: Issued, opts: Partial<CertSpec> = {}): Issued {
  return issue({ subject: name, issuer, ca: true, days: 1825, ...opts });
}

/** An S/MIME end-entity certificate under `issuer` for `email`. */
export function leaf(email: string, issuer: Issued, opts: Partial<CertSpec> = {}): Issued {
  return issue({
    subject: `CN=${email.split("@")[0]},E=${email}`,
    issuer,
    emails: [email],
    eku: [OID.emailProtection],
    days: 365,
    ...opts,
  });
}

export interface CrlSpec {
  issuer: Issued;
  revoked?: {
    serial: Uint8Array;
    date?: number;
    reason?: number;
    /** certificateIssuer entry extension (indirect CRLs): the issuer's DER Name. */
    certificateIssuer?: Uint8Array;
    /** Further entry extensions. */
    extensions?: ExtensionSpec[];
  }[];
  thisUpdate?: number;
  /** null: leave nextUpdate out. */
  nextUpdate?: number | null;
  hash?: Hash;
  crlNumber?: number;
  /** Sign with this key instead of the issuer's (a wrong or separate CRL signing key). */
  signKey?: KeyPair;
  /** AKI key identifier override (the CRL signing key's SKI). */
  akiKeyId?: Uint8Array;
  /** deltaCRLIndicator with this BaseCRLNumber: a delta CRL. */
  deltaBase?: number;
  /** issuingDistributionPoint value (DER), see `idp()`. */
  idp?: Uint8Array;
  /** Further CRL extensions. */
  extensions?: ExtensionSpec[];
}

/** IssuingDistributionPoint DER (RFC 5280 5.2.5). */
export function idp(opts: {
  uri?: string;
  /** A directoryName full name (DER Name). */
  dirName?: Uint8Array;
  onlyUser?: boolean;
  onlyCA?: boolean;
  /** ReasonFlags bit numbers. */
  onlySomeReasons?: number[];
  indirect?: boolean;
  onlyAttr?: boolean;
}): Uint8Array {
  const parts: Uint8Array[] = [];
  const names: Uint8Array[] = [];
  if (opts.uri) names.push(tlv(0x86, Buffer.from(opts.uri)));
  if (opts.dirName) names.push(tlv(0xa4, opts.dirName));
  if (names.length) parts.push(tlv(0xa0, tlv(0xa0, ...names)));
  const t = Uint8Array.of(0xff);
  if (opts.onlyUser) parts.push(tlv(0x81, t));
  if (opts.onlyCA) parts.push(tlv(0x82, t));
  if (opts.onlySomeReasons) parts.push(reasonBits(0x83, opts.onlySomeReasons));
  if (opts.indirect) parts.push(tlv(0x84, t));
  if (opts.onlyAttr) parts.push(tlv(0x85, t));
  return tlv(TAG.SEQUENCE, ...parts);
}

function reasonBits(tag: number, bits: number[]): Uint8Array {
  const max = Math.max(...bits, 0);
  const bytes = new Uint8Array(Math.floor(max / 8) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  return tlv(tag, Uint8Array.of(7 - (max % 8)), bytes);
}

/** CRLDistributionPoints with full control: each point with URIs / a directory name, reasons and cRLIssuer (DER Name). */
export function crlDistributionPoints(
  points: { uri?: string; dirName?: Uint8Array; reasons?: number[]; crlIssuer?: Uint8Array }[],
): ExtensionSpec {
  const dps = points.map((p) => {
    const parts: Uint8Array[] = [];
    const names: Uint8Array[] = [];
    if (p.uri) names.push(tlv(0x86, Buffer.from(p.uri)));
    if (p.dirName) names.push(tlv(0xa4, p.dirName));
    if (names.length) parts.push(tlv(0xa0, tlv(0xa0, ...names)));
    if (p.reasons) parts.push(reasonBits(0x81, p.reasons));
    if (p.crlIssuer) parts.push(tlv(0xa2, tlv(0xa4, p.crlIssuer)));
    return tlv(TAG.SEQUENCE, ...parts);
  });
  return { oid: OID.crlDistributionPoints, value: tlv(TAG.SEQUENCE, ...dps) };
}

/** A v2 CRL signed by `issuer`. */
export function crl(spec: CrlSpec): Uint8Array {
  const now = Date.now();
  const signKey = spec.signKey ?? spec.issuer.key;
  const alg = sigAlg(signKey, spec.hash ?? "sha256");
  const extn = (e: ExtensionSpec) =>
    tlv(
      TAG.SEQUENCE,
      tlv(TAG.OID, encodeOid(e.oid)),
      ...(e.critical ? [tlv(TAG.BOOLEAN, Uint8Array.of(0xff))] : []),
      tlv(TAG.OCTET_STRING, e.value),
    );
  const entries = (spec.revoked ?? []).map((r) => {
    const parts = [tlv(TAG.INTEGER, r.serial), time(r.date ?? now - DAY)];
    const exts: ExtensionSpec[] = [];
    if (r.reason !== undefined)
      exts.push({ oid: OID.crlReason, value: tlv(TAG.ENUMERATED, Uint8Array.of(r.reason)) });
    if (r.certificateIssuer)
      exts.push({
        oid: OID.certificateIssuer,
        critical: true,
        value: tlv(TAG.SEQUENCE, tlv(0xa4, r.certificateIssuer)),
      });
    exts.push(...(r.extensions ?? []));
    if (exts.length) parts.push(tlv(TAG.SEQUENCE, ...exts.map(extn)));
    return tlv(TAG.SEQUENCE, ...parts);
  });
  const crlExtList: ExtensionSpec[] = [
    {
      oid: OID.authorityKeyIdentifier,
      value: tlv(TAG.SEQUENCE, tlv(0x80, spec.akiKeyId ?? spec.issuer.ski)),
    },
    { oid: OID.crlNumber, value: tlv(TAG.INTEGER, Uint8Array.of(spec.crlNumber ?? 1)) },
  ];
  if (spec.deltaBase !== undefined)
    crlExtList.push({
      oid: OID.deltaCrlIndicator,
      critical: true,
      value: tlv(TAG.INTEGER, Uint8Array.of(spec.deltaBase)),
    });
  if (spec.idp) crlExtList.push({ oid: OID.issuingDistributionPoint, critical: true, value: spec.idp });
  crlExtList.push(...(spec.extensions ?? []));
  const crlExts = tlv(0xa0, tlv(TAG.SEQUENCE, ...crlExtList.map(extn)));
  const tbs = tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(1)),
    alg,
    spec.issuer.cert.subject.der,
    time(spec.thisUpdate ?? now - DAY),
    ...(spec.nextUpdate === null ? [] : [time(spec.nextUpdate ?? now + 30 * DAY)]),
    ...(entries.length ? [tlv(TAG.SEQUENCE, ...entries)] : []),
    crlExts,
  );
  const sig = signWith(signKey, spec.hash ?? "sha256", tbs);
  return tlv(TAG.SEQUENCE, tbs, alg, tlv(TAG.BIT_STRING, Uint8Array.of(0), sig));
}

function generalizedTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return tlv(
    TAG.GeneralizedTime,
    Buffer.from(
      `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`,
    ),
  );
}

export interface OcspSpec {
  /** The certificate asked about and its issuer (for the CertID). */
  cert: Issued;
  issuer: Issued;
  status: "good" | "revoked" | "unknown";
  revocationTime?: number;
  reason?: number;
  thisUpdate?: number;
  /** null: leave nextUpdate out. */
  nextUpdate?: number | null;
  /** The responder (default the issuer); a delegated responder is included in `certs`. */
  responder?: Issued;
  /** Sign with this key instead of the responder's (a bad signature). */
  signKey?: KeyPair;
  /** Answer for another serial (a mismatched CertID). */
  serial?: Uint8Array;
  /** Non-zero: an error responseStatus (3 tryLater...) without response bytes. */
  responseStatus?: number;
}

/** An OCSPResponse (RFC 6960) with a BasicOCSPResponse signed by the issuer or a delegated responder. */
export function ocspResponse(spec: OcspSpec): Uint8Array {
  if (spec.responseStatus) return tlv(TAG.SEQUENCE, tlv(TAG.ENUMERATED, Uint8Array.of(spec.responseStatus)));
  const now = Date.now();
  const responder = spec.responder ?? spec.issuer;
  const signKey = spec.signKey ?? responder.key;
  const alg = sigAlg(signKey, "sha256");
  const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest();
  const issuerKeyBits = spec.issuer.cert.publicKeyInfo.key;
  const certId = tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.sha1)), tlv(TAG.NULL)),
    tlv(TAG.OCTET_STRING, sha1(spec.issuer.cert.subject.der)),
    tlv(TAG.OCTET_STRING, sha1(issuerKeyBits)),
    tlv(TAG.INTEGER, spec.serial ?? spec.cert.cert.serialNumber),
  );
  let status: Uint8Array;
  if (spec.status === "good") status = tlv(0x80);
  else if (spec.status === "unknown") status = tlv(0x82);
  else {
    const parts = [generalizedTime(spec.revocationTime ?? now - DAY)];
    if (spec.reason !== undefined) parts.push(tlv(0xa0, tlv(TAG.ENUMERATED, Uint8Array.of(spec.reason))));
    status = tlv(0xa1, ...parts);
  }
  const single = tlv(
    TAG.SEQUENCE,
    certId,
    status,
    generalizedTime(spec.thisUpdate ?? now - 3_600_000),
    ...(spec.nextUpdate === null ? [] : [tlv(0xa0, generalizedTime(spec.nextUpdate ?? now + 7 * DAY))]),
  );
  const responseData = tlv(
    TAG.SEQUENCE,
    tlv(0xa2, tlv(TAG.OCTET_STRING, sha1(responder.cert.publicKeyInfo.key))),
    generalizedTime(now),
    tlv(TAG.SEQUENCE, single),
  );
  const sig = signWith(signKey, "sha256", responseData);
  const certs = spec.responder ? [tlv(0xa0, tlv(TAG.SEQUENCE, spec.responder.der))] : [];
  const basic = tlv(TAG.SEQUENCE, responseData, alg, tlv(TAG.BIT_STRING, Uint8Array.of(0), sig), ...certs);
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.ENUMERATED, Uint8Array.of(0)),
    tlv(
      0xa0,
      tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid("1.3.6.1.5.5.7.48.1.1")), tlv(TAG.OCTET_STRING, basic)),
    ),
  );
}
