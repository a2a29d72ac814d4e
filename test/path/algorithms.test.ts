/**
 * Signature algorithms of issue 3, each in a real chain and each with a forged twin: RSA PKCS#1 v1.5,
 * RSA-PSS (with an rsaEncryption key and with an id-RSASSA-PSS key), ECDSA P-256/P-384/P-521, Ed25519,
 * Ed448, and DSA including domain parameters inherited from the issuer (RFC 5280 6.1.4 (k)-(l)).
 * openssl verify gives an independent opinion on the chains it supports.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { ChainResult, ValidationOptions } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { openssl, tempDir } from "../certs/openssl.js";
import {
  dsaSpkiWithoutParams,
  intermediate,
  type KeyPair,
  type KeySpec,
  leaf,
  makeKey,
  root,
} from "../helpers/pki.js";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };
const t = tempDir("smimetrust-algs-");
afterAll(() => t.cleanup());

function opts(untrusted: Certificate[]): ValidationOptions {
  return {
    time: NOW,
    checkRevocation: false,
    untrusted: untrusted.map((cert) => ({ cert, source: "message" as const })),
  };
}
const allCodes = (r: ChainResult) =>
  [...new Set([...r.problems, ...r.path.flatMap((e) => e.problems)].map((p) => p.code))].sort();

const KEYS: [string, KeySpec, string][] = [
  ["RSA PKCS#1 v1.5", { type: "rsa" }, "SHA256-RSA"],
  ["RSA-PSS with an rsaEncryption key", { type: "rsa", pss: true }, "RSA-PSS/SHA256"],
  ["RSA-PSS with an id-RSASSA-PSS key", { type: "rsa-pss" }, "RSA-PSS/SHA256"],
  ["ECDSA P-256", { type: "ec", curve: "P-256" }, "SHA256-ECDSA"],
  ["ECDSA P-384", { type: "ec", curve: "P-384" }, "SHA256-ECDSA"],
  ["ECDSA P-521", { type: "ec", curve: "P-521" }, "SHA256-ECDSA"],
  ["Ed25519", { type: "ed25519" }, "Ed25519"],
  ["Ed448", { type: "ed448" }, "Ed448"],
];

describe("signature algorithms in a chain", () => {
  for (const [label, spec, algName] of KEYS) {
    it(`${label}: root and intermediate with this key validate; a same-name forgery is CHAIN_SIGNATURE_INVALID`, async () => {
      const key = makeKey(spec, `alg-${label}`);
      const r = root(`CN=${label} Root`, { ...at, key });
      const ica = intermediate(`CN=${label} CA`, r, { ...at, key: makeKey(spec, `alg-ica-${label}`) });
      const l = leaf("alg@contoso.com", ica, at);
      expect(ica.cert.signatureAlgorithmName).toBe(algName);
      expect(l.cert.signatureAlgorithmName).toBe(algName);
      const res = await validateChain(l.cert, new TrustList([r.cert]), opts([ica.cert]));
      expect(res.verdict, JSON.stringify(res.problems)).toBe("valid");
      expect(allCodes(res)).toEqual([]);
      expect(res.path.map((e) => e.cert.sha1)).toEqual([l.cert.sha1, ica.cert.sha1, r.cert.sha1]);

      // openssl agrees that the chain is good.
      const dir = t.path(label.replace(/[^A-Za-z0-9]/g, "_"));
      writeFileSync(`${dir}-root.pem`, r.pem);
      writeFileSync(`${dir}-ica.pem`, ica.pem);
      writeFileSync(`${dir}-leaf.pem`, l.pem);
      const out = openssl([
        "verify",
        "-attime",
        String(NOW / 1000),
        "-CAfile",
        `${dir}-root.pem`,
        "-untrusted",
        `${dir}-ica.pem`,
        `${dir}-leaf.pem`,
      ]).toString();
      expect(out).toMatch(/: OK/);

      // Same names, another key of the same type: the leaf's signature does not verify with it.
      const forged = intermediate(`CN=${label} CA`, r, { ...at, key: makeKey(spec) });
      const bad = await validateChain(l.cert, new TrustList([r.cert]), opts([forged.cert]));
      expect(bad.verdict).toBe("invalid");
      expect(bad.problems.map((p) => p.code)).toEqual(["CHAIN_SIGNATURE_INVALID"]);
    });
  }

  it("an ECDSA signature is never checked with an RSA key of the same name (key family mismatch)", async () => {
    const r = root("CN=Mixed Root", { ...at, key: makeKey({ type: "rsa" }, "alg-RSA PKCS#1 v1.5") });
    const ecCa = intermediate("CN=Mixed CA", r, { ...at, key: makeKey({ type: "ec" }) });
    const l = leaf("mixed@contoso.com", ecCa, at);
    const rsaTwin = intermediate("CN=Mixed CA", r, {
      ...at,
      key: makeKey({ type: "rsa" }, "alg-RSA PKCS#1 v1.5"),
    });
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts([rsaTwin.cert]));
    expect(res.problems.map((p) => p.code)).toEqual(["CHAIN_SIGNATURE_INVALID"]);
  });
});

/** DSA key pairs that share one set of domain parameters (made with openssl, loaded into node). */
function dsaKeysSharingParams(n: number): KeyPair[] {
  const params = t.path("dsa-params.pem");
  openssl([
    "genpkey",
    "-genparam",
    "-algorithm",
    "DSA",
    "-pkeyopt",
    "dsa_paramgen_bits:2048",
    "-pkeyopt",
    "dsa_paramgen_q_bits:256",
    "-out",
    params,
  ]);
  return Array.from({ length: n }, () => {
    const privateKey = createPrivateKey(openssl(["genpkey", "-paramfile", params]).toString());
    const publicKey = createPublicKey(privateKey);
    return {
      privateKey,
      publicKey,
      spki: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
      spec: { type: "dsa" } as KeySpec,
    };
  });
}

