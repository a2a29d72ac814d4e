import { spawnSync } from "node:child_process";
import { createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MalformedInputError, PasswordError } from "../../src/errors.js";
import { readPfxCertificates } from "../../src/formats/pfx.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { DerReader, encodeOid, octetStringContents, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { passwordCandidates, pkcs12Kdf } from "../../src/lib/pbe.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";
import { makeOpensslPki, openssl, opensslPemSha1s, opensslSha1, tempDir } from "./openssl.js";

const t = tempDir("smimetrust-pfx-");
let caSha1 = "";
let userSha1 = "";

function exportPfx(name: string, args: string[], password = "secret"): Uint8Array {
  openssl(
    [
      "pkcs12",
      "-export",
      "-in",
      "user.pem",
      "-inkey",
      "user.key",
      "-passout",
      `pass:${password}`,
      "-out",
      name,
      ...args,
    ],
    { cwd: t.dir },
  );
  return new Uint8Array(t.read(name));
}

/** What `openssl pkcs12 -info` says about a file (it writes that to stderr). */
function info(name: string, password = "secret"): string {
  const r = spawnSync(
    "openssl",
    ["pkcs12", "-in", name, "-info", "-noout", "-legacy", "-passin", `pass:${password}`],
    { cwd: t.dir },
  );
  return `${r.stdout}${r.stderr}`;
}

function sha1s(r: { certificates: Uint8Array[] }): string[] {
  return r.certificates.map((c) => hexUpper(digest("sha1", c)));
}

function refused<E extends Error>(f: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error("expected a refusal");
}

beforeAll(() => {
  makeOpensslPki(t.dir);
  caSha1 = opensslSha1(readFileSync(t.path("ca.pem"), "utf8"));
  userSha1 = opensslSha1(readFileSync(t.path("user.pem"), "utf8"));
});
afterAll(() => t.cleanup());

