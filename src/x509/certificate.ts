/**
 * An X.509 certificate, parsed once from DER with the zero-copy reader. The constructor reads every field
 * and decodes every extension it understands into a plain field; an extension that does not decode leaves
 * its field undefined and is listed in `extensionFaults` (path validation reports it), so no getter throws
 * for certificate content later. Hashes and the public key are computed on first use and cached.
 */
import type { KeyObject } from "node:crypto";
import { MalformedInputError } from "../errors.js";
import { digest, hexUpper } from "../lib/bytes.js";
import { DerError, DerReader, decodeBitString, decodeOidEl, decodeTime, parseOne, TAG } from "../lib/der.js";
import { EKU_LABEL, OID } from "../lib/oids.js";
import {
  type AlgorithmIdentifier,
  importSpki,
  readAlgorithmIdentifier,
  signatureAlgorithmName,
  verifySignature,
} from "../lib/signature.js";
import * as X from "./extensions.js";
import type { GeneralName } from "./general-name.js";
import { Name } from "./name.js";

export type CertificateRole = "root" | "intermediate" | "leaf";

/** An extension the certificate carries but that does not decode (RFC 5280 4.2 syntax). */
export interface ExtensionFault {
  oid: string;
  /** Byte offset of the fault (or of the extension's value) in the file the certificate came from. */
  offset: number;
  /** "bad <oid> extension in certificate '<subject>': <what>", without the offset. */
  message: string;
}

export interface PublicKeyInfo {
  /** SPKI algorithm OID. */
  algorithm: string;
  /** "RSA", "EC", "DSA", "Ed25519", "Ed448" or the OID. */
  type: string;
  /** Key size in bits (RSA modulus, EC field, DSA p). */
  bits?: number;
  /** Named curve OID for EC keys. */
  curve?: string;
  /** DER of the algorithm parameters, when present. */
  params?: Uint8Array;
  /** The subjectPublicKey BIT STRING contents. */
  key: Uint8Array;
}

const CURVE_BITS: Record<string, [string, number]> = {
  [OID.secp256r1]: ["P-256", 256],
  [OID.secp384r1]: ["P-384", 384],
  [OID.secp521r1]: ["P-521", 521],
  [OID.secp256k1]: ["secp256k1", 256],
  "1.2.840.10045.3.1.1": ["P-192", 192],
  "1.3.132.0.33": ["P-224", 224],
  "1.3.132.0.31": ["secp192k1", 192],
  "1.3.132.0.32": ["secp224k1", 224],
  "1.3.36.3.3.2.8.1.1.3": ["brainpoolP192r1", 192],
  "1.3.36.3.3.2.8.1.1.5": ["brainpoolP224r1", 224],
  "1.3.36.3.3.2.8.1.1.7": ["brainpoolP256r1", 256],
  "1.3.36.3.3.2.8.1.1.11": ["brainpoolP384r1", 384],
  "1.3.36.3.3.2.8.1.1.13": ["brainpoolP512r1", 512],
};

