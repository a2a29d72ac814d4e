import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Rc2, rc2CbcDecrypt, rc2CbcEncrypt } from "./rc2-encrypt.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

/** RFC 2268 section 5 test vectors: key, effective key bits, plaintext, ciphertext. */
const VECTORS: [string, number, string, string][] = [
  ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
  ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
  ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
  ["88", 64, "0000000000000000", "61a8a244adacccf0"],
  ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
  ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
  ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  [
    "88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e",
    129,
    "0000000000000000",
    "5b78d3a43dfff1f1",
  ],
];

describe("RC2 (RFC 2268)", () => {
  for (const [key, bits, pt, ct] of VECTORS) {
    it(`key ${key.slice(0, 16)}${key.length > 16 ? "…" : ""} / ${bits} bits: encrypts and decrypts the known answer`, () => {
      const c = new Rc2(hex(key), bits);
      const out = new Uint8Array(8);
      c.encryptBlock(hex(pt), 0, out, 0);
      expect(Buffer.from(out).toString("hex")).toBe(ct);
      const back = new Uint8Array(8);
      c.decryptBlock(hex(ct), 0, back, 0);
      expect(Buffer.from(back).toString("hex")).toBe(pt);
    });
  }

  it("CBC round-trips with 40-bit and 128-bit effective keys, any length", () => {
    for (const [keyLen, bits] of [
      [5, 40],
      [16, 128],
    ]) {
      for (const len of [0, 1, 7, 8, 9, 100]) {
        const key = randomBytes(keyLen);
        const iv = randomBytes(8);
        const data = randomBytes(len);
        const ct = rc2CbcEncrypt(key, bits, iv, data);
        expect(ct.length).toBe((Math.floor(len / 8) + 1) * 8);
        expect(Buffer.from(rc2CbcDecrypt(key, bits, iv, ct)!).equals(data)).toBe(true);
      }
    }
  });

  it("CBC chains blocks: equal plaintext blocks give different ciphertext blocks", () => {
    const ct = rc2CbcEncrypt(hex("0102030405"), 40, new Uint8Array(8), new Uint8Array(16));
    expect(Buffer.from(ct.subarray(0, 8)).equals(Buffer.from(ct.subarray(8, 16)))).toBe(false);
  });

  it("a wrong key gives undefined (bad padding), not garbage", () => {
    const iv = randomBytes(8);
    const ct = rc2CbcEncrypt(hex("0102030405"), 40, iv, Buffer.from("a secret message of some length"));
    let undef = 0;
    for (let i = 0; i < 50; i++) if (rc2CbcDecrypt(randomBytes(5), 40, iv, ct) === undefined) undef++;
    expect(undef).toBeGreaterThan(40);
  });

  it("refuses bad arguments", () => {
    expect(() => new Rc2(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new Rc2(new Uint8Array(129))).toThrow(RangeError);
    expect(() => new Rc2(new Uint8Array(8), 0)).toThrow(RangeError);
    expect(() => rc2CbcDecrypt(new Uint8Array(5), 40, new Uint8Array(8), new Uint8Array(7))).toThrow(
      RangeError,
    );
    expect(() => rc2CbcDecrypt(new Uint8Array(5), 40, new Uint8Array(7), new Uint8Array(8))).toThrow(
      RangeError,
    );
  });
});
