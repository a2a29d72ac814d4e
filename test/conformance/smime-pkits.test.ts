/**
 * NIST PKITS through `verify`: every one of the 224 signed messages, parsed as mail, its CMS signature
 * checked and its signer validated by the path engine against the one trust anchor, at the signing time,
 * sender check off (PKITS certificates carry no addresses), leaf purpose checks off (PKITS tests path logic),
 * revocation required (PKITS "reject or warn" cases are encoded invalid). Verdicts must equal expected.json.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCertificateBytes } from "../../src/formats/read.js";
import { Verifier } from "../../src/smime/verifier.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.resolve(repoRoot, "test/corpora/pkits");

interface Test {
  id: string;
  name: string;
  smime: string;
  expected: "valid" | "invalid";
}

const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as { tests: Test[] };
const anchor = readCertificateBytes(
  readFileSync(path.join(dir, "trust/TrustAnchorRootCertificate.pem")),
  "anchor",
).certificates[0];

describe("NIST PKITS S/MIME messages through verify", () => {
  it("gives the expected verdict for all 224 messages", async () => {
    const v = new Verifier({
      trust: [anchor.der],
      at: "signing",
      now: Date.UTC(2026, 0, 1),
      ignoreSender: true,
      leafPurpose: "none",
      requireRevocation: true,
    });
    const wrong: string[] = [];
    let signatureFaults = 0;
    for (const t of expected.tests) {
      const r = await v.verify(readFileSync(path.join(dir, t.smime)));
      const sigCodes = r.signers
        .flatMap((s) => s.problems)
        .filter((p) =>
          ["DIGEST_MISMATCH", "SIGNATURE_INVALID", "SIGNER_CERT_MISSING", "MALFORMED"].includes(p.code),
        );
      if (sigCodes.length) signatureFaults++;
      if (r.verdict !== t.expected)
        wrong.push(
          `${t.id} ${t.name}: expected ${t.expected}, got ${r.verdict} ${[...r.problems, ...r.signers.flatMap((s) => s.problems)].map((p) => p.code).join(",")}`,
        );
    }
    console.log(
      `PKITS S/MIME through verify: ${expected.tests.length - wrong.length}/${expected.tests.length}`,
    );
    expect(signatureFaults).toBe(0);
    expect(wrong).toEqual([]);
  });
});
