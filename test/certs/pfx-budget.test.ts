/**
 * The key-derivation work budget of one PKCS#12 file (PBE_LIMITS.maxTotalIterations, --pfx-max-iterations):
 * every derivation (MAC key, each encrypted content's key and IV, each password encoding tried) is charged
 * before it runs, and a file asking for more than the budget is refused with one line and exit 2.
 */
import { createCipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { LimitExceededError, SmimetrustError } from "../../src/errors.js";
import { readPfxCertificates } from "../../src/formats/pfx.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { KdfBudget, PBE_LIMITS } from "../../src/lib/pbe.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";
import { tempDir } from "./openssl.js";

const t = tempDir("smimetrust-pfx-budget-");
afterAll(() => t.cleanup());

function int(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

const oid = (o: string) => tlv(TAG.OID, encodeOid(o));

/** PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) AlgorithmIdentifier. */
function pbes2(salt: Uint8Array, iterations: number, iv: Uint8Array): Uint8Array {
  const hmac = tlv(TAG.SEQUENCE, oid(OID.hmacWithSHA256), tlv(TAG.NULL));
  const kdf = tlv(
    TAG.SEQUENCE,
    oid(OID.pbkdf2),
    tlv(TAG.SEQUENCE, tlv(TAG.OCTET_STRING, salt), int(iterations), hmac),
  );
  const enc = tlv(TAG.SEQUENCE, oid(OID.aes256CBC), tlv(TAG.OCTET_STRING, iv));
  return tlv(TAG.SEQUENCE, oid(OID.pbes2), tlv(TAG.SEQUENCE, kdf, enc));
}

/** An encryptedData ContentInfo holding `plain` (or random bytes when no password is given). */
function encryptedContentInfo(iterations: number, plain: Uint8Array, password?: string): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  let encrypted: Uint8Array;
  if (password === undefined) encrypted = randomBytes(32);
  else {
    const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
    const c = createCipheriv("aes-256-cbc", key, iv);
    encrypted = Buffer.concat([c.update(plain), c.final()]);
  }
  const eci = tlv(TAG.SEQUENCE, oid(OID.data), pbes2(salt, iterations, iv), tlv(0x80, encrypted));
  const ed = tlv(TAG.SEQUENCE, int(0), eci);
  return tlv(TAG.SEQUENCE, oid(OID.encryptedData), tlv(0xa0, ed));
}

/** A PFX without a MAC whose AuthenticatedSafe holds the given ContentInfos. */
function pfxWithoutMac(contentInfos: Uint8Array[]): Uint8Array {
  const authSafe = tlv(TAG.SEQUENCE, ...contentInfos);
  const ci = tlv(TAG.SEQUENCE, oid(OID.data), tlv(0xa0, tlv(TAG.OCTET_STRING, authSafe)));
  return tlv(TAG.SEQUENCE, int(3), ci);
}

function certSafeContents(der: Uint8Array): Uint8Array {
  const certBag = tlv(TAG.SEQUENCE, oid(OID.x509Certificate), tlv(0xa0, tlv(TAG.OCTET_STRING, der)));
  const bag = tlv(TAG.SEQUENCE, oid(OID.certBag), tlv(0xa0, certBag));
  return tlv(TAG.SEQUENCE, bag);
}

/** The file: no MAC, the empty password, five encrypted contents of 10,000,000 iterations each. */
const hostile = pfxWithoutMac(
  Array.from({ length: 5 }, () => encryptedContentInfo(10_000_000, new Uint8Array(0))),
);

describe("the PKCS#12 key-derivation budget", () => {
  it("the default fits every real exporter with room to spare, and is the documented 5,000,000", () => {
    expect(PBE_LIMITS.maxTotalIterations).toBe(5_000_000);
    // Bouncy Castle 1.86+ (600,000 a call): MAC + 3DES key + IV, twice over for an empty password.
    expect(2 * 3 * 600_000).toBeLessThan(PBE_LIMITS.maxTotalIterations);
  });

  it("charges each derivation before it runs, and refuses the one that passes the limit", () => {
    const b = new KdfBudget(10);
    b.charge(4, 0);
    b.charge(3, 0, 2);
    expect(b.spent).toBe(10);
    expect(() => b.charge(1, 77)).toThrow(LimitExceededError);
    expect(b.spent).toBe(10);
  });

  it("a hostile file (no MAC, empty password, 5 x 10,000,000 PBKDF2) is refused at once, naming the file", () => {
    expect(hostile.length).toBeLessThan(3000);
    let err: unknown;
    try {
      readPfxCertificates(hostile, undefined, "hostile.p12");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitExceededError);
    const e = err as LimitExceededError;
    expect(e.code).toBe("ERR_LIMIT_EXCEEDED");
    expect(e.file).toBe("hostile.p12");
    expect(e.offset).toBeTypeOf("number");
    expect(e.describe()).toMatch(
      /^hostile\.p12: PKCS#12 key derivation would take more than 5,000,000 iterations in all .*--pfx-max-iterations.* \(at byte \d+\)$/,
    );
  });

  it("the CLI: inspect of the hostile file exits 2 with one line, quickly", () => {
    const file = t.path("hostile.p12");
    writeFileSync(file, hostile);
    const started = Date.now();
    const r = spawnCli(["inspect", file]);
    const took = Date.now() - started;
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`smimetrust: ${file}: PKCS#12 key derivation would take more than 5,000,000`);
    // Before the budget this file ran for 15 s and more (each 10,000,000-round PBKDF2 twice: two encodings
    // of the empty password); refused now before any derivation. Generous: a loaded machine, tsx startup.
    expect(took).toBeLessThan(10_000);
  });

  describe("a real file of 3 encrypted contents of 1,000,000 iterations each (password 'pw')", () => {
    const a = root("CN=Budget Root A");
    const b = root("CN=Budget Root B");
    const c = root("CN=Budget Root C");
    const file = t.path("slow.p12");
    const pfx = pfxWithoutMac(
      [a, b, c].map((x) => encryptedContentInfo(1_000_000, certSafeContents(x.der), "pw")),
    );
    writeFileSync(file, pfx);
    const sha1s = [a, b, c].map((x) => hexUpper(digest("sha1", x.der)));

    it("reads within the default budget; a budget of 2,500,000 refuses it at the third content", () => {
      const lib = readCertificateBytes(pfx, "slow.p12", { password: "pw" });
      expect(lib.certificates.map((x) => x.sha1)).toEqual(sha1s);
      expect(() =>
        readCertificateBytes(pfx, "slow.p12", { password: "pw", pfxMaxIterations: 2_500_000 }),
      ).toThrow(/more than 2,500,000 iterations/);
    }, 30_000);

    it("--pfx-max-iterations sets the budget on the command line", async () => {
      const refused = await cli(["inspect", "--password", "pw", "--pfx-max-iterations", "2500000", file]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^smimetrust: .*slow\.p12: PKCS#12 key derivation would take more than 2,500,000 iterations in all .*\(at byte \d+\)\n$/,
      );
      const ok = await cli([
        "inspect",
        "--password",
        "pw",
        "--pfx-max-iterations",
        "3000000",
        file,
        "--json",
      ]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect((JSON.parse(ok.stdout) as { sha1: string }[]).map((x) => x.sha1)).toEqual(sha1s);
    }, 30_000);

    it("--pfx-max-iterations takes a whole number of at least 1", async () => {
      for (const v of ["0", "-5", "1e6", "lots"]) {
        const r = await cli(["inspect", "--pfx-max-iterations", v, file]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/--pfx-max-iterations: '.*' is not a whole number >= 1/);
      }
    });

    it("every command that reads PKCS#12 takes the option", async () => {
      for (const cmd of ["inspect", "build", "chain", "check", "diff", "verify"]) {
        const r = await cli([cmd, "--help"]);
        expect(r.stdout, cmd).toContain("--pfx-max-iterations <n>");
      }
      for (const sub of ["plan", "script"]) {
        const r = await cli(["exchange", sub, "--help"]);
        expect(r.stdout, sub).toContain("--pfx-max-iterations <n>");
      }
    });
  });

  it("a typed error, never anything else, whatever budget is passed to the library", () => {
    expect(() => readPfxCertificates(hostile, undefined, "x.p12", { maxIterations: 0 })).toThrow(RangeError);
    try {
      readPfxCertificates(hostile, undefined, "x.p12", { maxIterations: 1 });
    } catch (e) {
      expect(e).toBeInstanceOf(SmimetrustError);
    }
  });
});
