import { createHash } from "node:crypto";

/** Upper-case hex, as Windows prints thumbprints. */
export function hexUpper(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex").toUpperCase();
}

export function hexLower(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function digest(
  alg: "sha1" | "sha256" | "sha384" | "sha512" | "md5" | "sha224",
  data: Uint8Array,
): Buffer {
  return createHash(alg).update(data).digest();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  // Short arrays (digests, serials, names) compare faster in a loop than through a Buffer view.
  if (n <= 64) {
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Normalises a thumbprint typed by a user ("3f 2a:..") to upper-case hex without separators. */
export function normaliseThumbprint(s: string): string {
  return s.replace(/[\s:]/g, "").toUpperCase();
}
