/**
 * RFC 5322 header sections and RFC 2045/2231 structured fields, read from raw bytes.
 *
 * Tolerant by design (mail in the wild is messy): CRLF or LF line ends, folded lines, case-insensitive
 * names, quoted strings with escapes, comments, RFC 2231 parameter continuations and charsets.
 * Bounded: a header section larger than `maxHeaderBytes` or with more than `maxHeaders` fields is refused.
 */
import { MimeError } from "./errors.js";

export interface HeaderField {
  /** The name as written. */
  name: string;
  /** Lower-case name, for lookups. */
  key: string;
  /** The value, unfolded (line breaks of folding removed), leading/trailing whitespace trimmed. */
  value: string;
}

/**
 * The fields of a header section. Read from bytes, a field is only located (where its name and value lines
 * are); names are matched on the bytes and a value is decoded the first time it is asked for, so a message
 * whose code reads four headers pays for four strings, not for every Received line.
 */
export class Headers {
  private readonly buf?: Buffer;
  /** Per field: name start, name end, value start, value end (the first line's), in `buf`. */
  private readonly spans?: number[];
  /** Folded continuation lines (value ranges) per field index, for the fields that have any. */
  private readonly folded?: Map<number, [number, number][]>;
  private readonly values: (string | undefined)[] = [];
  private list?: HeaderField[];

  constructor(fields: HeaderField[]);
  /** @internal Fields located in `buf` by parseHeaderSection. */
  constructor(
    fields: undefined,
    buf: Buffer,
    spans: number[],
    folded: Map<number, [number, number][]> | undefined,
  );
  constructor(
    fields?: HeaderField[],
    buf?: Buffer,
    spans?: number[],
    folded?: Map<number, [number, number][]>,
  ) {
    if (fields) this.list = fields;
    else {
      this.buf = buf;
      this.spans = spans;
      this.folded = folded;
    }
  }

  /** Every field, in order. */
  get fields(): HeaderField[] {
    if (!this.list) {
      const out: HeaderField[] = [];
      for (let i = 0; i < this.count; i++) {
        const name = this.nameAt(i);
        out.push({ name, key: name.toLowerCase(), value: this.valueAt(i) });
      }
      this.list = out;
    }
    return this.list;
  }

  private get count(): number {
    return this.spans ? this.spans.length >> 2 : this.list!.length;
  }

  private nameAt(i: number): string {
    return this.buf!.toString("latin1", this.spans![4 * i], this.spans![4 * i + 1]);
  }

  private valueAt(i: number): string {
    let v = this.values[i];
    if (v === undefined) {
      const b = this.buf!;
      v = b.toString("utf8", this.spans![4 * i + 2], this.spans![4 * i + 3]);
      const more = this.folded?.get(i);
      if (more) for (const [s, e] of more) v += b.toString("utf8", s, e);
      // Line breaks of folding are removed (a lone CR can remain inside a line).
      if (v.includes("\r") || v.includes("\n")) v = v.replace(/[\r\n]+/g, "");
      v = v.trim();
      this.values[i] = v;
    }
    return v;
  }

