/**
 * Reads certificates (and CRLs) out of any container, recognising the format from the content, never
 * from the extension: PEM (many blocks, text around them), DER, base64 without armour, PKCS#7
 * certificates-only, .sst, PKCS#12 (public certificates only), S/MIME messages and .p7s/.p7m.
 */

import { parseSignedData } from "../cms/signed-data.js";
import {
  EmptyInputError,
  LimitExceededError,
  MalformedInputError,
  SmimetrustError,
  UnknownFormatError,
  UnsupportedError,
} from "../errors.js";
import { DerError, DerReader, decodeOidEl, decodeSmallInt, TAG } from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { hasPemBegin, pemBlocks } from "../lib/pem.js";
import { Certificate } from "../x509/certificate.js";
import { certificatesFromMessage, looksLikeMessage } from "./message.js";
import { readPfxCertificates } from "./pfx.js";
import { isSst, readSst } from "./sst.js";

export type InputFormat = "pem" | "der" | "base64" | "sst" | "pkcs7" | "pkcs12" | "message" | "crl";

export interface ReadOptions {
  /** PKCS#12 password. */
  password?: string;
  /** Largest input accepted, in bytes. */
  maxBytes?: number;
  /** Most certificates accepted from one input. */
  maxCertificates?: number;
  /**
   * PKCS#12 key-derivation work budget of one file, in iterations over all its key derivations (MAC
   * included); default PBE_LIMITS.maxTotalIterations (5,000,000). Past it the file is refused.
   */
  pfxMaxIterations?: number;
}

export interface ReadResult {
  certificates: Certificate[];
  /** DER of CRLs found (PEM X509 CRL blocks, DER CRLs, CRLs inside PKCS#7). */
  crls: Uint8Array[];
  /** Things the user should know (private keys ignored, leaf ...). */
  warnings: string[];
  /** The detected format of the top-level input. */
  format: InputFormat;
}

export const READ_LIMITS = { maxBytes: 256 * 1024 * 1024, maxCertificates: 100_000 };

/**
 * Reads one input's bytes. `name` is what errors and `Certificate.source` call it.
 * Throws a SmimetrustError (with the name and, for binary formats, the byte offset) when the bytes are
 * not a readable container.
 */
export function readCertificateBytes(bytes: Uint8Array, name: string, opts: ReadOptions = {}): ReadResult {
  const maxBytes = opts.maxBytes ?? READ_LIMITS.maxBytes;
  try {
    if (bytes.length === 0) throw new EmptyInputError("empty input, no certificates");
    if (bytes.length > maxBytes)
      throw new LimitExceededError(`input is ${bytes.length} bytes, more than the limit of ${maxBytes}`);
    const out: ReadResult = { certificates: [], crls: [], warnings: [], format: "der" };
    readInto(bytes, name, opts, out, 0);
    const max = opts.maxCertificates ?? READ_LIMITS.maxCertificates;
    if (out.certificates.length > max) throw new LimitExceededError(`more than ${max} certificates`);
    return out;
  } catch (e) {
    if (e instanceof SmimetrustError) throw e.withFile(name);
    throw e;
  }
}

