/**
 * The one catalogue of problems. Every finding that verify, chain, check, diff, plan or monitor reports
 * comes from here: a stable upper-case code, a default severity, a plain sentence and a hint that says
 * how to fix it in the administrator's terms. Codes never change meaning once released; add new ones.
 */

export type Severity = "error" | "warning" | "info";

export interface Problem {
  code: ProblemCode;
  severity: Severity;
  message: string;
  hint?: string;
  /** SHA-1 thumbprint (upper-case hex) of the certificate the problem is about. */
  cert?: string;
}

/** Values the sentences are made from; every field is optional, templates use what they need. */
export interface ProblemParams {
  /** Display name of the certificate concerned (CN or the subject). */
  name?: string;
  /** Its SHA-1 thumbprint, upper-case hex. */
  sha1?: string;
  /** Issuer display name. */
  issuer?: string;
  /** A date (ISO 8601, UTC). */
  date?: string;
  /** Days (left or past). */
  days?: number;
  /** Free detail appended to the sentence. */
  detail?: string;
  /** Algorithm or key description. */
  alg?: string;
  /** E-mail address(es). */
  email?: string;
  /** A count. */
  count?: number;
  /** A size in bytes. */
  bytes?: number;
  /** Override of the default severity (e.g. a profile that makes a warning an error). */
  severity?: Severity;
}

interface Entry {
  severity: Severity;
  message: (p: ProblemParams) => string;
  hint?: (p: ProblemParams) => string;
}

const n = (p: ProblemParams) => (p.name ? `'${p.name}'` : "the certificate");
const tp = (p: ProblemParams) => (p.sha1 ? ` (thumbprint ${p.sha1})` : "");
const d = (p: ProblemParams) => (p.detail ? `: ${p.detail}` : "");