  /** True when field `i`'s name is `k` (lower case) regardless of case; names are ASCII. */
  private nameIs(i: number, k: string): boolean {
    const s = this.spans!;
    const ns = s[4 * i];
    if (s[4 * i + 1] - ns !== k.length) return false;
    const b = this.buf!;
    for (let j = 0; j < k.length; j++) {
      let c = b[ns + j];
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== k.charCodeAt(j)) return false;
    }
    return true;
  }

  /** First value of a header (case-insensitive name), or undefined. */
  get(name: string): string | undefined {
    const k = name.toLowerCase();
    if (!this.spans) {
      for (const f of this.list!) if (f.key === k) return f.value;
      return undefined;
    }
    const n = this.count;
    for (let i = 0; i < n; i++) if (this.nameIs(i, k)) return this.valueAt(i);
    return undefined;
  }

  getAll(name: string): string[] {
    const k = name.toLowerCase();
    return this.fields.filter((f) => f.key === k).map((f) => f.value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

export interface HeaderLimits {
  maxHeaderBytes: number;
  maxHeaders: number;
}

export interface HeaderSection {
  headers: Headers;
  /** Offset of the body (after the empty line) within the input; equals input length when there is no body. */
  bodyOffset: number;
  /** True when the input began with a header field (false: no header section, e.g. a part with only a body). */
  hasHeaders: boolean;
}

function isNameChar(c: number): boolean {
  // printable US-ASCII except ':' and space (RFC 5322 ftext)
  return c >= 33 && c <= 126 && c !== 58;
}

/**
 * Splits `buf` into its header section and body. A line that is neither a field, a continuation nor
 * the empty line ends the header section only if no field was read yet (then the whole input is body);
 * later stray lines are skipped, as mail readers do.
 */
export function parseHeaderSection(buf: Uint8Array, limits: HeaderLimits): HeaderSection {
  const n = buf.length;
  // One Buffer view for the whole section: its indexOf and string decoders are native, and taking them on
  // offsets needs no view per line.
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const spans: number[] = [];
  let folded: Map<number, [number, number][]> | undefined;
  let count = 0;
  /** True while a field is open (its continuation lines may follow). */
  let open = false;
  const close = () => {
    if (!open) return;
    open = false;
    if (++count > limits.maxHeaders) throw new MimeError(`more than ${limits.maxHeaders} header fields`);
  };
  const section = (bodyOffset: number, hasHeaders: boolean): HeaderSection => ({
    headers: new Headers(undefined, b, spans, folded),
    bodyOffset,
    hasHeaders,
  });
  let p = 0;
  while (p < n) {
    if (p > limits.maxHeaderBytes)
      throw new MimeError(`header section larger than ${limits.maxHeaderBytes} bytes`);
    // find end of line
    const eol = b.indexOf(0x0a, p);
    const lineEnd = eol < 0 ? n : eol; // exclusive, before LF
    const next = eol < 0 ? n : eol + 1;
    let contentEnd = lineEnd;
    if (contentEnd > p && b[contentEnd - 1] === 0x0d) contentEnd--;
    if (contentEnd === p) {
      // empty line: end of headers
      close();
      return section(next, true);
    }
    const c0 = b[p];
    if ((c0 === 0x20 || c0 === 0x09) && open) {
      folded ??= new Map();
      const i = spans.length / 4 - 1;
      const list = folded.get(i);
      if (list) list.push([p, contentEnd]);
      else folded.set(i, [[p, contentEnd]]);
      p = next;
      continue;
    }
    // field name
    let q = p;
    while (q < contentEnd && isNameChar(b[q])) q++;
    let colon = q;
    while (colon < contentEnd && (b[colon] === 0x20 || b[colon] === 0x09)) colon++; // "Name :" (obsolete syntax)
    if (q > p && colon < contentEnd && b[colon] === 0x3a) {
      close();
      spans.push(p, q, colon + 1, contentEnd);
      open = true;
      p = next;
      continue;
    }
    if (p === 0 && isFromLine(buf, p, contentEnd)) {
      // an mbox "From " separator line before the headers
      p = next;
      continue;
    }
    if (spans.length === 0) {
      // Not a header line at the very start: there is no header section (RFC 2046 allows a part without headers
      // only when it starts with the empty line, but be lenient).
      return { headers: new Headers([]), bodyOffset: 0, hasHeaders: false };
    }
    // stray line inside the header section: skip it
    close();
    p = next;
  }
  close();
  return section(n, spans.length > 0);
}

function isFromLine(buf: Uint8Array, p: number, end: number): boolean {
  return end - p >= 5 && latin1(buf, p, p + 5) === "From ";
}

export function latin1(buf: Uint8Array, s: number, e: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("latin1");
}

export function indexOfByte(buf: Uint8Array, byte: number, from: number): number {
  return buf.indexOf(byte, from);
}

// ---- structured values ----------------------------------------------------

export interface ContentType {
  /** "text", "multipart", ... (lower case) */
  type: string;
  subtype: string;
  /** "multipart/signed" (lower case) */
  mediaType: string;
  /** Parameter names lower case; values decoded (RFC 2231 charsets applied). */
  params: Record<string, string>;
}

export const DEFAULT_CONTENT_TYPE: ContentType = Object.freeze({
  type: "text",
  subtype: "plain",
  mediaType: "text/plain",
  params: Object.freeze({ charset: "us-ascii" }) as Record<string, string>,
}) as ContentType;

/** Removes RFC 5322 comments "(...)" outside quoted strings. */
function stripComments(s: string): string {
  if (!s.includes("(")) return s;
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      out += c;
      if (c === "\\" && i + 1 < s.length) out += s[++i];
      else if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === "\\") i++;
      else if (c === "(") depth++;
      else if (c === ")") depth--;
    } else if (c === '"') {
      quoted = true;
      out += c;
    } else if (c === "(") depth++;
    else out += c;
  }
  return out;
}

/**
 * Parses "type/subtype; a=b; c*=utf-8''x%20y; d*0=..; d*1=..". Returns undefined when the value has
 * no valid type/subtype (callers fall back to text/plain, RFC 2045 section 5.2).
 */
export function parseContentType(value: string | undefined): ContentType | undefined {
  if (value === undefined) return undefined;
  // The same values recur message after message (each client writes its parts alike): a small memo of the
  // parsed (frozen, shared) results. Bounded: it starts afresh when full.
  const hit = CT_MEMO.get(value);
  if (hit !== undefined) return hit ?? undefined;
  const ct = parseContentTypeOnce(value);
  if (value.length <= CT_MEMO_MAX_LENGTH) {
    if (CT_MEMO.size >= CT_MEMO_MAX) CT_MEMO.clear();
    CT_MEMO.set(value, ct ?? null);
  }
  return ct;
}

const CT_MEMO = new Map<string, ContentType | null>();
const CT_MEMO_MAX = 1024;
const CT_MEMO_MAX_LENGTH = 512;

