/**
 * NIST PKITS through the path engine: all 224 tests with the default inputs and the 249 policy variants
 * with theirs, at the messages' signing time (2011-04-14), leaf purpose checks off, revocation required
 * (PKITS "reject or warn" cases are encoded invalid).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCertificateBytes } from "../../src/formats/read.js";
import type { ValidationOptions } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { Certificate } from "../../src/x509/certificate.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.resolve(repoRoot, "test/corpora/pkits");

interface Variant {
  expected: "valid" | "invalid";
  inputs: {
    initial_policy_set?: string[];
    initial_explicit_policy?: boolean;
    initial_policy_mapping_inhibit?: boolean;
    initial_inhibit_any_policy?: boolean;
  };
  subpart: number | null;
}
interface Test {
  id: string;
  name: string;
  signer_cert: string | null;
  path: string[];
  crls: string[];
  expected: "valid" | "invalid";
  variants: Variant[];
}

const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as {
  tests: Test[];
  policy_oids: Record<string, string>;
};
const TIME = Date.UTC(2011, 3, 14, 12, 0, 0);
const certCache = new Map<string, Certificate>();
const cert = (f: string) => {
  let c = certCache.get(f);
  if (!c) {
    c = new Certificate(readFileSync(path.join(dir, f)));
    certCache.set(f, c);
  }
  return c;
};
const anchor = readCertificateBytes(
  readFileSync(path.join(dir, "trust/TrustAnchorRootCertificate.pem")),
  "anchor",
).certificates[0];
const trust = new TrustList([anchor]);

async function runCase(t: Test, inputs: Variant["inputs"] = {}) {
  // The leaf is the path's last certificate (4.1.5 names no signer; 4.14.18's message is signed by the Test19 EE).
  const leafFile = t.path[t.path.length - 1];
  const leaf = cert(leafFile);
  const untrusted = t.path
    .filter((p) => p !== leafFile && !p.includes("TrustAnchorRootCertificate"))
    .map((p) => ({ cert: cert(p), source: "message" as const }));
  const opts: ValidationOptions = {
    time: TIME,
    leafPurpose: "none",
    // Default (non-strict) profile. PKITS_STRICT=1 shows the one conflict with strict mode: PKITS's CAs mark
    // policyConstraints non-critical, which RFC 5280 forbids CAs and x509-limbo rejects.
    strict: process.env.PKITS_STRICT === "1",
    requireRevocation: true,
    untrusted,
    crls: t.crls.map((f) => new Uint8Array(readFileSync(path.join(dir, f)))),
    initialPolicySet: inputs.initial_policy_set?.map((n) => expected.policy_oids[n] ?? n),
    initialExplicitPolicy: inputs.initial_explicit_policy,
    initialPolicyMappingInhibit: inputs.initial_policy_mapping_inhibit,
    initialInhibitAnyPolicy: inputs.initial_inhibit_any_policy,
  };
  return validateChain(leaf, trust, opts);
}

describe("NIST PKITS", () => {
  it("runs all 224 tests with the default inputs", async () => {
    expect(expected.tests.length).toBe(224);
    const wrong: string[] = [];
    for (const t of expected.tests) {
      const r = await runCase(t);
      if (r.verdict !== t.expected)
        wrong.push(
          `${t.id} ${t.name}: expected ${t.expected}, got ${r.verdict} ${r.problems.map((p) => `${p.code}(${p.message})`).join("; ")}`,
        );
    }
    console.log(`PKITS default inputs: ${224 - wrong.length}/224 pass`);
    expect(wrong).toEqual([]);
  });

  it("runs all 249 policy variants with their inputs", async () => {
    const wrong: string[] = [];
    let n = 0;
    for (const t of expected.tests) {
      for (const v of t.variants) {
        n++;
        const r = await runCase(t, v.inputs);
        if (r.verdict !== v.expected)
          wrong.push(
            `${t.id}/${v.subpart} ${t.name} ${JSON.stringify(v.inputs)}: expected ${v.expected}, got ${r.verdict} ${r.problems.map((p) => p.code).join(",")}`,
          );
      }
    }
    expect(n).toBe(249);
    console.log(`PKITS variants: ${n - wrong.length}/${n} pass`);
    expect(wrong).toEqual([]);
  });
});