export const CATALOGUE = {
  // ---- messages ----
  NOT_SIGNED: {
    severity: "error",
    message: (p) => `The message is not signed${d(p)}.`,
    hint: () => "Send it again with S/MIME signing turned on in the mail client.",
  },
  MALFORMED: {
    severity: "error",
    message: (p) => `The message or its signature could not be parsed${d(p)}.`,
    hint: () =>
      "The message was damaged in transit or by a gateway that rewrote it; ask the sender to send it again.",
  },
  NOT_MAIL: {
    severity: "error",
    message: (p) => `The file is not an e-mail message, an mbox archive or a CMS signature${d(p)}.`,
    hint: () =>
      "Give signed mail (.eml, mbox, .p7m or .p7s). A file like this found in a folder of messages does not belong there: move it out, or name the messages to verify.",
  },
  SIGNED_CONTENT_MISSING: {
    severity: "error",
    message: (p) => `The signature is detached: the content it signs is not in the file${d(p)}.`,
    hint: () =>
      "Give the signed content with --content <file> (the file the .p7s signs), or verify the whole message the .p7s came with.",
  },
  ENCRYPTED: {
    severity: "info",
    message: () =>
      "The message is encrypted (enveloped data); its signature, if any, is inside and cannot be checked without the recipient's private key.",
    hint: () => "Open it in the recipient's mail client, or verify the decrypted message.",
  },
  DIGEST_MISMATCH: {
    severity: "error",
    message: (p) => `The signed content does not match its signature's digest${d(p)}.`,
    hint: () =>
      "The message was changed after it was signed (often a mail gateway adding a footer or re-encoding); exempt signed mail from such rewriting.",
  },
  SIGNATURE_INVALID: {
    severity: "error",
    message: (p) => `The signature does not verify with the signer's public key${d(p)}.`,
    hint: () =>
      "The signed attributes were altered or the wrong certificate was attached; ask the sender to sign again.",
  },
  SIGNER_CERT_MISSING: {
    severity: "error",
    message: (p) => `The signer's certificate is not in the message${d(p)}.`,
    hint: () =>
      "Configure the sender's client to include its certificate when signing, or pass it with --untrusted.",
  },
  SENDER_MISMATCH: {
    severity: "error",
    message: (p) =>
      `The sender ${p.email ?? ""} is not among the signer certificate's e-mail addresses${d(p)}.`,
    hint: (p) =>
      `Exchange reports this as a subject mismatch: the sender needs a certificate issued for ${p.email ?? "the From address"}.`,
  },
  WEAK_ALGORITHM: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} uses a weak algorithm: ${p.alg ?? "unknown"}.`,
    hint: () => "Replace it with a certificate or signature that uses SHA-256 or stronger.",
  },
  UNSUPPORTED_ALGORITHM: {
    severity: "error",
    message: (p) => `Unsupported algorithm ${p.alg ?? ""}${d(p)}.`,
    hint: () => "Use RSA (PKCS#1 v1.5 or PSS), ECDSA P-256/384/521 or Ed25519 with SHA-2.",
  },
  WEAK_KEY: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} has a weak key: ${p.alg ?? "unknown"}${d(p)}.`,
    hint: () =>
      "Replace it with a certificate whose key is RSA 2048 bits or larger, or ECDSA P-256 or larger.",
  },

  CONTENT_CANONICALISED: {
    severity: "info",
    message: (p) =>
      `The signed part matched its signature only after its line ends were converted to CRLF${d(p)}.`,
    hint: () =>
      "The message was stored with LF line ends (common in mail stores); the signature itself is intact.",
  },
  SIGNED_ATTRIBUTE_MALFORMED: {
    severity: "warning",
    message: (p) => `A signed attribute of the signature is not as RFC 5652 and RFC 8551 require${d(p)}.`,
    hint: () =>
      "The signature itself can still be checked (an unreadable signingTime cannot serve as the validation time); the sender's mail client wrote a non-conforming attribute, report it to its vendor.",
  },
  SIGNED_PART: {
    severity: "info",
    message: (p) => `A signature sits in part ${p.detail ?? "?"} of the message, not at its top.`,
    hint: () =>
      "Mail clients may show such inner signatures (e.g. in forwarded messages) differently from a signature on the whole message.",
  },

  // ---- paths ----
  CHAIN_INCOMPLETE: {
    severity: "error",
    message: (p) =>
      `No issuer found for ${n(p)}${tp(p)}${p.issuer ? `: its issuer '${p.issuer}' is not in the trust list or the message` : ""}${p.detail ? ` (${p.detail})` : ""}.`,
    hint: (p) =>
      `Add ${p.issuer ? `'${p.issuer}'` : "the issuing CA"} to the trust list and upload it again, or have the sender include it in signed messages.`,
  },
  UNTRUSTED_ROOT: {
    severity: "error",
    message: (p) => `The path ends at ${n(p)}${tp(p)}, which is not in the trust list.`,
    hint: (p) =>
      `Add the root CA ${n(p)}${tp(p)} to the trust list and upload it again, if your organisation trusts it.`,
  },
  CHAIN_SIGNATURE_INVALID: {
    severity: "error",
    message: (p) =>
      `The signature on ${n(p)}${tp(p)} does not verify with its issuer's key${p.issuer ? ` ('${p.issuer}')` : ""}.`,
    hint: () =>
      "The certificate is corrupt or the issuer in the list is a different CA with the same name (re-keyed); add the CA certificate that really issued it.",
  },
  CERT_EXPIRED: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} expired on ${p.date ?? "?"}.`,
    hint: (p) => `Renew ${n(p)} and replace it where it is used.`,
  },
  CERT_NOT_YET_VALID: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} is not valid before ${p.date ?? "?"}.`,
    hint: () => "Check the computer's clock, or wait until the certificate's validity begins.",
  },
  ISSUER_NOT_CA: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} issued a certificate but is not a CA${d(p)}.`,
    hint: () =>
      "Only certificates with basicConstraints cA=TRUE (and keyCertSign) may issue; use the real issuing CA.",
  },
  PATH_LENGTH_EXCEEDED: {
    severity: "error",
    message: (p) => `The path is longer than ${n(p)}${tp(p)} allows (pathLenConstraint)${d(p)}.`,
    hint: () => "Issue from a CA higher in the hierarchy, or a CA whose path length allows this depth.",
  },
  KEY_USAGE: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} has a key usage that does not allow this use${d(p)}.`,
    hint: () =>
      "Signing certificates need digitalSignature or nonRepudiation; CA certificates need keyCertSign (cRLSign to sign CRLs).",
  },
  EKU_NOT_EMAIL: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} is not allowed for e-mail protection (extended key usage)${d(p)}.`,
    hint: () => "Use a certificate whose extended key usage includes Secure Email (1.3.6.1.5.5.7.3.4).",
  },
  NAME_CONSTRAINTS: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} violates the name constraints of a CA above it${d(p)}.`,
    hint: () =>
      "The CA is not allowed to issue for this name; request the certificate from a CA permitted for the domain.",
  },
  POLICY: {
    severity: "error",
    message: (p) => `No acceptable certificate policy on the path${d(p)}.`,
    hint: () =>
      "The CAs' certificate policies or policy constraints exclude this certificate; check the required policy OIDs.",
  },
  UNKNOWN_CRITICAL_EXTENSION: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} has a critical extension that is not understood${d(p)}.`,
    hint: () => "Clients must reject such certificates; have the CA reissue without it.",
  },
  CERT_REVOKED: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} was revoked${p.date ? ` on ${p.date}` : ""}${d(p)}.`,
    hint: (p) => `Replace ${n(p)}; if it is a CA, remove it from the trust list.`,
  },
  REVOCATION_UNKNOWN: {
    severity: "warning",
    message: (p) => `The revocation status of ${n(p)}${tp(p)} could not be determined${d(p)}.`,
    hint: () =>
      "Make the CRL reachable (Exchange fetches CRL distribution points over HTTP), pass it with --crl, or set OWADisableCRLCheck if you accept the risk.",
  },

  NONCONFORMING_CERT: {
    severity: "error",
    message: (p) => `${n(p)}${tp(p)} does not conform to the RFC 5280 certificate profile${d(p)}.`,
    hint: () => "Strict clients reject such certificates; have the CA reissue it correctly.",
  },

  // ---- monitoring ----
  CERT_EXPIRING: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} expires on ${p.date ?? "?"} (${p.days ?? "?"} days left).`,
    hint: (p) => `Renew ${n(p)} and have its owner install the new certificate before ${p.date ?? "then"}.`,
  },
  CHECK_FAILED: {
    severity: "error",
    message: (p) => `The check of ${p.name ? `'${p.name}'` : "a source"} failed${d(p)}.`,
    hint: () => "Fix the file or its permissions; until then nothing in it is being watched.",
  },
  EXPORT_STALE: {
    severity: "warning",
    message: (p) =>
      `${p.name ? `'${p.name}'` : "The export"} was last updated ${p.date ?? "?"}, ${p.detail ?? "longer ago than allowed"}.`,
    hint: () =>
      "The scheduled Get-SmimeConfig export has stopped: check the task that runs it (and its credentials); the monitor is judging an old copy.",
  },

  MONITOR_STALE: {
    severity: "error",
    message: (p) =>
      `The monitor did not run${p.date ? ` from ${p.date}` : ""}${p.detail ? ` ${p.detail}` : ""}; nothing was watched meanwhile.`,
    hint: () =>
      "Check what stopped it (the cron entry or service, the host, a database locked by another process); it has run again now.",
  },
  SINK_FAILED: {
    severity: "error",
    message: (p) =>
      `Alerts to sink ${p.name ? `'${p.name}'` : "?"} have failed since ${p.date ?? "?"}${d(p)}; its messages are kept and retried.`,
    hint: () =>
      "Fix the sink (its URL, credentials, the receiving service or the network); until then it tells nobody.",
  },
  EXCHANGE_DRIFT: {
    severity: "warning",
    message: (p) =>
      `The live S/MIME configuration of ${p.name ? `'${p.name}'` : "the tenant"} differs from the desired one${d(p)}; it was changed outside smimetrust.`,
    hint: () =>
      "Run smimetrust exchange plan --live to see the difference, then exchange apply to restore the desired configuration (or update smime.config.json if the change was intended).",
  },
  EXCHANGE_SIGN_IN_FAILED: {
    severity: "error",
    message: (p) => `Signing in to ${p.name ? `'${p.name}'` : "the tenant"} failed${d(p)}.`,
    hint: () =>
      "Check the app registration: its certificate credential (not expired, the one in the tenants file), the Exchange.ManageAsApp permission with admin consent, and its Exchange role.",
  },

  // ---- trust-list audit ----
  TRUST_EXPIRED: {
    severity: "error",
    message: (p) =>
      `${n(p)}${tp(p)} in the trust list expired on ${p.date ?? "?"}; Exchange refuses an upload that contains it.`,
    hint: (p) => `Remove ${n(p)} from the trust list (or add its renewed certificate) before uploading.`,
  },
  TRUST_EXPIRING: {
    severity: "warning",
    message: (p) =>
      `${n(p)}${tp(p)} in the trust list expires on ${p.date ?? "?"} (${p.days ?? "?"} days left).`,
    hint: (p) =>
      `Obtain the renewed CA certificate for ${n(p)}, add it to the trust list and upload it before ${p.date ?? "then"}.`,
  },
  TRUST_NOT_YET_VALID: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} in the trust list is not valid before ${p.date ?? "?"}.`,
    hint: () =>
      "Signatures under it fail until then; keep the certificate it replaces in the list meanwhile.",
  },
  DUPLICATE: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} appears ${p.count ?? 2} times in the trust list.`,
    hint: () => "Keep one copy; duplicates only make the .sst larger.",
  },
  NOT_A_CA: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} is not a CA certificate${d(p)}.`,
    hint: () =>
      "The trust list should hold root and intermediate CAs only; remove user certificates from it.",
  },
  MISSING_ISSUER: {
    severity: "error",
    message: (p) =>
      `The issuer of ${n(p)}${tp(p)}${p.issuer ? `, '${p.issuer}',` : ""} is not in the trust list${d(p)}.`,
    hint: (p) =>
      `Add the CA certificate that issued ${n(p)}${p.issuer ? ` ('${p.issuer}')` : ""} to the trust list.`,
  },
  SST_TOO_LARGE: {
    severity: "error",
    message: (p) =>
      `The trust list is ${p.bytes ?? "?"} bytes; Exchange refuses files over 70,000 bytes${d(p)}.`,
    hint: () =>
      "Remove CAs that are not needed for S/MIME (TLS-only roots, superseded and duplicate certificates).",
  },
  NO_EMAIL_PROTECTION: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} has an extended key usage that excludes e-mail protection${d(p)}.`,
    hint: () =>
      "Certificates under this CA cannot be used for S/MIME; remove it from the list unless another path needs it.",
  },
  SUPERSEDED: {
    severity: "info",
    message: (p) =>
      `${n(p)}${tp(p)} is superseded by a newer certificate with the same subject and key${d(p)}.`,
    hint: () => "Remove the older certificate once nothing depends on its dates.",
  },
  SST_DISTRUSTED: {
    severity: "warning",
    message: (p) => `${n(p)}${tp(p)} is marked distrusted by Windows in the .sst it came from${d(p)}.`,
    hint: () =>
      "Microsoft's root program has distrusted this CA: take it out of the trust list. A list that smimetrust builds leaves these Windows properties out, so keeping the CA there trusts it fully again.",
  },

  // ---- Exchange plan ----
  SETTING_INVALID: {
    severity: "error",
    message: (p) => `Set-SmimeConfig would not take ${p.name ?? "a setting"}${d(p)}.`,
    hint: (p) =>
      `Correct ${p.name ?? "the setting"} in smime.config.json (the schema schema/smime.config.schema.json lists the allowed values).`,
  },
  TRUST_LIST_EMPTY: {
    severity: "error",
    message: (p) => `The trust list would hold no CA certificate${d(p)}.`,
    hint: () =>
      'List the root and intermediate CA certificates under "trust"; Exchange trusts nothing without them.',
  },
} satisfies Record<string, Entry>;

/**
 * Every problem code: the keys of the catalogue, so a new code is one entry above and a misspelt one
 * fails the type check wherever it is written.
 */
export type ProblemCode = keyof typeof CATALOGUE;

const ENTRIES: Readonly<Record<ProblemCode, Entry>> = CATALOGUE;

/** All codes, in catalogue order. */
export const PROBLEM_CODES = Object.freeze(Object.keys(CATALOGUE) as ProblemCode[]);

/** True when `code` is in the catalogue (for codes read back from files or other processes). */
export function isKnownProblem(code: string): code is ProblemCode {
  return Object.hasOwn(ENTRIES, code);
}

/** Makes a Problem from the catalogue. */
export function problem(code: ProblemCode, params: ProblemParams = {}): Problem {
  const e = Object.hasOwn(ENTRIES, code) ? ENTRIES[code] : undefined;
  if (!e) throw new Error(`unknown problem code ${code}`);
  const out: Problem = { code, severity: params.severity ?? e.severity, message: e.message(params) };
  if (e.hint) out.hint = e.hint(params);
  if (params.sha1) out.cert = params.sha1;
  return out;
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** True when any problem is at or above `threshold`. */
export function reaches(problems: readonly Problem[], threshold: Severity): boolean {
  const t = RANK[threshold];
  return problems.some((p) => RANK[p.severity] >= t);
}