function readInto(bytes: Uint8Array, name: string, opts: ReadOptions, out: ReadResult, depth: number): void {
  if (depth > 4) throw new MalformedInputError("containers nested too deeply");
  if (isSst(bytes)) {
    out.format = "sst";
    const store = readSst(bytes, name);
    let i = 0;
    for (const e of store.elements) {
      if (e.kind === "certificate") {
        addCert(out, e.value, `${name}#${++i}`, e.offset + 12);
        if (e.properties.length) out.certificates[out.certificates.length - 1].sstProperties = e.properties;
      } else if (e.kind === "crl") out.crls.push(e.value);
    }
    return;
  }
  if (bytes[0] === TAG.SEQUENCE) {
    readDer(bytes, name, opts, out);
    return;
  }
  // Text saved as UTF-16 (PowerShell 5's Out-File and '>' write UTF-16LE with a BOM): read it as text.
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  ) {
    const be = bytes[0] === 0xfe;
    // Whole UTF-16 code units only (a stray last byte is dropped: swap16 refuses an odd length).
    const body = Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)));
    if (be) body.swap16();
    const decoded = Buffer.from(body.toString("utf16le"), "utf8");
    if (decoded.length === 0) throw new EmptyInputError("empty input, no certificates");
    try {
      readInto(decoded, name, opts, out, depth + 1);
    } catch (e) {
      // Certificate text is ASCII: character i of the decoded text is bytes 2 + 2i of the file.
      if (e instanceof SmimetrustError && e.offset !== undefined) throw relocate(e, 2 + 2 * e.offset);
      throw e;
    }
    return;
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A UTF-8 byte order mark (Notepad) is not part of the content. Only the head is made a string here: PEM
  // is found in the bytes themselves (a string of a large input costs more than the scan).
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  if (looksLikeMessage(buf.toString("latin1", bom, Math.min(buf.length, bom + 64 * 1024)))) {
    try {
      const m = certificatesFromMessage(bom ? bytes.subarray(bom) : bytes, name);
      out.format = "message";
      m.certificates.forEach((der, i) => {
        addCert(out, der, `${name}#${i + 1}`);
      });
      out.crls.push(...m.crls);
      return;
    } catch (e) {
      // A message without S/MIME parts may still carry PEM certificates in its text.
      if (!(e instanceof EmptyInputError) || !hasPemBegin(buf)) throw e;
    }
  }
  if (hasPemBegin(buf)) {
    out.format = "pem";
    readPem(buf, name, opts, out, depth);
    return;
  }
  let text = buf.toString("latin1");
  if (bom) text = " ".repeat(bom) + text.slice(bom);
  const b64 = text.replace(/[\r\n\t ]/g, "");
  if (b64.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    const der = Buffer.from(b64, "base64");
    if (der.length > 0 && der[0] === TAG.SEQUENCE) {
      try {
        readDer(der, name, opts, out);
      } catch (e) {
        // Offsets in the decoded bytes mean nothing to the user: point at the base64 text instead.
        if (e instanceof SmimetrustError && e.offset !== undefined)
          throw relocate(e, base64TextOffset(text, e.offset));
        throw e;
      }
      out.format = "base64";
      return;
    }
  }
  throw new UnknownFormatError(
    "not a certificate container (expected PEM, DER, base64, PKCS#7, PKCS#12, .sst or an S/MIME message)",
    { offset: 0 },
  );
}

/** The position in `text` of the base64 character that encodes decoded byte `offset`. */
function base64TextOffset(text: string, offset: number): number {
  const want = Math.floor(offset / 3) * 4 + (offset % 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (n === want) return i;
    n++;
  }
  return text.length;
}

/** A copy of a typed error with another offset. */
function relocate<E extends SmimetrustError>(e: E, offset: number): E {
  const copy = Object.create(Object.getPrototypeOf(e)) as E;
  Object.assign(copy, e, { offset });
  Object.defineProperty(copy, "message", { value: e.message });
  Object.defineProperty(copy, "stack", { value: e.stack });
  return copy;
}

/** The content type of a CMS ContentInfo, or undefined. */
function cmsType(bytes: Uint8Array): string | undefined {
  try {
    const ci = new DerReader(bytes, 0, true).sequence("ContentInfo");
    const el = ci.read();
    return el.tag === TAG.OID ? decodeOidEl(el) : undefined;
  } catch {
    return undefined;
  }
}

type DerKind = "certificate" | "crl" | "pkcs7" | "pkcs12";

