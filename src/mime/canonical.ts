/**
 * Canonical CRLF form (RFC 5751 section 3.1.1): every bare LF becomes CRLF. Mail stores often keep LF
 * line ends, so a signature over CRLF text must be checked against the text re-canonicalised. These
 * helpers feed the canonical form to a sink in slices of the input, without copying it whole.
 */

const CRLF = Uint8Array.of(0x0d, 0x0a);

/** True when `b` has an LF not preceded by CR (so the canonical form differs from `b`). */
export function hasBareLf(b: Uint8Array): boolean {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let i = buf.indexOf(0x0a);
  while (i >= 0) {
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
    i = buf.indexOf(0x0a, i + 1);
  }
  return false;
}

/** Feeds the CRLF-canonical form of `b` to `sink` (views of `b` and a shared CRLF constant). */
export function feedCanonical(b: Uint8Array, sink: (chunk: Uint8Array) => void): void {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let start = 0;
  let i = buf.indexOf(0x0a);
  while (i >= 0) {
    if (i === 0 || buf[i - 1] !== 0x0d) {
      if (i > start) sink(b.subarray(start, i));
      sink(CRLF);
      start = i + 1;
    }
    i = buf.indexOf(0x0a, i + 1);
  }
  if (start < b.length) sink(b.subarray(start));
}

/** The canonical form as one buffer (for the rare consumers that need it whole, e.g. pure EdDSA). */
export function toCanonical(b: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  feedCanonical(b, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}