describe("PKCS#12 made by openssl", () => {
  it("-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC) with a chain: both certificates, the key counted", () => {
    const pfx = exportPfx("legacy.p12", ["-legacy", "-certfile", "ca.pem"]);
    expect(info("legacy.p12")).toMatch(/pbeWithSHA1And40BitRC2-CBC/);
    const r = readPfxCertificates(pfx, "secret", "legacy.p12");
    expect(sha1s(r)).toEqual([userSha1, caSha1]);
    expect(r.privateKeys).toBe(1);
  });

  it("OpenSSL 3 defaults (PBES2/PBKDF2/HMAC-SHA256/AES-256-CBC, SHA-256 MAC) with a chain", () => {
    const pfx = exportPfx("modern.p12", ["-certfile", "ca.pem"]);
    expect(info("modern.p12")).toMatch(/PBES2, PBKDF2, AES-256-CBC.*hmacWithSHA256/);
    expect(info("modern.p12")).toMatch(/MAC: sha256/);
    const r = readPfxCertificates(pfx, "secret", "modern.p12");
    expect(sha1s(r)).toEqual([userSha1, caSha1]);
    expect(r.privateKeys).toBe(1);
  });

  const variants: [string, string[], RegExp][] = [
    ["3des.p12", ["-certpbe", "PBE-SHA1-3DES"], /pbeWithSHA1And3-KeyTripleDES-CBC/],
    ["2des.p12", ["-certpbe", "PBE-SHA1-2DES"], /pbeWithSHA1And2-KeyTripleDES-CBC/],
    ["rc2-128.p12", ["-legacy", "-certpbe", "PBE-SHA1-RC2-128"], /pbeWithSHA1And128BitRC2-CBC/],
    ["aes128-sha512mac.p12", ["-certpbe", "AES-128-CBC", "-macalg", "sha512"], /AES-128-CBC/],
    ["aes192-sha384mac.p12", ["-certpbe", "AES-192-CBC", "-macalg", "sha384"], /AES-192-CBC/],
    [
      "des3-pbes2-sha1mac.p12",
      ["-certpbe", "DES-EDE3-CBC", "-macalg", "sha1"],
      /PBES2, PBKDF2, DES-EDE3-CBC/,
    ],
    ["sha224mac.p12", ["-macalg", "sha224"], /AES-256-CBC/],
    ["iter1.p12", ["-iter", "1", "-maciter"], /Iteration 1/],
    ["pbes2-rc2-128.p12", ["-legacy", "-certpbe", "RC2-CBC"], /PBES2, PBKDF2, RC2-CBC/],
    ["pbes2-rc2-40.p12", ["-legacy", "-certpbe", "RC2-40-CBC"], /PBES2, PBKDF2, RC2-CBC/],
    ["pbes2-rc2-64.p12", ["-legacy", "-certpbe", "RC2-64-CBC"], /PBES2, PBKDF2, RC2-CBC/],
    ["pbes2-des.p12", ["-legacy", "-certpbe", "DES-CBC"], /PBES2, PBKDF2, DES-CBC/],
    ["v15-md5-des.p12", ["-legacy", "-certpbe", "PBE-MD5-DES"], /pbeWithMD5AndDES-CBC/],
    ["v15-sha1-des.p12", ["-legacy", "-certpbe", "PBE-SHA1-DES"], /pbeWithSHA1AndDES-CBC/],
    ["v15-sha1-rc2.p12", ["-legacy", "-certpbe", "PBE-SHA1-RC2-64"], /pbeWithSHA1AndRC2-CBC/],
    ["v15-md5-rc2.p12", ["-legacy", "-certpbe", "PBE-MD5-RC2-64"], /pbeWithMD5AndRC2-CBC/],
    ["rc4-128.p12", ["-legacy", "-certpbe", "PBE-SHA1-RC4-128"], /pbeWithSHA1And128BitRC4/],
    ["rc4-40.p12", ["-legacy", "-certpbe", "PBE-SHA1-RC4-40"], /pbeWithSHA1And40BitRC4/],
  ];
  for (const [name, args, algo] of variants) {
    it(`${args.join(" ")}`, () => {
      const pfx = exportPfx(name, args);
      expect(info(name)).toMatch(algo);
      const r = readPfxCertificates(pfx, "secret", name);
      expect(sha1s(r)).toEqual([userSha1]);
      expect(r.privateKeys).toBe(1);
      expect(refused(() => readPfxCertificates(pfx, "Secret", name), PasswordError).message).toBe(
        "wrong password for PKCS#12",
      );
    });
  }

  it("-nokeys: no key bag, nothing to warn about", () => {
    const pfx = exportPfx("nokeys.p12", ["-nokeys", "-certfile", "ca.pem"]);
    const r = readPfxCertificates(pfx, "secret");
    expect(sha1s(r)).toEqual([userSha1, caSha1]);
    expect(r.privateKeys).toBe(0);
  });

  it("an empty password opens with no password given and with '' (both encodings OpenSSL writes)", () => {
    const pfx = exportPfx("empty.p12", ["-certfile", "ca.pem"], "");
    expect(sha1s(readPfxCertificates(pfx, undefined))).toEqual([userSha1, caSha1]);
    expect(sha1s(readPfxCertificates(pfx, ""))).toEqual([userSha1, caSha1]);
    expect(refused(() => readPfxCertificates(pfx, "secret"), PasswordError).message).toBe(
      "wrong password for PKCS#12",
    );
    const legacy = exportPfx("empty-legacy.p12", ["-legacy"], "");
    expect(sha1s(readPfxCertificates(legacy, undefined))).toEqual([userSha1]);
  });

  it("a non-ASCII password: BMPString for the PKCS#12 KDF, UTF-8 for PBKDF2", () => {
    const pw = "pässwörd€";
    expect(sha1s(readPfxCertificates(exportPfx("uni-legacy.p12", ["-legacy"], pw), pw))).toEqual([userSha1]);
    expect(sha1s(readPfxCertificates(exportPfx("uni-modern.p12", [], pw), pw))).toEqual([userSha1]);
  });

  it("-nomac: plain certificates open without a password; encrypted ones need the right one", () => {
    const plain = exportPfx("nomac.p12", ["-nomac"]);
    expect(info("nomac.p12")).toMatch(/MAC is absent/);
    expect(sha1s(readPfxCertificates(plain, undefined))).toEqual([userSha1]);
    for (const [name, pbe] of [
      ["nomac-3des.p12", "PBE-SHA1-3DES"],
      ["nomac-aes.p12", "AES-128-CBC"],
      ["nomac-rc2.p12", "PBE-SHA1-RC2-40"],
      ["nomac-rc4.p12", "PBE-SHA1-RC4-128"],
    ]) {
      const pfx = exportPfx(name, ["-nomac", "-legacy", "-certpbe", pbe]);
      expect(sha1s(readPfxCertificates(pfx, "secret"))).toEqual([userSha1]);
      expect(refused(() => readPfxCertificates(pfx, "wrong"), PasswordError).message).toBe(
        "wrong password for PKCS#12",
      );
      expect(refused(() => readPfxCertificates(pfx, undefined), PasswordError).message).toMatch(
        /--password.*SMIMETRUST_PFX_PASSWORD/,
      );
    }
  });

  it("a wrong password is a PasswordError with the file; a missing one says how to give it", () => {
    const pfx = exportPfx("pw.p12", []);
    const wrong = refused(() => readPfxCertificates(pfx, "nope", "pw.p12"), PasswordError);
    expect(wrong.code).toBe("ERR_PFX_PASSWORD");
    expect(wrong.describe()).toBe("pw.p12: wrong password for PKCS#12");
    const missing = refused(() => readPfxCertificates(pfx, undefined, "pw.p12"), PasswordError);
    expect(missing.describe()).toMatch(/^pw\.p12: .*needs a password.*--password.*SMIMETRUST_PFX_PASSWORD/);
  });

  it("through readCertificateBytes: detected from content, keys reported as ignored", () => {
    const pfx = exportPfx("read.p12", ["-legacy", "-certfile", "ca.pem"]);
    const r = readCertificateBytes(pfx, "read.p12", { password: "secret" });
    expect(r.format).toBe("pkcs12");
    expect(r.certificates.map((c) => c.sha1)).toEqual([userSha1, caSha1]);
    expect(r.warnings).toEqual(["read.p12: ignored 1 private key (never extracted or stored)"]);
    // PEM-armoured PKCS#12 too.
    const pem = `-----BEGIN PKCS12-----\n${Buffer.from(pfx).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PKCS12-----\n`;
    expect(
      readCertificateBytes(Buffer.from(pem), "read.pem", { password: "secret" }).certificates.length,
    ).toBe(2);
  });

  it("never returns key material: the key's bytes appear in no certificate returned", () => {
    const pfx = exportPfx("nokey-leak.p12", ["-nomac", "-keypbe", "NONE", "-certpbe", "NONE"]);
    const r = readPfxCertificates(pfx, undefined);
    expect(r.privateKeys).toBe(1);
    // The private scalar of the EC key: SEC1 ECPrivateKey is 30 77 02 01 01 04 20 <32 bytes> ...
    const sec1 = openssl(["ec", "-in", "user.key", "-outform", "DER"], { cwd: t.dir });
    const scalar = sec1.subarray(7, 39);
    expect(Buffer.from(pfx).includes(scalar)).toBe(true); // unencrypted in this file...
    for (const c of r.certificates) expect(Buffer.from(c).includes(scalar)).toBe(false); // ...and in nothing returned
    expect(Object.keys(r).sort()).toEqual(["certificates", "crls", "privateKeys"]);
  });
});