/** Looks at the first elements to tell certificate, CRL, PKCS#7 ContentInfo and PFX apart. */
export function classifyDer(bytes: Uint8Array): DerKind | undefined {
  try {
    const top = new DerReader(bytes, 0, true);
    const outer = top.read();
    if (outer.tag !== TAG.SEQUENCE) return undefined;
    const r = top.child(outer);
    const first = r.read();
    if (first.tag === TAG.OID) return decodeOidEl(first) === OID.signedData ? "pkcs7" : undefined;
    if (first.tag === TAG.INTEGER) {
      if (decodeSmallInt(first) === 3 && r.peekTag() === TAG.SEQUENCE) return "pkcs12";
      return undefined;
    }
    if (first.tag !== TAG.SEQUENCE) return undefined;
    // TBSCertificate vs TBSCertList: after issuer, a cert has a validity SEQUENCE, a CRL a time.
    const tbs = r.child(first);
    if (tbs.peekTag() === 0xa0) return "certificate";
    if (tbs.peekTag() === TAG.INTEGER) tbs.read();
    tbs.read(); // signature algorithm
    tbs.read(); // issuer
    const next = tbs.peekTag();
    if (next === TAG.SEQUENCE) return "certificate";
    if (next === TAG.UTCTime || next === TAG.GeneralizedTime) return "crl";
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Two or more complete top-level SEQUENCEs that each look like a certificate, and nothing else: the
 * parts with their offsets. Anything else (one certificate, trailing bytes that are not a certificate)
 * gives undefined, and the input is read as one certificate (which reports the fault where it is).
 */
function concatenatedCertificates(bytes: Uint8Array): { der: Uint8Array; offset: number }[] | undefined {
  const parts: { der: Uint8Array; offset: number }[] = [];
  try {
    const r = new DerReader(bytes);
    while (!r.done) {
      if (r.peekTag() !== TAG.SEQUENCE) return undefined;
      const el = r.read();
      if (classifyDer(el.raw) !== "certificate") return undefined;
      parts.push({ der: el.raw, offset: el.offset });
    }
  } catch {
    return undefined;
  }
  return parts.length > 1 ? parts : undefined;
}

function readDer(bytes: Uint8Array, name: string, opts: ReadOptions, out: ReadResult): void {
  const kind = classifyDer(bytes);
  switch (kind) {
    case "certificate": {
      out.format = "der";
      // DER certificates simply appended to one another (`cat a.cer b.cer`, `copy /b a.cer+b.cer`).
      const parts = concatenatedCertificates(bytes);
      if (parts) {
        parts.forEach((p, i) => {
          addCert(out, p.der, `${name}#${i + 1}`, p.offset);
        });
        return;
      }
      addCert(out, bytes, name, 0);
      return;
    }
    case "crl":
      out.format = "crl";
      out.crls.push(bytes);
      return;
    case "pkcs7": {
      out.format = "pkcs7";
      const sd = parseSignedData(bytes, name);
      sd.certificates.forEach((der, i) => {
        addCert(out, der, `${name}#${i + 1}`);
      });
      out.crls.push(...sd.crls);
      return;
    }
    case "pkcs12": {
      out.format = "pkcs12";
      const p = readPfxCertificates(bytes, opts.password, name, { maxIterations: opts.pfxMaxIterations });
      p.certificates.forEach((der, i) => {
        addCert(out, der, `${name}#${i + 1}`);
      });
      out.crls.push(...p.crls);
      if (p.certificates.length === 0 && p.crls.length === 0)
        throw new EmptyInputError(
          `PKCS#12 without certificates${p.privateKeys > 0 ? ` (${keysIgnored(p.privateKeys)})` : ""}`,
        );
      if (p.privateKeys > 0) out.warnings.push(`${name}: ${keysIgnored(p.privateKeys)}`);
      return;
    }
    default: {
      // Try as a certificate anyway, to report the precise fault.
      try {
        new DerReader(bytes).read();
      } catch (e) {
        if (e instanceof DerError)
          throw new MalformedInputError(`malformed DER: ${e.message.replace(/ at byte \d+$/, "")}`, {
            offset: e.offset,
          });
      }
      const cms = cmsType(bytes);
      if (cms === OID.envelopedData || cms === OID.authEnvelopedData) {
        throw new UnsupportedError(
          "encrypted CMS (EnvelopedData, an encrypted .p7m): the certificates inside cannot be read without the recipient's key",
          {
            offset: 0,
          },
        );
      }
      throw new UnknownFormatError("DER data that is not a certificate, CRL, PKCS#7 or PKCS#12", {
        offset: 0,
      });
    }
  }
}

function keysIgnored(n: number): string {
  return `ignored ${n} private key${n > 1 ? "s" : ""} (never extracted or stored)`;
}

function readPem(buf: Buffer, name: string, opts: ReadOptions, out: ReadResult, depth: number): void {
  let found = 0;
  const before = out.certificates.length + out.crls.length;
  const ignored: string[] = [];
  for (const block of pemBlocks(buf)) {
    const { label, offset } = block;
    const body = buf.toString("latin1", block.bodyStart, block.bodyEnd);
    // Skip RFC 1421 headers (Proc-Type etc.) if any, then insist on clean base64.
    const lines = body.split(/\r?\n/).map((l) => l.trim());
    const b64Lines = lines.filter((l) => l.length > 0 && !/^[A-Za-z-]+:/.test(l));
    const b64 = b64Lines.join("");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
      const bad = findBadBase64(block.bodyStart, body);
      throw new MalformedInputError(`broken base64 in PEM block '${label}'`, { offset: bad });
    }
    const der = Buffer.from(b64, "base64");
    if (der.length === 0) throw new MalformedInputError(`empty PEM block '${label}'`, { offset });
    found++;
    switch (label) {
      case "CERTIFICATE":
      case "X509 CERTIFICATE":
      case "TRUSTED CERTIFICATE":
        addCert(
          out,
          trustedCertPrefix(der, label),
          `${name}#${out.certificates.length + 1}`,
          undefined,
          offset,
        );
        break;
      case "X509 CRL":
        out.crls.push(der);
        break;
      case "PKCS7":
      case "CMS": {
        const sd = parseSignedData(der, name);
        for (const c of sd.certificates)
          addCert(out, c, `${name}#${out.certificates.length + 1}`, undefined, offset);
        out.crls.push(...sd.crls);
        break;
      }
      case "PKCS12": {
        const p = readPfxCertificates(der, opts.password, name, { maxIterations: opts.pfxMaxIterations });
        for (const c of p.certificates)
          addCert(out, c, `${name}#${out.certificates.length + 1}`, undefined, offset);
        out.crls.push(...p.crls);
        if (p.privateKeys > 0) out.warnings.push(`${name}: ${keysIgnored(p.privateKeys)}`);
        break;
      }
      case "PRIVATE KEY":
      case "RSA PRIVATE KEY":
      case "EC PRIVATE KEY":
      case "ENCRYPTED PRIVATE KEY":
        out.warnings.push(`${name}: ignored a '${label}' block (private keys are never read or stored)`);
        ignored.push(label);
        break;
      default:
        out.warnings.push(`${name}: ignored a '${label}' PEM block`);
        ignored.push(label);
    }
  }
  if (found === 0) {
    const at = buf.indexOf("-----BEGIN ");
    throw new MalformedInputError("PEM block without a matching END line", { offset: at });
  }
  if (out.certificates.length + out.crls.length === before) {
    // Only blocks that are not certificates (a private key, a request): nothing to use, and say why.
    const keys = ignored.some((l) => l.includes("PRIVATE KEY"));
    const labels = [...new Set(ignored)].map((l) => `'${l}'`).join(", ");
    throw new EmptyInputError(
      ignored.length === 0
        ? "no certificates in its PEM blocks"
        : `no certificates, only ${labels} PEM block${ignored.length > 1 ? "s" : ""}${keys ? " (private keys are never read or stored)" : ""}`,
    );
  }
  void depth;
}

/** OpenSSL's TRUSTED CERTIFICATE is a certificate followed by trust settings: keep the certificate. */
function trustedCertPrefix(der: Uint8Array, label: string): Uint8Array {
  if (label !== "TRUSTED CERTIFICATE") return der;
  try {
    return new DerReader(der).read().raw;
  } catch {
    return der;
  }
}

function findBadBase64(start: number, body: string): number {
  const lines = body.split("\n");
  let off = start;
  for (const l of lines) {
    const t = l.replace(/\r$/, "");
    if (!/^[A-Za-z-]+:/.test(t.trim())) {
      const i = t.search(/[^A-Za-z0-9+/= \t]/);
      if (i >= 0) return off + i;
    }
    off += l.length + 1;
  }
  return start;
}

function addCert(out: ReadResult, der: Uint8Array, source: string, base?: number, textOffset?: number): void {
  let cert: Certificate;
  try {
    cert = new Certificate(der, base ?? 0);
  } catch (e) {
    if (e instanceof MalformedInputError) {
      // Byte offsets are meaningful only when the DER sits in the file as-is; for a PEM block, point at
      // its BEGIN line; for certificates inside other containers (PKCS#7, PKCS#12, messages), say which one.
      if (base !== undefined) throw e;
      const hash = source.lastIndexOf("#");
      const which = hash >= 0 ? `certificate ${source.slice(hash)}` : "certificate";
      throw new MalformedInputError(
        `${which}: ${e.message}`,
        textOffset === undefined ? {} : { offset: textOffset },
      );
    }
    throw e;
  }
  cert.source = source;
  out.certificates.push(cert);
}
