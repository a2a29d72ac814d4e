/**
 * The Exchange export (DESIGN.md): Get-SmimeConfig's properties by their own names, with
 * SMIMECertificateIssuingCA as base64 of the bytes (null when empty). The JSON and the trust-list bytes are
 * read by the audit's reader (src/formats/exchange-export.ts, one reader for the whole project); this module
 * adds the typed Set-SmimeConfig settings. A backup written by the apply script has the same shape.
 */

import { MalformedInputError } from "../errors.js";
import { readExchangeExport } from "../formats/exchange-export.js";
import { digest, hexUpper } from "../lib/bytes.js";
import type { Certificate } from "../x509/certificate.js";
import { SETTING_NAMES, SETTINGS, type SettingName, type SettingValue, UINT32_MAX } from "./settings.js";

export interface SmimeExport {
  file: string;
  /** Every property as exported (Identity, Name ... included). */
  properties: Record<string, unknown>;
  /** The trust list exactly as Exchange stores it, or null when none is set. */
  trustListBytes: Uint8Array | null;
  /** SHA-256 (upper-case hex) of those bytes; null when there are none. */
  trustListSha256: string | null;
  certificates: Certificate[];
  /** The Set-SmimeConfig settings present in the export, by name (absent ones are left out). */
  settings: Partial<Record<SettingName, SettingValue>>;
  /** Get-SmimeConfig's SMIMECertificatesExpiryDate / SMIMEExpiredCertificateThumbprint. */
  expiryDate?: string;
  expiryThumbprint?: string;
}

/**
 * Reads export (or backup) bytes. Bad JSON, a missing SMIMECertificateIssuingCA or a setting of the wrong
 * type is a MalformedInputError that names the file (and the property).
 */
export function readSmimeExport(bytes: Uint8Array, file: string): SmimeExport {
  const base = readExchangeExport(bytes, file);
  const settings: Partial<Record<SettingName, SettingValue>> = {};
  for (const name of SETTING_NAMES) {
    if (!Object.hasOwn(base.properties, name)) continue;
    const v = base.properties[name];
    const bad = (want: string) =>
      new MalformedInputError(`${name} must be ${want}, not ${JSON.stringify(v)}`, { file });
    const spec = SETTINGS[name];
    switch (spec.type) {
      case "boolean":
        if (v === null) continue; // NoSignOnReply can be unset on older tenants
        if (typeof v !== "boolean") throw bad("true or false");
        break;
      case "uint32":
      case "enum":
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > UINT32_MAX)
          throw bad("a UInt32 number");
        break;
      default:
        if (v !== null && typeof v !== "string") throw bad("a string or null");
    }
    settings[name] = v as SettingValue;
  }
  return {
    file,
    properties: base.properties,
    trustListBytes: base.trustListBytes,
    trustListSha256: base.trustListBytes ? hexUpper(digest("sha256", base.trustListBytes)) : null,
    certificates: base.certificates,
    settings,
    expiryDate: base.expiryDate,
    expiryThumbprint: base.expiryThumbprint,
  };
}