describe("DSA", () => {
  const [rootKey, caKey] = dsaKeysSharingParams(2);
  const r = root("CN=DSA Root", { ...at, key: rootKey });

  it("a DSA chain with parameters in every key validates", async () => {
    const ica = intermediate("CN=DSA CA", r, { ...at, key: caKey });
    const l = leaf("dsa@contoso.com", ica, at);
    expect(l.cert.signatureAlgorithmName).toBe("SHA256-DSA");
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts([ica.cert]));
    expect(res.verdict, JSON.stringify(res.problems)).toBe("valid");
    expect(allCodes(res)).toEqual([]);
  });

  it("an intermediate whose DSA key omits its parameters inherits them from the issuer", async () => {
    const ica = intermediate("CN=DSA Inheriting CA", r, {
      ...at,
      key: caKey,
      spki: dsaSpkiWithoutParams(caKey),
    });
    expect(ica.cert.publicKeyInfo.params).toBeUndefined();
    const l = leaf("inherit@contoso.com", ica, at);
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts([ica.cert]));
    expect(res.verdict, JSON.stringify(res.problems)).toBe("valid");
    expect(allCodes(res)).toEqual([]);

    // The same CA under a root with other domain parameters: the leaf's signature cannot verify.
    const otherRoot = root("CN=DSA Root", { ...at, key: makeKey({ type: "dsa" }, "dsa-other-root") });
    const twin = intermediate("CN=DSA Inheriting CA", otherRoot, {
      ...at,
      key: caKey,
      spki: dsaSpkiWithoutParams(caKey),
    });
    const bad = await validateChain(l.cert, new TrustList([otherRoot.cert]), opts([twin.cert]));
    expect(bad.verdict).toBe("invalid");
    expect(allCodes(bad)).toContain("CHAIN_SIGNATURE_INVALID");
  });
});