export class Certificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: number;
  readonly serialNumber: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** The algorithm named inside TBSCertificate (must equal the outer one). */
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly spki: Uint8Array;
  readonly signature: Uint8Array;
  readonly extensions: X.Extension[];

  // The typed extensions, each undefined when absent or malformed (a malformed one is in extensionFaults).
  readonly basicConstraints?: X.BasicConstraints;
  /** Key usage bits, or undefined when the extension is absent. */
  readonly keyUsage?: number[];
  /** EKU OIDs, or undefined when the extension is absent. */
  readonly extKeyUsage?: string[];
  readonly subjectKeyIdentifier?: string;
  readonly authorityKeyIdentifier?: X.AuthorityKeyIdentifier;
  readonly subjectAltName?: GeneralName[];
  readonly certificatePolicies?: X.PolicyInformation[];
  readonly policyMappings?: X.PolicyMapping[];
  readonly policyConstraints?: X.PolicyConstraints;
  readonly inhibitAnyPolicy?: number;
  readonly nameConstraints?: X.NameConstraints;
  readonly crlDistributionPoints?: X.DistributionPoint[];
  readonly freshestCrl?: X.DistributionPoint[];
  readonly authorityInfoAccess?: X.AccessDescription[];
  /**
   * The extensions this class understands that did not decode, each once, in the order of the certificate.
   * Path validation reports each as NONCONFORMING_CERT (a warning for CRL distribution points and AIA, which
   * only say where to fetch things); the typed field stays undefined.
   */
  readonly extensionFaults: readonly ExtensionFault[];
  /** Where the certificate was read from ("file.sst", "file.p12#2"...), set by the readers. */
  source?: string;
  /** The property records before it in a .sst (id, value), set by the .sst reader (sst/distrust.ts reads them). */
  sstProperties?: readonly { id: number; value: Uint8Array }[];

  private cache: Record<string, unknown> = {};

  /** Parses DER; `base` is the certificate's offset within its file, for error messages. */
  constructor(der: Uint8Array, base = 0) {
    try {
      this.der = der;
      const outer = new DerReader(der, base);
      const certEl = outer.expect(TAG.SEQUENCE, "Certificate");
      outer.end("Certificate");
      const c = DerReader.of(certEl);
      const tbsEl = c.expect(TAG.SEQUENCE, "TBSCertificate");
      this.tbs = tbsEl.raw;
      this.signatureAlgorithm = readAlgorithmIdentifier(c, "signatureAlgorithm");
      const sig = decodeBitString(c.read());
      this.signature = sig.bytes;
      c.end("Certificate");

      const t = DerReader.of(tbsEl);
      const v = t.optional(0xa0);
      this.version = v ? DerReader.of(v).read().value[0] + 1 : 1;
      const serial = t.expect(TAG.INTEGER, "serialNumber");
      this.serialNumber = serial.value;
      this.tbsSignatureAlgorithm = readAlgorithmIdentifier(t, "signature");
      this.issuer = new Name(t.expect(TAG.SEQUENCE, "issuer"));
      const validity = t.sequence("validity");
      this.notBefore = decodeTime(validity.read());
      this.notAfter = decodeTime(validity.read());
      this.subject = new Name(t.expect(TAG.SEQUENCE, "subject"));
      this.spki = t.expect(TAG.SEQUENCE, "subjectPublicKeyInfo").raw;
      t.optional(0x81); // issuerUniqueID
      t.optional(0x82); // subjectUniqueID
      const exts = t.optional(0xa3);
      this.extensions = exts ? X.readExtensions(DerReader.of(exts).expect(TAG.SEQUENCE, "Extensions")) : [];
      t.end("TBSCertificate");

      const faults: ExtensionFault[] = [];
      const ext = <T>(oid: string, parse: (e: X.Extension) => T): T | undefined => {
        const e = this.extension(oid);
        if (!e) return undefined;
        try {
          return parse(e);
        } catch (err) {
          faults.push({
            oid,
            offset: err instanceof DerError ? err.offset : e.offset,
            message: `bad ${oid} extension in certificate '${this.subject.display}': ${(err as Error).message.replace(/ at byte \d+$/, "")}`,
          });
          return undefined;
        }
      };
      this.basicConstraints = ext(OID.basicConstraints, X.parseBasicConstraints);
      this.keyUsage = ext(OID.keyUsage, X.parseKeyUsage);
      this.extKeyUsage = ext(OID.extKeyUsage, X.parseOidSequence);
      this.subjectKeyIdentifier = ext(OID.subjectKeyIdentifier, X.parseSubjectKeyIdentifier);
      this.authorityKeyIdentifier = ext(OID.authorityKeyIdentifier, X.parseAuthorityKeyIdentifier);
      this.subjectAltName = ext(OID.subjectAltName, X.parseGeneralNamesExt);
      this.certificatePolicies = ext(OID.certificatePolicies, X.parseCertificatePolicies);
      this.policyMappings = ext(OID.policyMappings, X.parsePolicyMappings);
      this.policyConstraints = ext(OID.policyConstraints, X.parsePolicyConstraints);
      this.inhibitAnyPolicy = ext(OID.inhibitAnyPolicy, X.parseInhibitAnyPolicy);
      this.nameConstraints = ext(OID.nameConstraints, X.parseNameConstraints);
      this.crlDistributionPoints = ext(OID.crlDistributionPoints, X.parseCrlDistributionPoints);
      this.freshestCrl = ext(OID.freshestCrl, X.parseCrlDistributionPoints);
      this.authorityInfoAccess = ext(OID.authorityInfoAccess, X.parseAccessDescriptions);
      // Sorted by position in the certificate, so the faults read in the order a dump shows them.
      this.extensionFaults = faults.sort((a, b) => a.offset - b.offset);
    } catch (e) {
      if (e instanceof DerError)
        throw new MalformedInputError(
          `not a valid X.509 certificate: ${e.message.replace(/ at byte \d+$/, "")}`,
          { offset: e.offset, cause: e },
        );
      throw e;
    }
  }

  private memo<T>(key: string, f: () => T): T {
    if (key in this.cache) return this.cache[key] as T;
    const v = f();
    this.cache[key] = v;
    return v;
  }

  extension(oid: string): X.Extension | undefined {
    for (const e of this.extensions) if (e.oid === oid) return e;
    return undefined;
  }

  // ---- identity ----

  get sha1(): string {
    return this.memo("sha1", () => hexUpper(digest("sha1", this.der)));
  }

  get sha256(): string {
    return this.memo("sha256", () => hexUpper(digest("sha256", this.der)));
  }

  /** Serial number as upper-case hex (leading zero octet of positive numbers dropped, as Windows shows it). */
  get serial(): string {
    const s = this.serialNumber;
    return hexUpper(s.length > 1 && s[0] === 0 ? s.subarray(1) : s);
  }

  /** The subject's display name; for an empty subject (names only in subjectAltName), its first e-mail address. */
  get name(): string {
    const d = this.subject.display;
    if (d) return d;
    return this.emails[0] ?? this.subjectAltName?.find((g) => g.type === "dns")?.value ?? "(empty subject)";
  }

  // ---- extensions (parsed in the constructor) ----

  get isCA(): boolean {
    return this.basicConstraints?.ca === true;
  }

  hasKeyUsage(bit: number): boolean {
    const ku = this.keyUsage;
    return ku === undefined || ku.includes(bit);
  }

  get keyUsageNames(): string[] {
    return (this.keyUsage ?? []).map((b) => X.KU_NAMES[b] ?? `bit${b}`);
  }

  get extKeyUsageNames(): string[] {
    return (this.extKeyUsage ?? []).map((o) => EKU_LABEL[o] ?? o);
  }

  /** True when the EKU extension is absent or allows emailProtection (or any). */
  get allowsEmailProtection(): boolean {
    const eku = this.extKeyUsage;
    return eku === undefined || eku.includes(OID.emailProtection) || eku.includes(OID.anyExtendedKeyUsage);
  }

  /** HTTP(S) URLs of the issuer certificate (AIA caIssuers). */
  get caIssuersUrls(): string[] {
    return (this.authorityInfoAccess ?? [])
      .filter((a) => a.method === OID.adCaIssuers && a.location.type === "uri")
      .map((a) => (a.location as { value: string }).value);
  }

  get ocspUrls(): string[] {
    return (this.authorityInfoAccess ?? [])
      .filter((a) => a.method === OID.adOcsp && a.location.type === "uri")
      .map((a) => (a.location as { value: string }).value);
  }

  /** E-mail addresses: rfc822Name SANs, then emailAddress attributes of the subject (de-duplicated, as written). */
  get emails(): string[] {
    return this.memo("emails", () => {
      const out: string[] = [];
      for (const g of this.subjectAltName ?? []) if (g.type === "email") out.push(g.value);
      for (const e of this.subject.get(OID.emailAddress)) out.push(e);
      const seen = new Set<string>();
      return out.filter((e) => {
        const k = e.toLowerCase();
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    });
  }

  // ---- keys and signatures ----

  get publicKeyInfo(): PublicKeyInfo {
    return this.memo("pki", () => {
      try {
        return parseSpki(this.spki);
      } catch (e) {
        if (e instanceof DerError) {
          throw new MalformedInputError(
            `bad public key in certificate '${this.subject.display}': ${e.message}`,
            { offset: e.offset },
          );
        }
        throw e;
      }
    });
  }

  /** node:crypto key; throws UnsupportedError for keys OpenSSL cannot load (e.g. DSA without parameters). */
  get publicKey(): KeyObject {
    return this.memo("key", () => importSpki(this.spki));
  }

  /** "RSA 2048", "EC P-256", "Ed25519". */
  get keyDescription(): string {
    const k = this.publicKeyInfo;
    if (k.type === "EC") return `EC ${k.curve ?? "?"}`;
    return k.bits ? `${k.type} ${k.bits}` : k.type;
  }

  get signatureAlgorithmName(): string {
    return signatureAlgorithmName(this.signatureAlgorithm);
  }

  /** Subject and issuer names are equal. */
  get isSelfIssued(): boolean {
    return this.subject.equals(this.issuer);
  }

  /** Self-issued and its signature verifies with its own key. */
  get isSelfSigned(): boolean {
    return this.memo("selfSigned", () => {
      if (!this.isSelfIssued) return false;
      try {
        return this.isSignedBy(this);
      } catch {
        return false;
      }
    });
  }

  /** Verifies this certificate's signature with `issuer`'s public key (or an explicit key). */
  isSignedBy(issuer: Certificate, key: KeyObject = issuer.publicKey): boolean {
    return verifySignature(
      this.signatureAlgorithm,
      this.tbs,
      this.signature,
      key,
      issuer.publicKeyInfo.algorithm,
    );
  }

  /** root = self-signed CA (or a legacy self-signed certificate without basicConstraints); intermediate = other CA; leaf = the rest. */
  get role(): CertificateRole {
    if (this.isCA) return this.isSelfSigned ? "root" : "intermediate";
    if (this.basicConstraints === undefined && this.isSelfSigned) return "root";
    return "leaf";
  }

  isValidAt(time: number): boolean {
    return time >= this.notBefore && time <= this.notAfter;
  }

  toPem(): string {
    return toPem("CERTIFICATE", this.der);
  }
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function parseSpki(spki: Uint8Array): PublicKeyInfo {
  const r = DerReader.of(parseOne(spki, "SubjectPublicKeyInfo"));
  const alg = readAlgorithmIdentifier(r);
  const key = decodeBitString(r.read()).bytes;
  const out: PublicKeyInfo = { algorithm: alg.oid, type: alg.oid, key };
  if (alg.params) out.params = alg.params;
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.rsaPss: {
      out.type = alg.oid === OID.rsaPss ? "RSA-PSS" : "RSA";
      try {
        const k = DerReader.of(parseOne(key, "RSAPublicKey"));
        const mod = k.expect(TAG.INTEGER, "modulus").value;
        let i = 0;
        while (i < mod.length && mod[i] === 0) i++;
        out.bits = mod.length - i > 0 ? (mod.length - i - 1) * 8 + (32 - Math.clz32(mod[i])) : 0;
      } catch {
        /* size unknown */
      }
      break;
    }
    case OID.ecPublicKey: {
      out.type = "EC";
      if (alg.params && alg.params[0] === TAG.OID) {
        const c = decodeOidEl(parseOne(alg.params, "namedCurve"));
        const known = CURVE_BITS[c];
        out.curve = known ? known[0] : c;
        if (known) out.bits = known[1];
      }
      break;
    }
    case OID.dsa: {
      out.type = "DSA";
      if (alg.params) {
        try {
          const p = DerReader.of(parseOne(alg.params, "Dss-Parms")).expect(TAG.INTEGER, "p").value;
          let i = 0;
          while (i < p.length && p[i] === 0) i++;
          out.bits = (p.length - i) * 8;
        } catch {
          /* size unknown */
        }
      }
      break;
    }
    case OID.ed25519:
      out.type = "Ed25519";
      out.bits = 256;
      break;
    case OID.ed448:
      out.type = "Ed448";
      out.bits = 456;
      break;
  }
  return out;
}
