/**
 * Content-Transfer-Encoding decoders (RFC 2045): base64 tolerant of line breaks, spaces and junk
 * (as mail readers are), quoted-printable, and the identity encodings 7bit/8bit/binary.
 */

const B64 = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++)
  B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
// URL-safe alphabet is not MIME, but costs nothing to accept.
B64[0x2d] = 62;
B64[0x5f] = 63;

/**
 * Decodes base64, skipping every byte outside the alphabet and stopping at the first '=' pad.
 * Trailing bits of an incomplete final quantum are decoded as far as they make whole bytes.
 */
export function decodeBase64(input: Uint8Array): Uint8Array {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // Node's decoder has the same tolerance (skips bytes outside the alphabet, stops at '='); it is native,
  // but needs a string copy of the input, so large bodies take the loop below instead.
  if (buf.length <= 4 << 20) return decodeIntoSlab(buf.toString("latin1"));
  const out = new Uint8Array(Math.floor((input.length * 3) / 4) + 3);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x3d) break;
    const v = B64[c];
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/**
 * Decoded bodies are written into shared 64 KiB slabs, each body a view of its own range: Node's Buffer.from
 * takes them from its 8 KiB pool, which a signature part (2-3 KiB) used up every third message, and a new
 * ArrayBuffer costs more than the decoding (1.5% of verifying an RSA-2048 message, measured in process). A slab
 * lives while a view of it does; a body larger than a slab gets one of its own size.
 */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

function decodeIntoSlab(text: string): Uint8Array {
  // At most 3 bytes for every 4 characters (characters outside the alphabet decode to nothing).
  const max = Math.ceil((text.length * 3) / 4);
  if (slab.length - slabUsed < max) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB, max));
    slabUsed = 0;
  }
  const n = slab.write(text, slabUsed, max, "base64");
  // A plain view of the decoded bytes (not a Buffer): views of it stay plain typed-array views (cheaper).
  const out = new Uint8Array(slab.buffer, slab.byteOffset + slabUsed, n);
  // Views start on 8-byte boundaries.
  slabUsed += (n + 7) & ~7;
  return out;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes quoted-printable: "=XX" escapes, soft line breaks "=\r\n"/"=\n"; a bad escape is kept as is. */
export function decodeQuotedPrintable(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let o = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const c = input[i];
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // soft line break, allowing trailing whitespace before it
    let j = i + 1;
    while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j < n && input[j] === 0x0d && j + 1 < n && input[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (j < n && input[j] === 0x0a) {
      i = j;
      continue;
    }
    if (j >= n) {
      i = n;
      continue;
    }
    const h = i + 2 < n ? hexVal(input[i + 1]) : -1;
    const l = i + 2 < n ? hexVal(input[i + 2]) : -1;
    if (h >= 0 && l >= 0) {
      out[o++] = (h << 4) | l;
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

export type TransferEncoding = "7bit" | "8bit" | "binary" | "base64" | "quoted-printable" | string;

/** Decodes a body by its Content-Transfer-Encoding (unknown encodings are returned unchanged). */
export function decodeTransfer(encoding: TransferEncoding | undefined, body: Uint8Array): Uint8Array {
  switch ((encoding ?? "7bit").trim().toLowerCase()) {
    case "base64":
      return decodeBase64(body);
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}
