/** The x509-limbo CRL cases (crl::*) through checkRevocation, with a minimal chain builder. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkRevocation, type RevocationContext } from "../../src/revocation/check.js";
import { readCrls } from "../../src/revocation/crl.js";
import { Certificate } from "../../src/x509/certificate.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LIMBO = path.resolve(repoRoot, "test/corpora/limbo/limbo.json");

interface LimboCase {
  id: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_result: "SUCCESS" | "FAILURE";
  crls: string[];
}

const cases = (JSON.parse(readFileSync(LIMBO, "utf8")).testcases as LimboCase[]).filter(
  (t) => t.crls.length > 0,
);
const pem = (s: string) =>
  new Certificate(
    new Uint8Array(Buffer.from(s.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64")),
  );

function chainOf(leaf: Certificate, pool: Certificate[], anchors: Certificate[]): Certificate[] | undefined {
  const out = [leaf];
  for (let cur = leaf; out.length < 8; ) {
    if (anchors.some((a) => a.sha1 === cur.sha1)) return out;
    const next = [...anchors, ...pool].find(
      (c) => c.sha1 !== cur.sha1 && c.subject.equals(cur.issuer) && cur.isSignedBy(c),
    );
    if (!next) return undefined;
    out.push(next);
    cur = next;
  }
  return undefined;
}

describe("x509-limbo CRL cases through checkRevocation", () => {
  it("has the 8 crl:: cases", () => {
    expect(cases).toHaveLength(8);
    expect(cases.map((c) => c.id).every((id) => id.startsWith("crl::"))).toBe(true);
  });
  for (const t of cases) {
    it(`${t.id} -> ${t.expected_result}`, async () => {
      const anchors = t.trusted_certs.map(pem);
      const pool = t.untrusted_intermediates.map(pem);
      const chain = chainOf(pem(t.peer_certificate), pool, anchors)!;
      expect(chain).toBeDefined();
      const ctx: RevocationContext = {
        time: t.validation_time ? Date.parse(t.validation_time) : Date.now(),
        crls: t.crls.flatMap((c) => readCrls(new Uint8Array(Buffer.from(c)))),
        online: false,
        candidateSigners: (key) => [...anchors, ...pool].filter((c) => c.subject.key === key),
        validateSigner: async () => false,
      };
      const statuses: string[] = [];
      for (let i = 0; i < chain.length - 1; i++)
        statuses.push((await checkRevocation(chain[i], chain[i + 1], chain, i, ctx)).status);
      const ok = statuses.every((s) => s === "good");
      expect(ok ? "SUCCESS" : "FAILURE", statuses.join(",")).toBe(t.expected_result);
    });
  }
});