describe("PKCS#12 files made by Windows and .NET (test/fixtures/pfx, from dotnet/runtime's test data)", () => {
  const dir = resolve(REPO_ROOT, "test/fixtures/pfx");
  const MYNAME = "71CB4E2B02738AD44F8B382C93BD17BA665F9914";
  const MSCERT = "108E2BA23632620C427C570B6D9DB51AC31387FE";

  for (const f of ["windows-rc2.pfx", "windows-3des.pfx"]) {
    it(`${f}: the certificate, the key counted, password 12345 (BMPString KDF)`, () => {
      const bytes = new Uint8Array(readFileSync(resolve(dir, f)));
      const r = readPfxCertificates(bytes, "12345", f);
      expect(sha1s(r)).toEqual([MYNAME]);
      expect(r.privateKeys).toBe(1);
      expect(refused(() => readPfxCertificates(bytes, "1234", f), PasswordError).message).toBe(
        "wrong password for PKCS#12",
      );
      expect(refused(() => readPfxCertificates(bytes, undefined, f), PasswordError).message).toMatch(
        /needs a password/,
      );
    });
  }

  it("dotnet-null-password.pfx: opens without a password (null password: no BMPString bytes at all)", () => {
    const bytes = new Uint8Array(readFileSync(resolve(dir, "dotnet-null-password.pfx")));
    for (const pw of [undefined, ""]) {
      const r = readPfxCertificates(bytes, pw, "dotnet-null-password.pfx");
      expect(sha1s(r)).toEqual([MSCERT]);
      expect(r.privateKeys).toBe(0);
    }
  });

  it("through the CLI: inspect lists the certificate and says the key was ignored", async () => {
    const res = await cli(["inspect", "--json", resolve(dir, "windows-rc2.pfx")], {
      env: { SMIMETRUST_PFX_PASSWORD: "12345" },
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).map((c: { sha1: string }) => c.sha1)).toEqual([MYNAME]);
    expect(res.stderr).toMatch(
      /^warning: .*windows-rc2\.pfx: ignored 1 private key \(never extracted or stored\)\n$/,
    );
  });
});

