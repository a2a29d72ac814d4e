import { describe, expect, it } from "vitest";
import { passwordCandidates, pkcs12Kdf, rc4 } from "../../src/lib/pbe.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("RC4 (for pbeWithSHAAnd128BitRC4 / 40BitRC4)", () => {
  it("RFC 6229: 40-bit key 0102030405, first 16 keystream bytes (also what openssl -rc4-40 gives)", () => {
    expect(hex(rc4(Uint8Array.of(1, 2, 3, 4, 5), new Uint8Array(16)))).toBe(
      "b2396305f03dc027ccc3524a0a1118a8",
    );
  });

  it("the classic 'Key' / 'Plaintext' vector, and decryption is encryption", () => {
    const ct = rc4(Buffer.from("Key"), Buffer.from("Plaintext"));
    expect(hex(ct)).toBe("bbf316e8d940af0ad3");
    expect(Buffer.from(rc4(Buffer.from("Key"), ct)).toString()).toBe("Plaintext");
  });
});

describe("PKCS#12 passwords", () => {
  it("BMPString with two trailing zero bytes for the KDF, UTF-8 for PBKDF2", () => {
    const [p] = passwordCandidates("Aé€");
    expect(hex(p.bmp)).toBe("004100e920ac0000");
    expect(hex(p.utf8)).toBe("41c3a9e282ac");
  });

  it("an empty password yields both encodings seen in the wild (00 00 and nothing)", () => {
    expect(passwordCandidates("").map((p) => hex(p.bmp))).toEqual(["0000", ""]);
  });

  it("the KDF gives different keys for ids 1, 2, 3 and any length asked for", () => {
    const [p] = passwordCandidates("smeg");
    const salt = Buffer.from("0a58cf64530d823f", "hex");
    const k1 = pkcs12Kdf("sha1", p.bmp, salt, 1, 1, 24);
    const k2 = pkcs12Kdf("sha1", p.bmp, salt, 2, 1, 8);
    const k3 = pkcs12Kdf("sha1", p.bmp, salt, 3, 1, 20);
    expect(k1.length).toBe(24);
    expect(hex(k1.subarray(0, 8))).not.toBe(hex(k2));
    expect(hex(k3.subarray(0, 8))).not.toBe(hex(k2));
    // Longer outputs extend shorter ones (the A_i blocks are concatenated).
    expect(hex(pkcs12Kdf("sha1", p.bmp, salt, 1, 1, 40).subarray(0, 24))).toBe(hex(k1));
    expect(hex(pkcs12Kdf("sha256", p.bmp, salt, 3, 2, 32))).toHaveLength(64);
  });
});
