/**
 * Finds the S/MIME layers of a parsed message: clear-signed multipart/signed parts, opaque-signed
 * application/(x-)pkcs7-mime signed-data, enveloped data (which cannot be opened without the key) and
 * certificate-only bags. Signed parts are found wherever they sit: at the top, inside multipart/mixed,
 * inside an attached message/rfc822, or inside the content of another signed layer.
 */

import { cmsContentType } from "../cms/signed-data.js";
import { OID } from "../lib/oids.js";
import { MimeError } from "../mime/errors.js";
import { parseAddress } from "../mime/headers.js";
import { decodedBody, type MimeEntity, parseMessage } from "../mime/parse.js";

export type Layer =
  | {
      kind: "detached";
      /** Where the multipart/signed entity sits ("" = the message itself). */
      path: string;
      /** The first body part exactly as between its boundary lines: what the signature covers. */
      content: Uint8Array;
      /** The decoded signature part (DER/BER CMS). */
      cms: Uint8Array;
      /** Sender address of the (possibly attached) message the layer belongs to. */
      from?: string;
    }
  | { kind: "opaque"; path: string; cms: Uint8Array; from?: string }
  | { kind: "encrypted"; path: string }
  | { kind: "certs-only"; path: string }
  | { kind: "malformed"; path: string; detail: string };

const SIG_TYPES = new Set(["application/pkcs7-signature", "application/x-pkcs7-signature"]);
const MIME_TYPES = new Set(["application/pkcs7-mime", "application/x-pkcs7-mime"]);

export interface LocateLimits {
  /** Most layers reported for one message. */
  maxLayers: number;
  /** Deepest nesting of signed-in-signed content. */
  maxNesting: number;
}

const DEFAULT_LIMITS: LocateLimits = { maxLayers: 64, maxNesting: 8 };

/** All S/MIME layers of `msg`, outermost first. */
export function locateLayers(msg: MimeEntity, limits: LocateLimits = DEFAULT_LIMITS): Layer[] {
  const out: Layer[] = [];
  visit(msg, senderOf(msg), out, limits, 0);
  return out;
}

/**
 * The sender a signature must match: the From address; a From header with no address in it is kept as it
 * stands (it matches no certificate: SENDER_MISMATCH, never a skipped check); undefined when there is none.
 */
function senderOf(e: MimeEntity): string | undefined {
  const raw = e.headers.get("from");
  if (raw === undefined) return undefined;
  return parseAddress(raw) ?? (raw.trim() || "(an empty From header)");
}

function visit(
  e: MimeEntity,
  from: string | undefined,
  out: Layer[],
  limits: LocateLimits,
  nesting: number,
): void {
  if (out.length >= limits.maxLayers) return;
  const ct = e.contentType;
  if (ct.mediaType === "multipart/signed") {
    const protocol = (ct.params.protocol ?? "").toLowerCase();
    if (e.parts.length < 2) {
      out.push({ kind: "malformed", path: e.path, detail: "multipart/signed without its two parts" });
      return;
    }
    const sigPart = e.parts[1];
    if (!SIG_TYPES.has(protocol) && !SIG_TYPES.has(sigPart.contentType.mediaType)) {
      // Another protocol (e.g. PGP/MIME): not S/MIME; look inside the content only.
      visit(e.parts[0], from, out, limits, nesting);
      return;
    }
    out.push({ kind: "detached", path: e.path, content: e.parts[0].raw, cms: decodedBody(sigPart), from });
    if (nesting < limits.maxNesting) visit(e.parts[0], from, out, limits, nesting + 1);
    return;
  }
  if (
    MIME_TYPES.has(ct.mediaType) ||
    (ct.mediaType === "application/octet-stream" && /\.p7m$/i.test(ct.params.name ?? ""))
  ) {
    const smimeType = (ct.params["smime-type"] ?? "").toLowerCase();
    const der = decodedBody(e);
    const type = cmsContentType(der);
    if (
      smimeType === "enveloped-data" ||
      smimeType === "authenveloped-data" ||
      type === OID.envelopedData ||
      type === OID.authEnvelopedData
    ) {
      out.push({ kind: "encrypted", path: e.path });
      return;
    }
    if (smimeType === "certs-only") {
      out.push({ kind: "certs-only", path: e.path });
      return;
    }
    if (smimeType === "compressed-data") return;
    if (type === undefined) {
      out.push({ kind: "malformed", path: e.path, detail: `${ct.mediaType} body is not CMS` });
      return;
    }
    if (type !== OID.signedData) return;
    out.push({ kind: "opaque", path: e.path, cms: der, from });
    return;
  }
  for (const p of e.parts) visit(p, from, out, limits, nesting);
  if (e.message) visit(e.message, senderOf(e.message) ?? from, out, limits, nesting);
}

/**
 * The MIME entity inside opaque-signed content (for finding nested layers), or undefined when the
 * content is not MIME.
 */
export function parseInner(content: Uint8Array, path: string): MimeEntity | undefined {
  try {
    const e = parseMessage(content, { maxDepth: 16 });
    relabel(e, path);
    return e;
  } catch (err) {
    if (err instanceof MimeError) return undefined;
    throw err;
  }
}

function relabel(e: MimeEntity, base: string): void {
  const fix = (x: MimeEntity) => {
    x.path = base ? (x.path ? `${base}.${x.path}` : base) : x.path;
    for (const p of x.parts) fix(p);
    if (x.message) fix(x.message);
  };
  fix(e);
}

/** Layers inside opaque-signed content (called by the verifier once the content is known). */
export function locateInner(
  content: Uint8Array,
  path: string,
  from: string | undefined,
  nesting: number,
  limits: LocateLimits = DEFAULT_LIMITS,
): Layer[] {
  if (nesting >= limits.maxNesting) return [];
  const inner = parseInner(content, path);
  if (!inner) return [];
  const out: Layer[] = [];
  visit(inner, senderOf(inner) ?? from, out, limits, nesting + 1);
  return out;
}
