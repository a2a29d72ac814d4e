/**
 * Every Set-SmimeConfig parameter a desired-state file may set (shared/reference/exchange-smime.md §1),
 * with its type, allowed values and Exchange's default, and the one validator that code and tests use.
 * schema/smime.config.schema.json publishes the same table for editors; a test keeps the two in step.
 */

export type SettingType =
  | "boolean"
  | "uint32"
  | "enum"
  | "signingAlgorithms"
  | "encryptionAlgorithms"
  | "oidList";

export type SettingValue = boolean | number | string | null;

export interface SettingSpec {
  type: SettingType;
  /** Exchange's value when never set (Get-SmimeConfig on a fresh tenant). */
  default: SettingValue;
  /** For "enum": the allowed numbers. */
  values?: readonly number[];
  /** One line for people (schema description, plan output). */
  description: string;
  /** Only in Exchange Online. */
  onlineOnly?: boolean;
}

/** The Set-SmimeConfig parameters, in the order Microsoft's syntax block lists them. */
export const SETTINGS = {
  OWAAllowUserChoiceOfSigningCertificate: {
    type: "boolean",
    default: false,
    description:
      "Let users pick the signing certificate in Outlook on the web ($false: the newest eligible one is used).",
  },
  OWAAlwaysEncrypt: { type: "boolean", default: false, description: "Encrypt every outgoing message." },
  OWAAlwaysSign: { type: "boolean", default: false, description: "Sign every outgoing message." },
  OWABCCEncryptedEmailForking: {
    type: "enum",
    values: [0, 1, 2],
    default: 0,
    description:
      "Encrypted mail to Bcc recipients: 0 one message per Bcc recipient, 1 one message for all Bcc, 2 one message without Bcc forking.",
  },
  OWACheckCRLOnSend: {
    type: "boolean",
    default: false,
    description: "Block sending (with a warning) when a CRL distribution point cannot be reached.",
  },
  OWAClearSign: {
    type: "boolean",
    default: true,
    description: "Clear-sign (multipart/signed) instead of opaque-sign.",
  },
  OWACopyRecipientHeaders: {
    type: "boolean",
    default: false,
    description: "Reserved for internal Microsoft use.",
  },
  OWACRLConnectionTimeout: {
    type: "uint32",
    default: 60000,
    description: "Time-out in milliseconds for each CRL download connection.",
  },
  OWACRLRetrievalTimeout: {
    type: "uint32",
    default: 10000,
    description: "Time-out in milliseconds for retrieving all the CRLs of one chain.",
  },
  OWADisableCRLCheck: {
    type: "boolean",
    default: false,
    description: "Turn CRL checking off (revoked certificates then validate).",
  },
  OWADLExpansionTimeout: {
    type: "uint32",
    default: 60000,
    description: "Time-out in milliseconds for expanding each distribution list when encrypting.",
  },
  OWAEncryptionAlgorithms: {
    type: "encryptionAlgorithms",
    default: "6610",
    description:
      "';'-separated Windows ALG_IDs: 6601 DES, 6602:<40|56|64|128> RC2, 6603 3DES, 660E AES-128, 660F AES-192, 6610 AES-256; '<id>,<OID>' for a custom OID.",
  },
  OWAEncryptTemporaryBuffers: {
    type: "boolean",
    default: true,
    description: "Encrypt the client's temporary buffers.",
  },
  OWAForceSMIMEClientUpgrade: {
    type: "boolean",
    default: true,
    description: "Users must upgrade an outdated S/MIME control ($false: warn only).",
  },
  OWAIncludeCertificateChainAndRootCertificate: {
    type: "boolean",
    default: false,
    description: "Include the whole chain and the root certificate in signed or encrypted messages.",
  },
  OWAIncludeCertificateChainWithoutRootCertificate: {
    type: "boolean",
    default: false,
    description: "Include the chain without the root ($false: only the signing and encryption certificates).",
  },
  OWAIncludeSMIMECapabilitiesInMessage: {
    type: "boolean",
    default: false,
    description: "Include the S/MIME capabilities attribute in messages.",
  },
  OWAOnlyUseSmartCard: {
    type: "boolean",
    default: false,
    description: "Require smart-card certificates for signing and decryption.",
  },
  OWASenderCertificateAttributesToDisplay: {
    type: "oidList",
    default: null,
    description:
      "Comma-separated attribute OIDs (e.g. 2.5.4.3) shown when the certificate's e-mail address differs from the sender's; null or '' clears it.",
  },
  OWASignedEmailCertificateInclusion: {
    type: "boolean",
    default: true,
    description: "Include the signing and encryption certificates in signed mail.",
  },
  OWASigningAlgorithms: {
    type: "signingAlgorithms",
    default: "8004",
    description:
      "';'-separated Windows ALG_IDs: 8003 MD5, 8004 SHA-1, 800C SHA-256, 800D SHA-384, 800E SHA-512; '<id>:<key length>' or '<id>,<OID>' forms.",
  },
  OWATripleWrapSignedEncryptedMail: {
    type: "boolean",
    default: false,
    description: "Triple-wrap (sign, encrypt, sign) signed and encrypted mail.",
  },
  OWAUseKeyIdentifier: {
    type: "boolean",
    default: false,
    description: "Identify recipients by subject key identifier instead of issuer and serial number.",
  },
  OWAUseSecondaryProxiesWhenFindingCertificates: {
    type: "boolean",
    default: true,
    description: "Match certificates to all proxy addresses, not only the primary SMTP address.",
  },
  NoSignOnReply: {
    type: "boolean",
    default: true,
    onlineOnly: true,
    description:
      "Exchange Online, new Outlook for Windows: replies do not inherit the original's signature (encryption is still inherited).",
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Set-SmimeConfig parameters that are not settings of a desired-state file, and why. */
export const NOT_SETTINGS: Record<string, string> = {
  SMIMECertificateIssuingCA:
    'the trust list is set through "trust" (paths of CA certificates), not through settings',
  Identity: "Identity is reserved for internal Microsoft use",
  Confirm: "Confirm is a switch of the cmdlet, not a setting",
  WhatIf: "WhatIf is a switch of the script (-WhatIf), not a setting",
};

export function isSettingName(key: string): key is SettingName {
  return Object.hasOwn(SETTINGS, key);
}

export const UINT32_MAX = 4_294_967_295;

export const SIGNING_IDS: Record<string, string> = {
  "8003": "MD5",
  "8004": "SHA-1",
  "800C": "SHA-256",
  "800D": "SHA-384",
  "800E": "SHA-512",
};
export const ENCRYPTION_IDS: Record<string, string> = {
  "6601": "DES",
  "6602": "RC2",
  "6603": "3DES",
  "660E": "AES-128",
  "660F": "AES-192",
  "6610": "AES-256",
};
export const RC2_KEY_LENGTHS = [40, 56, 64, 128] as const;

/** A dotted object identifier (first arc 0-2). */
export const OID_PATTERN = "[0-2](?:\\.(?:0|[1-9][0-9]*))+";
const SIGNING_ID = "(?:800[34CcDdEe])";
const ENCRYPTION_ID = "(?:660[1-3EeFf]|6610)";
const SIGNING_ENTRY = `${SIGNING_ID}(?::[1-9][0-9]{0,4}|,${OID_PATTERN})?`;
const ENCRYPTION_ENTRY = `(?:${ENCRYPTION_ID}(?:,${OID_PATTERN})?|6602:(?:40|56|64|128))`;

/** The regular expressions the schema publishes (ECMAScript syntax, anchored). */
export const PATTERNS = {
  signingAlgorithms: `^${SIGNING_ENTRY}(?:;${SIGNING_ENTRY})*$`,
  encryptionAlgorithms: `^${ENCRYPTION_ENTRY}(?:;${ENCRYPTION_ENTRY})*$`,
  oidList: `^(?:${OID_PATTERN}(?:,${OID_PATTERN})*)?$`,
} as const;

const RE = {
  signingAlgorithms: new RegExp(PATTERNS.signingAlgorithms),
  encryptionAlgorithms: new RegExp(PATTERNS.encryptionAlgorithms),
  oidList: new RegExp(PATTERNS.oidList),
};

function describeValue(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}

/** Explains what is wrong with one entry of an algorithm list (for the error message). */
function algorithmEntryFault(
  entry: string,
  ids: Record<string, string>,
  kind: "signing" | "encryption",
): string | undefined {
  if (entry === "") return "an empty entry (two ';' in a row, or one at an end)";
  const m = /^([^:,]*)(?::(.*)|,(.*))?$/.exec(entry);
  const id = (m?.[1] ?? entry).toUpperCase();
  if (!ids[id]) {
    const known = Object.entries(ids)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    return `'${m?.[1] ?? entry}' is not ${kind === "encryption" ? "an" : "a"} ${kind} algorithm id (${known})`;
  }
  if (m?.[2] !== undefined) {
    if (kind === "encryption") {
      if (id !== "6602") return `'${entry}': only RC2 (6602) takes a key length`;
      if (!RC2_KEY_LENGTHS.includes(Number(m[2]) as 40) || !/^\d+$/.test(m[2]))
        return `'${entry}': RC2 key length must be 40, 56, 64 or 128`;
    } else if (!/^[1-9][0-9]{0,4}$/.test(m[2])) return `'${entry}': the key length must be a number of bits`;
  }
  if (m?.[3] !== undefined && !new RegExp(`^${OID_PATTERN}$`).test(m[3]))
    return `'${entry}': '${m[3]}' is not a dotted OID`;
  return undefined;
}

/**
 * Checks one setting's value. Returns undefined when it is acceptable, otherwise a sentence saying what
 * is wrong (without the key; callers prefix it).
 */
export function settingValueFault(name: SettingName, value: unknown): string | undefined {
  const spec: SettingSpec = SETTINGS[name];
  switch (spec.type) {
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false, not ${describeValue(value)}`;
    case "uint32":
      if (typeof value !== "number" || !Number.isInteger(value))
        return `must be a whole number of milliseconds (0-${UINT32_MAX}), not ${describeValue(value)}`;
      if (value < 0 || value > UINT32_MAX) return `${value} is outside 0-${UINT32_MAX} (UInt32)`;
      return undefined;
    case "enum":
      if (typeof value !== "number" || !spec.values!.includes(value))
        return `must be one of ${spec.values!.join(", ")}, not ${describeValue(value)}`;
      return undefined;
    case "oidList":
      if (value === null) return undefined;
      if (typeof value !== "string")
        return `must be a comma-separated list of OIDs (e.g. '2.5.4.3') or null, not ${describeValue(value)}`;
      if (RE.oidList.test(value)) return undefined;
      return `${describeValue(value)} is not a comma-separated list of dotted OIDs (e.g. '2.5.4.3,2.5.4.10'), without spaces`;
    case "signingAlgorithms":
    case "encryptionAlgorithms": {
      const kind = spec.type === "signingAlgorithms" ? "signing" : "encryption";
      if (typeof value !== "string")
        return `must be a string of ${kind} algorithm ids such as '${spec.default}', not ${describeValue(value)}`;
      if (RE[spec.type].test(value)) return undefined;
      const ids = kind === "signing" ? SIGNING_IDS : ENCRYPTION_IDS;
      const why =
        value === ""
          ? "'' is empty (Exchange would silently use the default)"
          : value
              .split(";")
              .map((e) => algorithmEntryFault(e, ids, kind))
              .find(Boolean);
      if (why && (value === "" || !value.includes(";"))) return why;
      return `${describeValue(value)}: ${why ?? "not a ';'-separated list of algorithm ids"}`;
    }
  }
}

/** Upper-case hex ids, as Exchange stores and returns them; other values unchanged. */
export function normaliseSettingValue(name: SettingName, value: SettingValue): SettingValue {
  const t = SETTINGS[name].type;
  if ((t === "signingAlgorithms" || t === "encryptionAlgorithms") && typeof value === "string") {
    return value
      .split(";")
      .map((e) => e.replace(/^[0-9a-fA-F]{4}/, (id) => id.toUpperCase()))
      .join(";");
  }
  return value;
}

/** Equality as Exchange would see it (null and '' are the same for the OID list). */
export function sameSettingValue(
  name: SettingName,
  a: SettingValue | undefined,
  b: SettingValue | undefined,
): boolean {
  if (SETTINGS[name].type === "oidList") return (a ?? "") === (b ?? "");
  if (typeof a === "string" && typeof b === "string")
    return normaliseSettingValue(name, a) === normaliseSettingValue(name, b);
  return a === b;
}
