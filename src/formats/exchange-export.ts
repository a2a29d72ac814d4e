/**
 * Reads the Exchange export JSON (DESIGN.md): Get-SmimeConfig's properties by their own names, with
 * `SMIMECertificateIssuingCA` as base64 of the uploaded .sst bytes (null when empty). Written here because
 * src/exchange/export.ts did not exist when the audit was built; it accepts what PowerShell really
 * writes: UTF-8 with or without BOM, UTF-16LE (Windows PowerShell's Out-File), a one-element array, and the
 * byte array form that ConvertTo-Json gives for a raw byte[].
 */

import { MalformedInputError } from "../errors.js";
import type { Certificate } from "../x509/certificate.js";
import { readCertificateBytes } from "./read.js";

export const EXPORT_KEY = "SMIMECertificateIssuingCA";

export interface ExchangeExport {
  /** Every property as exported. */
  properties: Record<string, unknown>;
  /** The trust list's bytes as uploaded (.sst or whatever was uploaded), or null when none is set. */
  trustListBytes: Uint8Array | null;
  certificates: Certificate[];
  /** Get-SmimeConfig's own view of the earliest expiry, when present. */
  expiryDate?: string;
  expiryThumbprint?: string;
}

function decodeText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString("utf16le");
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString("utf8");
  if (b.length >= 2 && b[0] !== 0 && b[1] === 0) return b.toString("utf16le");
  return b.toString("utf8");
}

/** True when the bytes look like a JSON document with the SMIMECertificateIssuingCA key (cheap test). */
export function isExchangeExport(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 64 * 1024 * 1024) return false;
  const text = decodeText(bytes.subarray(0, Math.min(bytes.length, 4 * 1024 * 1024))).trimStart();
  if (!text.startsWith("{") && !text.startsWith("[")) return false;
  return text.includes(`"${EXPORT_KEY}"`);
}

/** Parses an export; throws MalformedInputError naming the file when it is not one. */
export function readExchangeExport(bytes: Uint8Array, file: string): ExchangeExport {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeText(bytes));
  } catch (e) {
    throw new MalformedInputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  if (Array.isArray(doc) && doc.length === 1) doc = doc[0];
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || !(EXPORT_KEY in doc)) {
    throw new MalformedInputError(
      `not an Exchange export: expected an object with ${EXPORT_KEY} (Get-SmimeConfig | ConvertTo-Json)`,
      { file },
    );
  }
  const properties = doc as Record<string, unknown>;
  const raw = properties[EXPORT_KEY];
  let trustListBytes: Uint8Array | null = null;
  if (typeof raw === "string") {
    const clean = raw.replace(/\s+/g, "");
    if (clean.length > 0) {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean))
        throw new MalformedInputError(`${EXPORT_KEY} is not base64`, { file });
      trustListBytes = new Uint8Array(Buffer.from(clean, "base64"));
    }
  } else if (Array.isArray(raw)) {
    if (!raw.every((x) => Number.isInteger(x) && x >= 0 && x <= 255))
      throw new MalformedInputError(`${EXPORT_KEY} is an array but not of bytes`, { file });
    if (raw.length > 0) trustListBytes = Uint8Array.from(raw as number[]);
  } else if (raw !== null && raw !== undefined) {
    throw new MalformedInputError(`${EXPORT_KEY} must be base64 text or null`, { file });
  }
  const certificates = trustListBytes
    ? readCertificateBytes(trustListBytes, `${file}:${EXPORT_KEY}`).certificates
    : [];
  const out: ExchangeExport = { properties, trustListBytes, certificates };
  const ed = properties.SMIMECertificatesExpiryDate;
  if (typeof ed === "string") out.expiryDate = ed;
  const et = properties.SMIMEExpiredCertificateThumbprint;
  if (typeof et === "string") out.expiryThumbprint = et;
  return out;
}