describe("PKCS#12 files made by NSS (Thunderbird's test keys, test/corpora/smime-misc)", () => {
  const dir = resolve(REPO_ROOT, "test/corpora/smime-misc/thunderbird/keys");
  for (const f of ["Alice.p12", "Alice-ec.p12", "Bob.p12", "Dave.p12", "Eve.p12"]) {
    it(`${f} (password "nss"): the certificates openssl extracts, one key ignored`, () => {
      const bytes = new Uint8Array(readFileSync(resolve(dir, f)));
      const r = readPfxCertificates(bytes, "nss", f);
      const pem = openssl(["pkcs12", "-in", resolve(dir, f), "-nokeys", "-passin", "pass:nss"]).toString();
      expect(sha1s(r).sort()).toEqual(opensslPemSha1s(pem).sort());
      expect(r.certificates.length).toBeGreaterThan(0);
      expect(r.privateKeys).toBe(1);
      expect(refused(() => readPfxCertificates(bytes, "NSS", f), PasswordError).message).toBe(
        "wrong password for PKCS#12",
      );
    });
  }
});

describe("PKCS#12 bad input", () => {
  it("truncated files: MalformedInputError with the offset", () => {
    const pfx = exportPfx("trunc.p12", []);
    for (const n of [1, 4, 100, pfx.length - 1]) {
      const e = refused(
        () => readPfxCertificates(pfx.subarray(0, n), "secret", "trunc.p12"),
        MalformedInputError,
      );
      expect(e.offset).toBeTypeOf("number");
      expect(e.describe()).toMatch(/^trunc\.p12: malformed PKCS#12: .* \(at byte \d+\)$/);
    }
  });

  it("a damaged MAC value reads as a wrong password (the MAC is what tells)", () => {
    const pfx = Uint8Array.from(exportPfx("dmg.p12", []));
    const r = new DerReader(pfx, 0, true);
    const outer = r.child(r.read());
    outer.read();
    outer.read();
    const macData = outer.child(outer.read());
    const di = macData.child(macData.read());
    di.read();
    const mac = di.read();
    const bad = Uint8Array.from(pfx);
    bad[mac.offset + mac.headerLength] ^= 1;
    expect(sha1s(readPfxCertificates(pfx, "secret"))).toEqual([userSha1]);
    expect(refused(() => readPfxCertificates(bad, "secret"), PasswordError).message).toBe(
      "wrong password for PKCS#12",
    );
  });

  it("refuses a hostile iteration count without hanging", () => {
    const pfx = exportPfx("iter.p12", []);
    const r = new DerReader(pfx, 0, true);
    const outer = r.child(r.read());
    const version = outer.read();
    const authSafe = outer.read();
    const mac = outer.child(outer.read());
    const di = mac.read();
    const salt = mac.read();
    const huge = tlv(TAG.SEQUENCE, di.raw, salt.raw, tlv(TAG.INTEGER, Uint8Array.of(0x7f, 0xff, 0xff, 0xff)));
    const bad = tlv(TAG.SEQUENCE, version.raw, authSafe.raw, huge);
    const started = Date.now();
    const e = refused(() => readPfxCertificates(bad, "secret"), MalformedInputError);
    expect(e.message).toMatch(/iteration count 2147483647 is over the limit/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("PBMAC1 (RFC 9579): checked with PBKDF2 and UTF-8", () => {
    const pfx = exportPfx("pbmac1-base.p12", []);
    const r = new DerReader(pfx, 0, true);
    const outer = r.child(r.read());
    const version = outer.read();
    const authSafeEl = outer.read();
    // The MAC covers the AuthenticatedSafe: the contents of the data OCTET STRING.
    const ci = new DerReader(authSafeEl.value, 0, true);
    ci.read(); // contentType
    const content = octetStringContents(ci.child(ci.read()).read());
    const salt = randomBytes(16);
    const make = (pw: string) => {
      const key = pbkdf2Sync(Buffer.from(pw, "utf8"), salt, 1000, 32, "sha256");
      const mac = createHmac("sha256", key).update(content).digest();
      const hmac256 = tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.hmacWithSHA256)), tlv(TAG.NULL));
      const pbkdf2 = tlv(
        TAG.SEQUENCE,
        tlv(TAG.OID, encodeOid(OID.pbkdf2)),
        tlv(
          TAG.SEQUENCE,
          tlv(TAG.OCTET_STRING, salt),
          tlv(TAG.INTEGER, Uint8Array.of(0x03, 0xe8)),
          tlv(TAG.INTEGER, Uint8Array.of(32)),
          hmac256,
        ),
      );
      const alg = tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.pbmac1)), tlv(TAG.SEQUENCE, pbkdf2, hmac256));
      const macData = tlv(
        TAG.SEQUENCE,
        tlv(TAG.SEQUENCE, alg, tlv(TAG.OCTET_STRING, mac)),
        tlv(TAG.OCTET_STRING, Buffer.from("NOT USED")),
        tlv(TAG.INTEGER, Uint8Array.of(1)),
      );
      return tlv(TAG.SEQUENCE, version.raw, authSafeEl.raw, macData);
    };
    expect(sha1s(readPfxCertificates(make("secret"), "secret"))).toEqual([userSha1]);
    expect(refused(() => readPfxCertificates(make("other"), "secret"), PasswordError).message).toBe(
      "wrong password for PKCS#12",
    );
  });
});

