/**
 * A raw-bytes MIME splitter (RFC 2045/2046/5322). Every entity keeps exact views (`subarray`) of the
 * input: `raw` is the entity as it stands between its boundary lines (headers + body), which is what an
 * S/MIME multipart/signed signature covers. Nothing is copied; transfer decoding happens on request.
 *
 * Per RFC 2046 section 5.1.1 the line break before a boundary line belongs to the boundary, so a part's
 * `raw` ends before it. CRLF and LF-only input are both read. Parsing is bounded (depth, parts, header
 * sizes) so hostile input cannot make it run away.
 */
import { MimeError, NotMailError } from "./errors.js";
import {
  type ContentType,
  DEFAULT_CONTENT_TYPE,
  type Headers,
  parseContentType,
  parseHeaderSection,
} from "./headers.js";
import { decodeTransfer } from "./transfer.js";

export interface MimeLimits {
  /** Deepest nesting of multiparts and attached messages. */
  maxDepth: number;
  /** Most entities in one message. */
  maxParts: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  /** Largest input accepted, in bytes. */
  maxBytes: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = {
  maxDepth: 32,
  maxParts: 10_000,
  maxHeaderBytes: 1 << 20,
  maxHeaders: 2_000,
  maxBytes: 2 ** 31 - 1,
};

export interface MimeEntity {
  /** Where the entity sits: "" for the message itself, "1", "2", "1.2" ... (IMAP-style numbering). */
  path: string;
  headers: Headers;
  contentType: ContentType;
  /** True when Content-Type was present and parsed (false: the RFC 2045 default text/plain applies). */
  explicitType: boolean;
  /** Lower-case Content-Transfer-Encoding, "7bit" when absent. */
  transferEncoding: string;
  /** The whole entity, headers and body, exactly as in the input. */
  raw: Uint8Array;
  /** The encoded body (after the empty line). */
  body: Uint8Array;
  /** Offset of `raw` in the outermost input. */
  offset: number;
  /** Sub-entities of a multipart (empty otherwise). */
  parts: MimeEntity[];
  /** For message/rfc822 (and message/global): the attached message. */
  message?: MimeEntity;
  /** Deviations tolerated while parsing ("missing close delimiter", ...). */
  defects: string[];
  /** Depth in the tree (0 for the message). */
  depth: number;
}

interface State {
  limits: MimeLimits;
  count: number;
  root: Uint8Array;
}

/** Parses a whole message (headers and body). Throws MimeError when it is not a message at all. */
export function parseMessage(bytes: Uint8Array, limits: Partial<MimeLimits> = {}): MimeEntity {
  const l = { ...DEFAULT_MIME_LIMITS, ...limits };
  if (bytes.length === 0) throw new NotMailError("empty file");
  if (bytes.length > l.maxBytes) throw new MimeError(`message larger than ${l.maxBytes} bytes`);
  const st: State = { limits: l, count: 0, root: bytes };
  const e = parseEntity(bytes, "", 0, st, true);
  if (!e) throw new NotMailError("no header section");
  return e;
}

/** Transfer-decoded body of an entity (a fresh buffer for base64/quoted-printable, a view otherwise). */
export function decodedBody(e: MimeEntity): Uint8Array {
  return decodeTransfer(e.transferEncoding, e.body);
}

function offsetIn(st: State, view: Uint8Array): number {
  return view.byteOffset - st.root.byteOffset;
}

function parseEntity(
  raw: Uint8Array,
  path: string,
  depth: number,
  st: State,
  top: boolean,
): MimeEntity | undefined {
  if (depth > st.limits.maxDepth) throw new MimeError(`MIME nesting deeper than ${st.limits.maxDepth}`);
  if (++st.count > st.limits.maxParts) throw new MimeError(`more than ${st.limits.maxParts} MIME parts`);
  const hs = parseHeaderSection(raw, st.limits);
  if (top && !hs.hasHeaders) return undefined;
  const ctValue = hs.headers.get("content-type");
  const parsed = parseContentType(ctValue);
  const defects: string[] = [];
  if (ctValue !== undefined && !parsed) defects.push("unparseable Content-Type");
  const e: MimeEntity = {
    path,
    headers: hs.headers,
    contentType: parsed ?? DEFAULT_CONTENT_TYPE,
    explicitType: parsed !== undefined,
    transferEncoding: (hs.headers.get("content-transfer-encoding") ?? "7bit").trim().toLowerCase(),
    raw,
    body: raw.subarray(hs.bodyOffset),
    offset: offsetIn(st, raw),
    parts: [],
    defects,
    depth,
  };
  const ct = e.contentType;
  if (ct.type === "multipart") {
    const boundary = ct.params.boundary;
    if (!boundary) {
      defects.push("multipart without boundary");
    } else if (boundary.length > 200) {
      defects.push("boundary longer than 200 characters");
    } else {
      const split = splitMultipart(e.body, boundary);
      defects.push(...split.defects);
      split.parts.forEach((p, i) => {
        const child = parseEntity(p, path ? `${path}.${i + 1}` : String(i + 1), depth + 1, st, false);
        if (child) e.parts.push(child);
      });
    }
  } else if (ct.mediaType === "message/rfc822" || ct.mediaType === "message/global") {
    const inner =
      e.transferEncoding === "base64" || e.transferEncoding === "quoted-printable" ? decodedBody(e) : e.body;
    if (inner.length > 0) {
      // The attached message keeps this entity's path; its parts continue the numbering ("2.1", "2.2").
      const msg =
        inner === e.body
          ? parseEntity(inner, path, depth + 1, st, true)
          : parseDetached(inner, path, depth + 1, st);
      if (msg) e.message = msg;
      else defects.push("attached message has no header section");
    }
  }
  return e;
}

/** Parses decoded bytes that are not a view of the root (offsets are then relative to them). */
function parseDetached(bytes: Uint8Array, path: string, depth: number, st: State): MimeEntity | undefined {
  const sub: State = { limits: st.limits, count: st.count, root: bytes };
  const e = parseEntity(bytes, path, depth, sub, true);
  st.count = sub.count;
  return e;
}

export interface MultipartSplit {
  preamble: Uint8Array;
  parts: Uint8Array[];
  epilogue: Uint8Array;
  defects: string[];
}

/**
 * Splits a multipart body on `boundary`. A delimiter is "--boundary" at the start of a line, optionally
 * followed by "--" (the close delimiter), then only spaces/tabs up to the line end. Each part is the
 * bytes after the delimiter line up to (not including) the line break before the next delimiter.
 */
export function splitMultipart(body: Uint8Array, boundary: string): MultipartSplit {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundary}`, "latin1");
  const parts: Uint8Array[] = [];
  const defects: string[] = [];
  let preamble: Uint8Array = body.subarray(0, 0);
  let epilogue: Uint8Array = body.subarray(body.length);
  let partStart = -1;
  let closed = false;
  let from = 0;
  for (;;) {
    const hit = findDelimiter(buf, delim, from);
    if (!hit) break;
    // the line break before the delimiter belongs to it
    let end = hit.at;
    if (end > 0 && buf[end - 1] === 0x0a) {
      end--;
      if (end > 0 && buf[end - 1] === 0x0d) end--;
    }
    if (partStart < 0) preamble = body.subarray(0, end);
    else parts.push(body.subarray(partStart, end));
    if (hit.close) {
      closed = true;
      epilogue = body.subarray(hit.next);
      break;
    }
    partStart = hit.next;
    from = hit.next;
  }
  if (partStart < 0) {
    defects.push("no boundary delimiter found");
    return { preamble: body, parts, epilogue, defects };
  }
  if (!closed) {
    defects.push("missing close delimiter");
    parts.push(body.subarray(partStart));
  }
  return { preamble, parts, epilogue, defects };
}

function findDelimiter(
  buf: Buffer,
  delim: Buffer,
  from: number,
): { at: number; close: boolean; next: number } | undefined {
  let i = from;
  const n = buf.length;
  for (;;) {
    i = buf.indexOf(delim, i);
    if (i < 0) return undefined;
    if (i === 0 || buf[i - 1] === 0x0a) {
      let p = i + delim.length;
      let close = false;
      if (p + 1 < n && buf[p] === 0x2d && buf[p + 1] === 0x2d) {
        close = true;
        p += 2;
      }
      while (p < n && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
      if (p >= n) return { at: i, close, next: n };
      if (buf[p] === 0x0a) return { at: i, close, next: p + 1 };
      if (buf[p] === 0x0d && p + 1 < n && buf[p + 1] === 0x0a) return { at: i, close, next: p + 2 };
      if (buf[p] === 0x0d && p + 1 === n) return { at: i, close, next: n };
      // a close delimiter may be followed by anything up to the line end in practice
      if (close) {
        const eol = buf.indexOf(0x0a, p);
        return { at: i, close, next: eol < 0 ? n : eol + 1 };
      }
    }
    i += 1;
  }
}

/** Visits every entity depth first (parts, then attached messages). */
export function* walk(e: MimeEntity): Generator<MimeEntity> {
  yield e;
  for (const p of e.parts) yield* walk(p);
  if (e.message) yield* walk(e.message);
}
