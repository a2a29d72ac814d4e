/**
 * The encryption half of RC2 (RFC 2268 section 3), for the tests only: the known-answer vectors of RFC 2268
 * section 5 and CBC round trips. The project itself only decrypts (src/lib/rc2.ts).
 */
import { Rc2 as Rc2Decrypt, rc2CbcDecrypt } from "../../src/lib/rc2.js";

export { rc2CbcDecrypt };

/** RC2 with both directions: the library's key schedule and decryption, plus encryption. */
export class Rc2 extends Rc2Decrypt {
  /** Encrypts one 8-byte block of `src` at `so` into `dst` at `d`. */
  encryptBlock(src: Uint8Array, so: number, dst: Uint8Array, d: number): void {
    const K = this.k;
    let r0 = src[so] | (src[so + 1] << 8);
    let r1 = src[so + 2] | (src[so + 3] << 8);
    let r2 = src[so + 4] | (src[so + 5] << 8);
    let r3 = src[so + 6] | (src[so + 7] << 8);
    let j = 0;
    for (let round = 0; round < 16; round++) {
      // Mixing round (RFC 2268 3.1).
      r0 = (r0 + K[j++] + (r3 & r2) + (~r3 & r1)) & 0xffff;
      r0 = ((r0 << 1) | (r0 >>> 15)) & 0xffff;
      r1 = (r1 + K[j++] + (r0 & r3) + (~r0 & r2)) & 0xffff;
      r1 = ((r1 << 2) | (r1 >>> 14)) & 0xffff;
      r2 = (r2 + K[j++] + (r1 & r0) + (~r1 & r3)) & 0xffff;
      r2 = ((r2 << 3) | (r2 >>> 13)) & 0xffff;
      r3 = (r3 + K[j++] + (r2 & r1) + (~r2 & r0)) & 0xffff;
      r3 = ((r3 << 5) | (r3 >>> 11)) & 0xffff;
      if (round === 4 || round === 10) {
        // Mashing round (RFC 2268 3.2).
        r0 = (r0 + K[r3 & 63]) & 0xffff;
        r1 = (r1 + K[r0 & 63]) & 0xffff;
        r2 = (r2 + K[r1 & 63]) & 0xffff;
        r3 = (r3 + K[r2 & 63]) & 0xffff;
      }
    }
    put(dst, d, r0, r1, r2, r3);
  }
}

function put(dst: Uint8Array, d: number, r0: number, r1: number, r2: number, r3: number): void {
  dst[d] = r0 & 0xff;
  dst[d + 1] = r0 >>> 8;
  dst[d + 2] = r1 & 0xff;
  dst[d + 3] = r1 >>> 8;
  dst[d + 4] = r2 & 0xff;
  dst[d + 5] = r2 >>> 8;
  dst[d + 6] = r3 & 0xff;
  dst[d + 7] = r3 >>> 8;
}

/** RC2-CBC encryption with PKCS#7 padding (for round trips and legacy PKCS#12 test files). */
export function rc2CbcEncrypt(
  key: Uint8Array,
  effectiveBits: number,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  if (iv.length !== 8) throw new RangeError("RC2-CBC needs an 8-byte IV");
  const n = 8 - (data.length % 8);
  const padded = new Uint8Array(data.length + n);
  padded.set(data);
  padded.fill(n, data.length);
  const c = new Rc2(key, effectiveBits);
  const out = new Uint8Array(padded.length);
  const block = new Uint8Array(8);
  let prev: Uint8Array = iv;
  for (let o = 0; o < padded.length; o += 8) {
    for (let i = 0; i < 8; i++) block[i] = padded[o + i] ^ prev[i];
    c.encryptBlock(block, 0, out, o);
    prev = out.subarray(o, o + 8);
  }
  return out;
}