/**
 * Re-encodes DER as BER the way Windows writes PKCS#12: indefinite lengths for every constructed element,
 * long OCTET STRINGs (and [0] IMPLICIT encryptedContent) as constructed strings of chunks. OCTET STRING
 * contents are not entered (they are opaque here).
 */
function toBer(der: Uint8Array, chunk = 50): Uint8Array {
  const parts: Uint8Array[] = [];
  const r = new DerReader(der, 0, false);
  while (!r.done) {
    const el = r.read();
    if (el.tag & 0x20) {
      parts.push(Uint8Array.of(el.tag, 0x80), toBer(el.value, chunk), Uint8Array.of(0, 0));
    } else if ((el.tag === TAG.OCTET_STRING || el.tag === 0x80) && el.value.length > 64) {
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < el.value.length; o += chunk)
        chunks.push(tlv(TAG.OCTET_STRING, el.value.subarray(o, o + chunk)));
      parts.push(
        Uint8Array.of(el.tag === TAG.OCTET_STRING ? 0x24 : 0xa0, 0x80),
        ...chunks,
        Uint8Array.of(0, 0),
      );
    } else parts.push(el.raw);
  }
  return Buffer.concat(parts);
}

describe("BER-encoded PKCS#12 (as Windows writes it)", () => {
  for (const [name, args] of [
    ["ber-legacy.p12", ["-legacy", "-certfile", "ca.pem", "-macalg", "sha256"]],
    ["ber-modern.p12", ["-certfile", "ca.pem"]],
  ] as const) {
    it(`${args.join(" ")}: indefinite lengths and chunked strings, MAC over the content octets`, () => {
      const pfx = exportPfx(name, [...args]);
      const r = new DerReader(pfx, 0, true);
      const outer = r.child(r.read());
      outer.read(); // version
      const ci = outer.child(outer.read());
      ci.read(); // data
      const authSafe = octetStringContents(ci.child(ci.read()).read());
      const berAuthSafe = toBer(authSafe);
      expect(berAuthSafe.length).toBeGreaterThan(authSafe.length);
      const salt = randomBytes(8);
      const [pw] = passwordCandidates("secret");
      const mac = createHmac("sha256", pkcs12Kdf("sha256", pw.bmp, salt, 3, 2048, 32))
        .update(berAuthSafe)
        .digest();
      const sha256 = tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.sha256)), tlv(TAG.NULL));
      const macData = tlv(
        TAG.SEQUENCE,
        tlv(TAG.SEQUENCE, sha256, tlv(TAG.OCTET_STRING, mac)),
        tlv(TAG.OCTET_STRING, salt),
        tlv(TAG.INTEGER, Uint8Array.of(0x08, 0x00)),
      );
      const content = toBer(tlv(0xa0, tlv(TAG.OCTET_STRING, berAuthSafe)), 500);
      const ber = Buffer.concat([
        Uint8Array.of(0x30, 0x80),
        tlv(TAG.INTEGER, Uint8Array.of(3)),
        Uint8Array.of(0x30, 0x80),
        tlv(TAG.OID, encodeOid(OID.data)),
        content,
        Uint8Array.of(0, 0),
        macData,
        Uint8Array.of(0, 0),
      ]);
      // openssl agrees that this is a valid PKCS#12 with that password.
      const check = spawnSync("openssl", ["pkcs12", "-noout", "-legacy", "-passin", "pass:secret"], {
        input: ber,
      });
      expect(check.status, String(check.stderr)).toBe(0);
      const res = readCertificateBytes(ber, name, { password: "secret" });
      expect(res.format).toBe("pkcs12");
      expect(res.certificates.map((c) => c.sha1)).toEqual([userSha1, caSha1]);
      expect(refused(() => readPfxCertificates(ber, "wrong"), PasswordError).message).toBe(
        "wrong password for PKCS#12",
      );
    });
  }
});

