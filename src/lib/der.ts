/**
 * A small zero-copy DER reader for the hot paths (certificates, CRLs, CMS).
 *
 * Every element is a view into the caller's buffer (`subarray`), so parsing a certificate
 * allocates only the little objects that describe it. Malformed input throws `DerError`
 * with the absolute byte offset of the fault; callers wrap it into their own typed errors.
 */

import { SmimetrustError } from "../errors.js";

export class DerError extends SmimetrustError {
  override readonly code = "ERR_DER";
  declare readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`, { offset });
  }

  /** The message already names the byte. */
  override describe(): string {
    return this.file ? `${this.file}: ${this.message}` : this.message;
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Deepest nesting any reader accepts; protects recursive walkers from hostile input. */
export const MAX_DEPTH = 64;

export interface DerElement {
  /** The identifier octet (single-byte tags only; high tag numbers are refused). */
  tag: number;
  /** Absolute offset of the identifier octet within the root buffer. */
  offset: number;
  /** Length of header (tag + length octets). */
  headerLength: number;
  /** The contents, a view into the root buffer. */
  value: Uint8Array;
  /** The whole TLV, a view into the root buffer. */
  raw: Uint8Array;
}

/**
 * An element read by DerReader: `value` and `raw` are views made the first time they are read (many elements
 * are only stepped over or read through one of them), so reading costs one small object per element.
 */
class Element implements DerElement {
  private v?: Uint8Array;
  private r?: Uint8Array;
  constructor(
    readonly tag: number,
    readonly offset: number,
    readonly headerLength: number,
    /** The reader's buffer, and in it: start of the TLV, start and end of the contents, end of the TLV. */
    readonly buf: Uint8Array,
    readonly start: number,
    readonly valueStart: number,
    readonly valueEnd: number,
    readonly end: number,
  ) {}

  get value(): Uint8Array {
    this.v ??= this.buf.subarray(this.valueStart, this.valueEnd);
    return this.v;
  }

  get raw(): Uint8Array {
    this.r ??= this.buf.subarray(this.start, this.end);
    return this.r;
  }
}

/** `el` read as if it had tag `tag` (IMPLICIT tagging); a plain object, so it may be spread or compared. */
export function retag(el: DerElement, tag: number): DerElement {
  return { tag, offset: el.offset, headerLength: el.headerLength, value: el.value, raw: el.raw };
}

/**
 * Reads consecutive elements out of `buf` (from `from` up to `limit`, by default all of it). `base` is the
 * absolute offset of `buf[0]` in the outermost input, so errors point at the right byte of the file. A
 * reader over an element's contents shares its parent's buffer (no view is made for it).
 */
export class DerReader {
  private pos: number;
  private readonly limit: number;
  /** `ber` allows indefinite lengths (CMS from mail clients); certificates stay strict DER. */
  constructor(
    private readonly buf: Uint8Array,
    readonly base = 0,
    readonly ber = false,
    from = 0,
    limit = buf.length,
  ) {
    this.pos = from;
    this.limit = limit;
  }

  static of(el: DerElement, ber = false): DerReader {
    if (el instanceof Element)
      return new DerReader(el.buf, el.offset - el.start, ber, el.valueStart, el.valueEnd);
    return new DerReader(el.value, el.offset + el.headerLength, ber);
  }

  /** A reader over a child element's contents, in the same DER/BER mode. */
  child(el: DerElement): DerReader {
    return DerReader.of(el, this.ber);
  }

  get done(): boolean {
    return this.pos >= this.limit;
  }

  get position(): number {
    return this.base + this.pos;
  }

  peekTag(): number {
    return this.pos < this.limit ? this.buf[this.pos] : -1;
  }

  /** Reads any element. Indefinite lengths are allowed only when `ber` is set. */
  read(ber = this.ber): DerElement {
    const buf = this.buf;
    const limit = this.limit;
    const start = this.pos;
    if (start >= limit) throw new DerError("unexpected end of data", this.base + start);
    const tag = buf[start];
    if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not supported", this.base + start);
    let p = start + 1;
    if (p >= limit) throw new DerError("truncated length", this.base + p);
    let len = buf[p++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) {
        if (!ber) throw new DerError("indefinite length is not DER", this.base + start);
        const end = findEndOfContents(buf, p, this.base, 0, limit);
        this.pos = end + 2;
        return new Element(tag, this.base + start, p - start, buf, start, p, end, end + 2);
      }
      if (n > 4) throw new DerError("length too long", this.base + p);
      if (p + n > limit) throw new DerError("truncated length", this.base + p);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
    }
    const end = p + len;
    if (end > limit) {
      throw new DerError(`element needs ${len} bytes but only ${limit - p} remain`, this.base + start);
    }
    this.pos = end;
    return new Element(tag, this.base + start, p - start, buf, start, p, end, end);
  }

  /** Reads an element and insists on its tag. */
  expect(tag: number, what: string): DerElement {
    const t = this.peekTag();
    if (t !== tag) {
      throw new DerError(
        t < 0
          ? `expected ${what}, found end of data`
          : `expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${t.toString(16)}`,
        this.position,
      );
    }
    return this.read();
  }

  /** Reads an element if its tag matches, else returns undefined without moving. */
  optional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.read() : undefined;
  }

  sequence(what = "SEQUENCE"): DerReader {
    return this.child(this.expect(TAG.SEQUENCE, what));
  }

  end(what: string): void {
    if (!this.done) throw new DerError(`unexpected data after ${what}`, this.position);
  }
}

/** The end-of-contents marker of an indefinite-length element whose contents start at `p` (before `limit`). */
function findEndOfContents(buf: Uint8Array, p: number, base: number, depth: number, limit: number): number {
  if (depth > MAX_DEPTH) throw new DerError("nesting too deep", base + p);
  // Walk the children until the 00 00 end-of-contents marker; nested indefinite lengths recurse.
  for (;;) {
    if (p + 2 > limit) throw new DerError("missing end-of-contents", base + p);
    if (buf[p] === 0 && buf[p + 1] === 0) return p;
    if (buf[p + 1] === 0x80) {
      // Skip header (tag + 0x80) and find the child's own terminator.
      const inner = findEndOfContents(buf, p + 2, base, depth + 1, limit);
      p = inner + 2;
    } else {
      const child = new DerReader(buf, base, false, p, limit);
      child.read(false);
      p = child.position - base;
    }
  }
}

/** Parses exactly one element spanning the whole buffer. */
export function parseOne(buf: Uint8Array, what: string, base = 0): DerElement {
  const r = new DerReader(buf, base);
  const el = r.read();
  r.end(what);
  return el;
}

// ---- primitive decoders -------------------------------------------------

/** Decoded OIDs by a hash of their bytes (each entry keeps a copy of the bytes it was decoded from). */
const OID_CACHE = new Map<number, { bytes: Uint8Array; oid: string }>();

export function decodeOid(v: Uint8Array, offset = 0): string {
  // OIDs repeat a lot (algorithms, extensions); a small cache keyed on the bytes pays off. The key is a
  // hash computed in place (no string or view per lookup); a hit is confirmed byte for byte.
  const n = v.length;
  let h = n;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ v[i], 0x01000193);
  const hit = OID_CACHE.get(h);
  if (hit && hit.bytes.length === n) {
    let same = true;
    for (let i = 0; i < n; i++)
      if (hit.bytes[i] !== v[i]) {
        same = false;
        break;
      }
    if (same) return hit.oid;
  }
  if (v.length === 0) throw new DerError("empty OBJECT IDENTIFIER", offset);
  const parts: number[] = [];
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (acc === 0 && b === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER", offset);
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        if (acc < 40) parts.push(0, acc);
        else if (acc < 80) parts.push(1, acc - 40);
        else parts.push(2, acc - 80);
      } else parts.push(acc);
      acc = 0;
    } else if (i === v.length - 1) throw new DerError("truncated OBJECT IDENTIFIER", offset);
  }
  const s = parts.join(".");
  if (OID_CACHE.size < 4096 && !hit) OID_CACHE.set(h, { bytes: new Uint8Array(v), oid: s });
  return s;
}

export function encodeOid(oid: string): Uint8Array {
  const parts = oid.split(".").map(Number);
  const out: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    n = Math.floor(n / 128);
    while (n > 0) {
      tmp.unshift((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(...tmp);
  };
  push(parts[0] * 40 + parts[1]);
  for (let i = 2; i < parts.length; i++) push(parts[i]);
  return Uint8Array.from(out);
}

export function decodeOidEl(el: DerElement): string {
  if (el.tag !== TAG.OID) throw new DerError("expected OBJECT IDENTIFIER", el.offset);
  return decodeOid(el.value, el.offset);
}

/** INTEGER as bigint (two's complement). */
export function decodeBigInt(v: Uint8Array): bigint {
  if (v.length === 0) return 0n;
  let n = 0n;
  for (let i = 0; i < v.length; i++) n = (n << 8n) | BigInt(v[i]);
  if (v[0] & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

/** Small INTEGER as number; throws past 2^48. */
export function decodeSmallInt(el: DerElement): number {
  if (el.tag !== TAG.INTEGER && el.tag !== TAG.ENUMERATED) throw new DerError("expected INTEGER", el.offset);
  const v = el.value;
  if (v.length === 0) throw new DerError("empty INTEGER", el.offset);
  if (v.length > 6) throw new DerError("INTEGER too large", el.offset);
  let n = 0;
  for (let i = 0; i < v.length; i++) n = n * 256 + v[i];
  if (v[0] & 0x80) n -= 2 ** (v.length * 8);
  return n;
}

export function decodeBoolean(el: DerElement): boolean {
  if (el.tag !== TAG.BOOLEAN || el.value.length !== 1) throw new DerError("expected BOOLEAN", el.offset);
  return el.value[0] !== 0;
}

/** BIT STRING contents without the unused-bits octet; `unused` tells how many trailing bits to ignore. */
export function decodeBitString(el: DerElement): { bytes: Uint8Array; unused: number } {
  if (el.tag !== TAG.BIT_STRING && el.tag !== 0x23) throw new DerError("expected BIT STRING", el.offset);
  if (el.value.length === 0) throw new DerError("empty BIT STRING", el.offset);
  const unused = el.value[0];
  if (unused > 7) throw new DerError("bad BIT STRING padding", el.offset);
  return { bytes: el.value.subarray(1), unused };
}

/** Named-bit list as an array of set bit numbers. */
export function bitStringBits(el: DerElement): number[] {
  const { bytes } = decodeBitString(el);
  const bits: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    for (let b = 0; b < 8; b++) if (bytes[i] & (0x80 >> b)) bits.push(i * 8 + b);
  }
  return bits;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");
const utf16be = new TextDecoder("utf-16be");

/** Any of the ASN.1 string types as a JS string. */
export function decodeString(el: DerElement): string {
  switch (el.tag) {
    case TAG.UTF8String:
      return utf8.decode(el.value);
    case TAG.BMPString:
      return utf16be.decode(el.value);
    case TAG.UniversalString: {
      let s = "";
      for (let i = 0; i + 3 < el.value.length; i += 4) {
        const cp =
          ((el.value[i] << 24) | (el.value[i + 1] << 16) | (el.value[i + 2] << 8) | el.value[i + 3]) >>> 0;
        s += String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp);
      }
      return s;
    }
    case TAG.PrintableString:
    case TAG.IA5String:
    case TAG.VisibleString:
    case TAG.T61String:
    case 0x12: // NumericString
    case 0x19: // GraphicString
    case 0x1b: // GeneralString
      return latin1.decode(el.value);
    default:
      // Context-tagged IA5String (GeneralName) and friends.
      return latin1.decode(el.value);
  }
}

function digits(v: Uint8Array, at: number, n: number, offset: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) {
    const c = v[at + i] - 48;
    if (c < 0 || c > 9) throw new DerError("bad digit in time", offset);
    x = x * 10 + c;
  }
  return x;
}

/** UTCTime or GeneralizedTime as milliseconds since the epoch (UTC, "Z" required). */
export function decodeTime(el: DerElement): number {
  const v = el.value;
  if (el.tag === TAG.UTCTime) {
    if (v.length !== 13 || v[12] !== 0x5a) throw new DerError("UTCTime must be YYMMDDHHMMSSZ", el.offset);
    const yy = digits(v, 0, 2, el.offset);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return utc(
      year,
      digits(v, 2, 2, el.offset),
      digits(v, 4, 2, el.offset),
      digits(v, 6, 2, el.offset),
      digits(v, 8, 2, el.offset),
      digits(v, 10, 2, el.offset),
      el.offset,
    );
  }
  if (el.tag === TAG.GeneralizedTime) {
    if (v.length < 15 || v[v.length - 1] !== 0x5a)
      throw new DerError("GeneralizedTime must end in Z", el.offset);
    let ms = 0;
    if (v.length > 15) {
      if (v[14] !== 0x2e) throw new DerError("bad GeneralizedTime fraction", el.offset);
      const frac = latin1.decode(v.subarray(15, v.length - 1));
      if (!/^\d+$/.test(frac)) throw new DerError("bad GeneralizedTime fraction", el.offset);
      ms = Math.floor(Number(`0.${frac}`) * 1000);
    }
    return (
      utc(
        digits(v, 0, 4, el.offset),
        digits(v, 4, 2, el.offset),
        digits(v, 6, 2, el.offset),
        digits(v, 8, 2, el.offset),
        digits(v, 10, 2, el.offset),
        digits(v, 12, 2, el.offset),
        el.offset,
      ) + ms
    );
  }
  throw new DerError("expected a time", el.offset);
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, offset: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    throw new DerError("time out of range", offset);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/**
 * OCTET STRING contents, joining the chunks of a BER constructed string (tag 0x24), as mail
 * clients write encapsulated content. Returns a view when primitive.
 */
export function octetStringContents(el: DerElement, depth = 0): Uint8Array {
  if (el.tag === TAG.OCTET_STRING || el.tag === 0x80) return el.value;
  if (el.tag !== 0x24 && el.tag !== 0xa0) throw new DerError("expected OCTET STRING", el.offset);
  if (depth > MAX_DEPTH) throw new DerError("nesting too deep", el.offset);
  const r = new DerReader(el.value, el.offset + el.headerLength, true);
  const parts: Uint8Array[] = [];
  while (!r.done) parts.push(octetStringContents(r.read(), depth + 1));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

// ---- a minimal DER writer (for the few structures we build ourselves) ----

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.length, 0);
  const hdr = encodeLength(len);
  const out = new Uint8Array(1 + hdr.length + len);
  out[0] = tag;
  out.set(hdr, 1);
  let o = 1 + hdr.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
