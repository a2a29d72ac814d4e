/** The JSON shape of a certificate that inspect --json and other commands print (DESIGN.md contract). */
import type { Certificate } from "./certificate.js";

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  sha1: string;
  sha256: string;
  isCA: boolean;
  selfSigned: boolean;
  role: "root" | "intermediate" | "leaf";
  keyUsage: string[] | null;
  extKeyUsage: string[] | null;
  emails: string[];
  key: string;
  signatureAlgorithm: string;
  subjectKeyIdentifier: string | null;
  authorityKeyIdentifier: string | null;
  source: string | null;
}

export function summarize(c: Certificate): CertificateSummary {
  return {
    subject: c.subject.toString(),
    issuer: c.issuer.toString(),
    serial: c.serial,
    notBefore: new Date(c.notBefore).toISOString(),
    notAfter: new Date(c.notAfter).toISOString(),
    sha1: c.sha1,
    sha256: c.sha256,
    isCA: c.isCA,
    selfSigned: c.isSelfSigned,
    role: c.role,
    keyUsage: c.keyUsage === undefined ? null : c.keyUsageNames,
    extKeyUsage: c.extKeyUsage === undefined ? null : c.extKeyUsage,
    emails: c.emails,
    key: c.keyDescription,
    signatureAlgorithm: c.signatureAlgorithmName,
    subjectKeyIdentifier: c.subjectKeyIdentifier ?? null,
    authorityKeyIdentifier: c.authorityKeyIdentifier?.keyId ?? null,
    source: c.source ?? null,
  };
}
