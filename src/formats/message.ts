/**
 * Certificates and CRLs carried by S/MIME messages: the CMS SignedData of clear-signed
 * (multipart/signed + application/(x-)pkcs7-signature), opaque-signed (application/(x-)pkcs7-mime
 * signed-data) and certs-only parts, wherever they sit (nested multipart/mixed, attached
 * message/rfc822, inside the content of another signed layer) and in every message of an mbox file.
 * Raw .p7s/.p7m files (DER CMS) go through read.ts's PKCS#7 path.
 *
 * The MIME structure comes from src/mime (the raw-bytes splitter the verifier uses too).
 */
import { parseSignedData } from "../cms/signed-data.js";
import {
  EmptyInputError,
  LimitExceededError,
  MalformedInputError,
  SmimetrustError,
  UnsupportedError,
} from "../errors.js";
import { DerReader, decodeOidEl } from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { decodedBody, isMbox, type MimeEntity, parseMessage, splitMbox } from "../mime/index.js";

export const MESSAGE_LIMITS = { maxNesting: 8, maxCmsParts: 256, maxMessages: 100_000 };

const SIG_TYPES = new Set(["application/pkcs7-signature", "application/x-pkcs7-signature"]);
const MIME_TYPES = new Set(["application/pkcs7-mime", "application/x-pkcs7-mime"]);

/**
 * True when text starts like an Internet message (or an mbox archive of them): header lines up to an
 * empty line, one of which is Content-Type.
 */
export function looksLikeMessage(text: string): boolean {
  const head = text.slice(0, 64 * 1024);
  if (head.startsWith("From ")) return /^content-type:/im.test(head);
  const end = head.search(/\r?\n\r?\n/);
  if (end < 0) return false;
  const lines = head.slice(0, end).split(/\r?\n/);
  if (!/^[!-9;-~]+:/.test(lines[0])) return false;
  // Every line is a header field or a folded continuation.
  if (!lines.every((l) => /^[!-9;-~]+:/.test(l) || /^[ \t]/.test(l))) return false;
  return lines.some((l) => /^content-type:/i.test(l));
}

export interface MessageCertificates {
  certificates: Uint8Array[];
  crls: Uint8Array[];
}

interface State {
  out: MessageCertificates;
  /** S/MIME parts seen, by kind, for the message when nothing was found. */
  signed: number;
  encrypted: number;
  /** Offset of the current message in the file (mbox), added to part offsets. */
  base: number;
}

/**
 * The certificates and CRLs in a message's (or mbox's) S/MIME parts, in document order, duplicates kept
 * (the trust list de-duplicates). Throws EmptyInputError when the message carries none.
 */
export function certificatesFromMessage(bytes: Uint8Array, file?: string): MessageCertificates {
  try {
    const st: State = { out: { certificates: [], crls: [] }, signed: 0, encrypted: 0, base: 0 };
    if (isMbox(bytes)) {
      const msgs = splitMbox(bytes, MESSAGE_LIMITS.maxMessages);
      for (const m of msgs) {
        st.base = m.bytes.buffer === bytes.buffer ? m.bytes.byteOffset - bytes.byteOffset : m.offset;
        readMessage(m.bytes, st);
      }
    } else readMessage(bytes, st);
    if (st.out.certificates.length === 0 && st.out.crls.length === 0) {
      if (st.encrypted > 0 && st.signed === 0) {
        throw new UnsupportedError(
          "the message is encrypted (S/MIME EnvelopedData); the certificates inside cannot be read without the recipient's key",
        );
      }
      throw new EmptyInputError(
        st.signed > 0
          ? "the message's S/MIME signature carries no certificates"
          : "an e-mail message without an S/MIME signature or certificates",
      );
    }
    return st.out;
  } catch (e) {
    if (e instanceof SmimetrustError) throw e.withFile(file ?? "");
    throw e;
  }
}

function readMessage(bytes: Uint8Array, st: State): void {
  const msg = parseMessage(bytes);
  const base = st.base;
  visit(msg, st, 0, (e) => base + e.offset);
}

/**
 * `at(e)` gives the file offset to report for a part: its own offset in a message read from the file,
 * or the enclosing signed part's offset for parts inside signed content (which is not in the file as is).
 */
type At = (e: MimeEntity) => number;

function visit(e: MimeEntity, st: State, nesting: number, at: At): void {
  const ct = e.contentType;
  const name = (ct.params.name ?? "").toLowerCase();
  const isSig =
    SIG_TYPES.has(ct.mediaType) || (ct.mediaType === "application/octet-stream" && /\.p7s$/.test(name));
  const isMime =
    MIME_TYPES.has(ct.mediaType) || (ct.mediaType === "application/octet-stream" && /\.p7[mc]$/.test(name));
  if (isSig || isMime) {
    readCms(e, st, nesting, at);
    return;
  }
  for (const p of e.parts) visit(p, st, nesting, at);
  if (e.message) visit(e.message, st, nesting, at);
}

function contentType(der: Uint8Array): string | undefined {
  try {
    const ci = new DerReader(der, 0, true).sequence("ContentInfo");
    return decodeOidEl(ci.read());
  } catch {
    return undefined;
  }
}

function readCms(e: MimeEntity, st: State, nesting: number, at: At): void {
  if (st.signed + st.encrypted >= MESSAGE_LIMITS.maxCmsParts)
    throw new LimitExceededError(`more than ${MESSAGE_LIMITS.maxCmsParts} S/MIME parts`);
  const where = `part ${e.path || "(the message body)"} (${e.contentType.mediaType})`;
  const der = decodedBody(e);
  const type = contentType(der);
  if (type === OID.envelopedData || type === OID.authEnvelopedData) {
    st.encrypted++;
    return;
  }
  if (der.length === 0 || der[0] !== 0x30)
    throw new MalformedInputError(`${where} is not CMS`, { offset: at(e) });
  // A ContentInfo that does not parse (type undefined) goes on to parseSignedData for the precise fault.
  if (type !== undefined && type !== OID.signedData) return; // compressed-data and the like carry no certificates
  st.signed++;
  let sd: ReturnType<typeof parseSignedData>;
  try {
    sd = parseSignedData(der);
  } catch (err) {
    // Offsets inside the decoded body mean nothing in the file: point at the part instead.
    if (err instanceof MalformedInputError)
      throw new MalformedInputError(`${where}: ${err.message}`, { offset: at(e) });
    throw err;
  }
  st.out.certificates.push(...sd.certificates);
  st.out.crls.push(...sd.crls);
  // Opaque signing: the signed content is itself a MIME entity that may hold further layers.
  if (sd.encapContent && sd.encapContentType === OID.data && nesting < MESSAGE_LIMITS.maxNesting) {
    let inner: MimeEntity | undefined;
    try {
      inner = parseMessage(sd.encapContent, { maxDepth: 16 });
    } catch (err) {
      if (!(err instanceof MalformedInputError)) throw err;
    }
    // Offsets inside the signed content are not in the file either: keep pointing at this part.
    const here = at(e);
    if (inner) visit(inner, st, nesting + 1, () => here);
  }
}