describe("PKCS#12 reader fuzzing", () => {
  it("mutated files: only the project's typed errors, never a hang", async () => {
    const { SmimetrustError } = await import("../../src/errors.js");
    const pfx = exportPfx("fuzz.p12", ["-legacy", "-certfile", "ca.pem", "-iter", "1", "-maciter"]);
    let seed = 1234;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const started = Date.now();
    const outcomes = { ok: 0, refused: 0 };
    for (let n = 0; n < 600; n++) {
      const b = Uint8Array.from(pfx);
      const k = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < k; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const input = rand() < 0.2 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      for (const pw of ["secret", undefined]) {
        try {
          readPfxCertificates(input, pw, "fuzz.p12");
          outcomes.ok++;
        } catch (e) {
          if (!(e instanceof SmimetrustError)) throw e;
          outcomes.refused++;
        }
      }
    }
    expect(outcomes.refused).toBeGreaterThan(600);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("the PKCS#12 KDF's lower iteration cap (it runs in JavaScript) is enforced quickly", () => {
    const pfx = exportPfx("kdfcap.p12", []);
    const r = new DerReader(pfx, 0, true);
    const outer = r.child(r.read());
    const version = outer.read();
    const authSafe = outer.read();
    const mac = outer.child(outer.read());
    const di = mac.read();
    const salt = mac.read();
    const bad = tlv(
      TAG.SEQUENCE,
      version.raw,
      authSafe.raw,
      tlv(TAG.SEQUENCE, di.raw, salt.raw, tlv(TAG.INTEGER, Uint8Array.of(0x1e, 0x84, 0x80))),
    ); // 2,000,000
    const started = Date.now();
    expect(refused(() => readPfxCertificates(bad, "secret"), MalformedInputError).message).toMatch(
      /iteration count 2000000 is over the limit of 1000000/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("the PKCS#12 key derivation function (RFC 7292 B.2)", () => {
  it("matches OpenSSL's PKCS12_key_gen_uni (via a MAC openssl accepts)", () => {
    // A MAC built with our KDF must verify in openssl: build one over a new AuthenticatedSafe.
    // Nothing encrypted, so openssl needs the password only for the MAC.
    const pfx = exportPfx("kdf.p12", ["-macalg", "sha256", "-certpbe", "NONE", "-keypbe", "NONE"]);
    const r = new DerReader(pfx, 0, true);
    const outer = r.child(r.read());
    const version = outer.read();
    const authSafeEl = outer.read();
    const ci = new DerReader(authSafeEl.value, 0, true);
    ci.read();
    const content = octetStringContents(ci.child(ci.read()).read());
    const salt = randomBytes(8);
    const [pw] = passwordCandidates("another password");
    const key = pkcs12Kdf("sha256", pw.bmp, salt, 3, 1000, 32);
    const mac = createHmac("sha256", key).update(content).digest();
    const sha256 = tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.sha256)), tlv(TAG.NULL));
    const macData = tlv(
      TAG.SEQUENCE,
      tlv(TAG.SEQUENCE, sha256, tlv(TAG.OCTET_STRING, mac)),
      tlv(TAG.OCTET_STRING, salt),
      tlv(TAG.INTEGER, Uint8Array.of(0x03, 0xe8)),
    );
    const rebuilt = tlv(TAG.SEQUENCE, version.raw, authSafeEl.raw, macData);
    const ok = spawnSync("openssl", ["pkcs12", "-noout", "-passin", "pass:another password"], {
      input: rebuilt,
    });
    expect(ok.status, String(ok.stderr)).toBe(0);
    const bad = spawnSync("openssl", ["pkcs12", "-noout", "-passin", "pass:secret"], { input: rebuilt });
    expect(bad.status).not.toBe(0);
    expect(String(bad.stderr)).toMatch(/mac verify/i);
    // And our reader agrees.
    expect(sha1s(readPfxCertificates(rebuilt, "another password"))).toEqual([userSha1]);
  });
});
