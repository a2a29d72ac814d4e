/**
 * Microsoft serialized certificate store (.sst), the format Set-SmimeConfig -SMIMECertificateIssuingCA takes.
 *
 * Layout (shared/fixtures/sst/README.md): `00 00 00 00 'CERT'`, then records of three little-endian
 * uint32s {id, encoding type, length} and `length` value bytes. Property records (ids other than
 * 32/33/34) attach to the certificate/CRL/CTL record that follows them. A record with id 0 and 12 zero
 * bytes ends the store. The reader keeps every record as it found it, so writing back gives the same bytes.
 */
import { MalformedInputError } from "../errors.js";
import { digest } from "../lib/bytes.js";

export const SST_MAGIC = Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54); // 00000000 "CERT"

export const ELEMENT = { certificate: 32, crl: 33, ctl: 34 } as const;

export const PROP = {
  keyProviderInfo: 2,
  sha1Hash: 3,
  enhancedKeyUsage: 9,
  friendlyName: 11,
  keyIdentifier: 20,
  subjectNameMd5: 29,
  sha256Hash: 98,
} as const;

/** Hard bounds against hostile files. */
export const SST_LIMITS = { maxBytes: 64 * 1024 * 1024, maxRecords: 200_000 };

export interface SstProperty {
  id: number;
  /** Encoding type as stored (always 1 in the wild). */
  encoding: number;
  value: Uint8Array;
}

export interface SstElement {
  kind: "certificate" | "crl" | "ctl";
  /** The element's record id (32, 33 or 34). */
  id: number;
  encoding: number;
  /** The element's bytes: DER of the certificate, CRL or CTL. */
  value: Uint8Array;
  /** Byte offset of the element's record header in the file. */
  offset: number;
  properties: SstProperty[];
}

export interface SstStore {
  elements: SstElement[];
  /** Properties after the last element and before the end marker (never seen in practice, kept anyway). */
  trailingProperties: SstProperty[];
  /** Whether the file had an end record (a store without one still loads on Windows). */
  hasEndRecord: boolean;
}

const KIND: Record<number, SstElement["kind"]> = { 32: "certificate", 33: "crl", 34: "ctl" };

/** True when `bytes` starts with the SST header. */
export function isSst(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SST_MAGIC[i]) return false;
  return true;
}

/** Parses a whole .sst; throws MalformedInputError with the byte offset of the first fault. */
export function readSst(bytes: Uint8Array, file?: string): SstStore {
  const fail = (msg: string, offset: number): never => {
    throw new MalformedInputError(`malformed .sst: ${msg}`, { file, offset });
  };
  if (bytes.length > SST_LIMITS.maxBytes) fail(`file is larger than ${SST_LIMITS.maxBytes} bytes`, 0);
  if (bytes.length < 8) fail(`only ${bytes.length} bytes, too short for the header`, 0);
  if (!isSst(bytes)) fail("missing the 00000000 'CERT' header", 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: SstElement[] = [];
  let pending: SstProperty[] = [];
  let pos = 8;
  let records = 0;
  let hasEndRecord = false;
  while (pos < bytes.length) {
    if (++records > SST_LIMITS.maxRecords) fail(`more than ${SST_LIMITS.maxRecords} records`, pos);
    if (pos + 12 > bytes.length) fail(`truncated record header (${bytes.length - pos} of 12 bytes)`, pos);
    const id = dv.getUint32(pos, true);
    const encoding = dv.getUint32(pos + 4, true);
    const length = dv.getUint32(pos + 8, true);
    if (id === 0) {
      if (encoding !== 0 || length !== 0) fail("end record must be 12 zero bytes", pos);
      hasEndRecord = true;
      pos += 12;
      break;
    }
    const start = pos + 12;
    if (length > bytes.length - start)
      fail(`record ${id} claims ${length} bytes but only ${bytes.length - start} remain`, pos);
    const value = bytes.subarray(start, start + length);
    const kind = KIND[id];
    if (kind) {
      if (length === 0) fail(`empty ${kind} record`, pos);
      elements.push({ kind, id, encoding, value, offset: pos, properties: pending });
      pending = [];
    } else {
      pending.push({ id, encoding, value });
    }
    pos = start + length;
  }
  if (pos < bytes.length) fail(`${bytes.length - pos} bytes after the end record`, pos);
  if (!hasEndRecord && pending.length > 0)
    fail("properties without a certificate at end of file", bytes.length);
  return { elements, trailingProperties: pending, hasEndRecord };
}

function recordSize(p: { value: Uint8Array }): number {
  return 12 + p.value.length;
}

/** Serialises a store exactly as described: every property and element in order, then the end record. */
export function writeSst(store: SstStore): Uint8Array {
  let size = 8 + (store.hasEndRecord ? 12 : 0);
  for (const e of store.elements) {
    size += recordSize(e);
    for (const p of e.properties) size += recordSize(p);
  }
  for (const p of store.trailingProperties) size += recordSize(p);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(SST_MAGIC, 0);
  let pos = 8;
  const put = (id: number, encoding: number, value: Uint8Array) => {
    dv.setUint32(pos, id, true);
    dv.setUint32(pos + 4, encoding, true);
    dv.setUint32(pos + 8, value.length, true);
    out.set(value, pos + 12);
    pos += 12 + value.length;
  };
  for (const e of store.elements) {
    for (const p of e.properties) put(p.id, p.encoding, p.value);
    put(e.id, e.encoding, e.value);
  }
  for (const p of store.trailingProperties) put(p.id, p.encoding, p.value);
  if (store.hasEndRecord) pos += 12; // already zero
  return out;
}

export interface NewSstEntry {
  der: Uint8Array;
  /** Written as property 11 (UTF-16LE, NUL-terminated) when given. */
  friendlyName?: string;
}

/**
 * A new store the way Microsoft's own small files are written: for each certificate, property 3
 * (SHA-1 hash), an optional friendly name (property 11), then the certificate. Never property 2.
 */
export function createSst(entries: readonly NewSstEntry[]): Uint8Array {
  return writeSst({
    elements: entries.map((e) => {
      const properties: SstProperty[] = [{ id: PROP.sha1Hash, encoding: 1, value: digest("sha1", e.der) }];
      if (e.friendlyName !== undefined)
        properties.push({ id: PROP.friendlyName, encoding: 1, value: encodeFriendlyName(e.friendlyName) });
      return {
        kind: "certificate" as const,
        id: ELEMENT.certificate,
        encoding: 1,
        value: e.der,
        offset: 0,
        properties,
      };
    }),
    trailingProperties: [],
    hasEndRecord: true,
  });
}

export function encodeFriendlyName(name: string): Uint8Array {
  return new Uint8Array(Buffer.from(`${name}\0`, "utf16le"));
}

export function decodeFriendlyName(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf16le").replace(/\0+$/, "");
}

/** The certificates' DER in file order. */
export function sstCertificates(store: SstStore): SstElement[] {
  return store.elements.filter((e) => e.kind === "certificate");
}