function parseContentTypeOnce(value: string): ContentType | undefined {
  const { head, params } = parseParameterised(value);
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*\/\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/.exec(head);
  if (!m) return undefined;
  const type = m[1].toLowerCase();
  const subtype = m[2].toLowerCase();
  return Object.freeze({ type, subtype, mediaType: `${type}/${subtype}`, params: Object.freeze(params) });
}

/** "attachment; filename=..." and similar: the head token and the parameters. */
export function parseParameterised(value: string): { head: string; params: Record<string, string> } {
  const s = stripComments(value);
  const parts = splitParams(s);
  const head = parts[0].trim();
  const params: Record<string, string> = Object.create(null);
  let extended: Map<string, { index: number; encoded: boolean; value: string }[]> | undefined;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    let name = part.slice(0, eq).trim().toLowerCase();
    let raw = part.slice(eq + 1).trim();
    if (raw.startsWith('"')) raw = unquote(raw);
    if (!name) continue;
    const m = name.includes("*") ? /^(.+?)(?:\*(\d+))?(\*)?$/.exec(name) : null;
    if (m && (m[2] !== undefined || m[3] !== undefined)) {
      name = m[1];
      const index = m[2] === undefined ? 0 : Number(m[2]);
      if (index > 1000) continue;
      extended ??= new Map();
      const list = extended.get(name) ?? [];
      list.push({ index, encoded: m[3] !== undefined, value: raw });
      extended.set(name, list);
    } else if (!(name in params) && !(name in Object.prototype)) {
      // The first of a repeated parameter wins; names of Object.prototype's members are not kept (as always).
      params[name] = raw;
    }
  }
  if (extended) mergeExtended(params, extended);
  return { head, params };
}

/** RFC 2231 parameters (continuations, charsets), decoded over the simple ones of the same name. */
function mergeExtended(
  params: Record<string, string>,
  extended: Map<string, { index: number; encoded: boolean; value: string }[]>,
): void {
  for (const [name, list] of extended) {
    list.sort((a, b) => a.index - b.index);
    let charset = "utf-8";
    const bytes: number[] = [];
    let text = "";
    list.forEach((seg, i) => {
      let v = seg.value;
      if (seg.encoded) {
        if (i === 0) {
          const m = /^([^']*)'[^']*'(.*)$/.exec(v);
          if (m) {
            charset = m[1] || "utf-8";
            v = m[2];
          }
        }
        for (let j = 0; j < v.length; j++) {
          if (v[j] === "%" && /^[0-9A-Fa-f]{2}$/.test(v.slice(j + 1, j + 3))) {
            bytes.push(Number.parseInt(v.slice(j + 1, j + 3), 16));
            j += 2;
          } else bytes.push(v.charCodeAt(j) & 0xff);
        }
      } else {
        if (bytes.length) {
          text += decodeCharset(Uint8Array.from(bytes.splice(0)), charset);
        }
        text += v;
      }
    });
    if (bytes.length) text += decodeCharset(Uint8Array.from(bytes), charset);
    params[name] = text;
  }
}

function decodeCharset(b: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(b);
  } catch {
    return Buffer.from(b).toString("latin1");
  }
}

function splitParams(s: string): string[] {
  // Without quoted strings every ";" separates (the loop below would split at each of them too).
  if (!s.includes('"')) return s.split(";");
  // Slices between the separators outside quoted strings (a backslash escapes the next character there).
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3b) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function unquote(s: string): string {
  const end = s.indexOf('"', 1);
  const esc = s.indexOf("\\", 1);
  // No escape before the closing quote: the text between the quotes (to the end when it is not closed).
  if (esc < 0 || (end >= 0 && esc > end)) return end < 0 ? s.slice(1) : s.slice(1, end);
  let out = "";
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) out += s[++i];
    else if (c === '"') break;
    else out += c;
  }
  return out;
}

/**
 * The addr-spec of the first mailbox of an address header ("Alice <a@x.org>", "a@x.org (Alice)",
 * '"Doe, J" <j@x>'), or undefined when none can be found.
 */
export function parseAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const s = stripComments(value);
  // Angle-addr outside quotes wins.
  let quoted = false;
  const n = s.includes("<") ? s.length : 0;
  for (let i = 0; i < n; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === "<" && !quoted) {
      const end = s.indexOf(">", i);
      if (end > i) {
        const a = s
          .slice(i + 1, end)
          .trim()
          .replace(/^@[^:]*:/, ""); // obsolete route
        if (a.includes("@")) return a;
      }
    }
  }
  // Bare addr-spec: the first token with an '@'.
  const first = splitAddresses(s)[0] ?? s;
  const m = /([^\s<>,;"]+@[^\s<>,;"]+)/.exec(first);
  return m ? m[1] : undefined;
}

function splitAddresses(s: string): string[] {
  // Without quotes every comma separates (as the loop below would find).
  if (!s.includes('"')) return s.split(",");
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
