/**
 * ResumeIndex (src/io/resume-index.ts), what `verify --resume` keeps of an earlier run: it must answer exactly
 * as a map from key to the last line's hash and facts would, for every kind of key and hash a results file may
 * hold, while keeping archive keys as numbers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResumeIndex } from "../../src/io/resume-index.js";
import type { ResultFacts } from "../../src/smime/summary.js";

const VALID: ResultFacts = { verdict: "valid", codes: [] };
const REVOKED: ResultFacts = {
  verdict: "invalid",
  codes: ["CERT_REVOKED"],
  signers: [{ subject: "CN=Alex", sha1: "A4E339C5907A3872FAFC7FD2F7B1E6DFF0843219" }],
  domain: "northwind.example",
};

describe("ResumeIndex", () => {
  it("answers for a file's path, a Maildir key and the messages of an archive; nothing for the rest", () => {
    const x = new ResumeIndex();
    x.add("/mail/a.eml", "0123456789abcdef", VALID);
    x.add("Maildir/cur:1700000000.M1P2.host", "fedcba9876543210", REVOKED);
    x.add("/big.mbox@0", "0000000000000001", VALID);
    x.add("/big.mbox@4096", "ffffffffffffffff", REVOKED);
    expect(x.get("/mail/a.eml")).toEqual({ hash: "0123456789abcdef", facts: VALID });
    expect(x.get("Maildir/cur:1700000000.M1P2.host")).toEqual({ hash: "fedcba9876543210", facts: REVOKED });
    expect(x.get("/big.mbox@0")).toEqual({ hash: "0000000000000001", facts: VALID });
    expect(x.get("/big.mbox@4096")).toEqual({ hash: "ffffffffffffffff", facts: REVOKED });
    for (const k of ["/mail/b.eml", "/big.mbox@1", "/big.mbox@4097", "/other.mbox@0", "/big.mbox"])
      expect(x.get(k)).toBeUndefined();
    expect(x.lines).toBe(4);
  });

  it("keeps the last line of a key, in archives too, whatever the order of the lines", () => {
    const x = new ResumeIndex();
    x.add("/big.mbox@900", "1111111111111111", VALID);
    x.add("/big.mbox@100", "2222222222222222", VALID);
    x.add("/big.mbox@900", "3333333333333333", REVOKED); // the message changed: verified again
    x.add("/a.eml", "4444444444444444", VALID);
    x.add("/a.eml", null, { verdict: "error", codes: ["MALFORMED"] }); // then it could not be read
    expect(x.get("/big.mbox@900")).toEqual({ hash: "3333333333333333", facts: REVOKED });
    expect(x.get("/big.mbox@100")?.hash).toBe("2222222222222222");
    expect(x.get("/a.eml")).toEqual({ hash: null, facts: { verdict: "error", codes: ["MALFORMED"] } });
    // A line after a look-up still counts.
    x.add("/big.mbox@100", "5555555555555555", REVOKED);
    expect(x.get("/big.mbox@100")).toEqual({ hash: "5555555555555555", facts: REVOKED });
    expect(x.get("/big.mbox@900")?.hash).toBe("3333333333333333");
  });

  it("gives back every hash as written: absent, null, 16 hex digits, or any other text", () => {
    const x = new ResumeIndex();
    const hashes = [undefined, null, "000000000000abcd", "ABCDEF0123456789", "abc", "", "0123456789abcdef0"];
    for (const [i, h] of hashes.entries()) x.add(`/m${i}.eml`, h, VALID);
    for (const [i, h] of hashes.entries()) expect(x.get(`/m${i}.eml`)?.hash).toBe(h);
  });

  it("splits a key at @N only when N reads back the same (no leading zero, a safe integer)", () => {
    const x = new ResumeIndex();
    const keys = [
      "a@007",
      "a@7",
      "a@0",
      "a@00",
      "a@12345678901234567",
      "a@123456789012345",
      "a@",
      "@5",
      "a@b@5",
    ];
    for (const [i, k] of keys.entries()) x.add(k, i.toString(16).padStart(16, "0"), VALID);
    for (const [i, k] of keys.entries()) expect(x.get(k)?.hash, k).toBe(i.toString(16).padStart(16, "0"));
  });

  it("shares one facts object between the messages that add the same to the summary", () => {
    const x = new ResumeIndex();
    x.add("/a.mbox@0", "0000000000000000", { verdict: "valid", codes: [] });
    x.add("/a.mbox@10", "0000000000000001", { verdict: "valid", codes: [] });
    x.add("/b.eml", "0000000000000002", { ...REVOKED });
    expect(x.get("/a.mbox@0")?.facts).toBe(x.get("/a.mbox@10")?.facts);
    expect(x.get("/b.eml")?.facts).toEqual(REVOKED);
    expect(x.get("/b.eml")?.facts).not.toBe(x.get("/a.mbox@0")?.facts);
  });

  it("answers as a map of the last lines would, for any sequence of lines (property)", () => {
    const key = fc.oneof(
      fc.constantFrom("/a.eml", "/b.eml", "x@07", "x@"),
      fc
        .tuple(fc.constantFrom("/big.mbox", "/c.mbox", "/d.pst"), fc.nat({ max: 40 }))
        .map(([f, n]) => `${f}@${n}`),
    );
    const hash = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => n.toString(16).padStart(16, "0")),
      fc.string({ maxLength: 20 }),
    );
    const facts = fc.constantFrom(VALID, REVOKED, { verdict: "error", codes: ["MALFORMED"] } as ResultFacts);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, hash, facts), { maxLength: 200 }),
        fc.array(key, { maxLength: 30 }),
        (lines, probes) => {
          const x = new ResumeIndex();
          const model = new Map<string, { hash: string | null | undefined; facts: ResultFacts }>();
          for (const [k, h, f] of lines) {
            x.add(k, h, f);
            model.set(k, { hash: h, facts: f });
          }
          for (const k of [...model.keys(), ...probes]) expect(x.get(k)).toEqual(model.get(k));
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });
});
