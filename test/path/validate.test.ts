import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCertificateBytes } from "../../src/formats/read.js";
import { TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { ChainCache } from "../../src/path/cache.js";
import type { ChainResult, ValidationOptions } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { crl, type ExtensionSpec, ext, intermediate, issue, leaf, makeKey, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };

const codes = (r: ChainResult) => r.problems.map((p) => p.code).sort();
const allCodes = (r: ChainResult) =>
  [...new Set([...r.problems, ...r.path.flatMap((e) => e.problems)].map((p) => p.code))].sort();

function opts(extra: Partial<ValidationOptions> = {}, untrusted: Certificate[] = []): ValidationOptions {
  return {
    time: NOW,
    checkRevocation: false,
    untrusted: untrusted.map((cert) => ({ cert, source: "message" as const })),
    ...extra,
  };
}

function nameConstraints(permittedEmails: string[], excludedEmails: string[] = []): ExtensionSpec {
  const subtrees = (names: string[]) => names.map((n) => tlv(TAG.SEQUENCE, tlv(0x81, Buffer.from(n))));
  const parts: Uint8Array[] = [];
  if (permittedEmails.length) parts.push(tlv(0xa0, ...subtrees(permittedEmails)));
  if (excludedEmails.length) parts.push(tlv(0xa1, ...subtrees(excludedEmails)));
  return { oid: OID.nameConstraints, critical: true, value: tlv(TAG.SEQUENCE, ...parts) };
}

describe("validateChain: a good chain", () => {
  const r = root("CN=Contoso Root CA", at);
  const ica = intermediate("CN=Contoso Issuing CA", r, at);
  const alice = leaf("alice@contoso.com", ica, at);
  const trust = new TrustList([r.cert]);

  it("validates leaf -> intermediate (message) -> root (trust)", async () => {
    const res = await validateChain(alice.cert, trust, opts({}, [ica.cert]));
    expect(res.verdict).toBe("valid");
    expect(res.problems).toEqual([]);
    expect(res.path.map((e) => [e.cert.sha1, e.source])).toEqual([
      [alice.cert.sha1, "message"],
      [ica.cert.sha1, "message"],
      [r.cert.sha1, "trust"],
    ]);
  });

  it("takes the intermediate from the trust list when it is there", async () => {
    const res = await validateChain(alice.cert, new TrustList([r.cert, ica.cert]), opts());
    expect(res.verdict).toBe("valid");
    expect(res.path[1].source).toBe("trust");
  });

  it("reports a missing intermediate as CHAIN_INCOMPLETE naming the issuer", async () => {
    const res = await validateChain(alice.cert, trust, opts());
    expect(res.verdict).toBe("invalid");
    expect(codes(res)).toEqual(["CHAIN_INCOMPLETE"]);
    expect(res.problems[0].cert).toBe(alice.cert.sha1);
    expect(res.problems[0].message).toContain("Contoso Issuing CA");
    expect(res.problems[0].hint).toContain("Contoso Issuing CA");
    expect(res.path.map((e) => e.cert.sha1)).toEqual([alice.cert.sha1]);
  });

  it("reports a root outside the trust list as UNTRUSTED_ROOT", async () => {
    const other = root("CN=Other Root", at);
    const res = await validateChain(alice.cert, new TrustList([other.cert]), opts({}, [ica.cert, r.cert]));
    expect(codes(res)).toEqual(["UNTRUSTED_ROOT"]);
    expect(res.problems[0].cert).toBe(r.cert.sha1);
    expect(res.path.length).toBe(3);
  });

  it("reports an issuer with the same name but another key as CHAIN_SIGNATURE_INVALID", async () => {
    const impostor = intermediate("CN=Contoso Issuing CA", r, at);
    const res = await validateChain(alice.cert, trust, opts({}, [impostor.cert]));
    expect(codes(res)).toEqual(["CHAIN_SIGNATURE_INVALID"]);
    expect(res.problems[0].cert).toBe(alice.cert.sha1);
  });
});

describe("validateChain: validity", () => {
  const r = root("CN=V Root", at);
  const trust = new TrustList([r.cert]);

  it("CERT_EXPIRED for an expired leaf, with its date", async () => {
    const l = leaf("old@contoso.com", r, { now: NOW, notBefore: NOW - 400 * DAY, notAfter: NOW - DAY });
    const res = await validateChain(l.cert, trust, opts());
    expect(codes(res)).toEqual(["CERT_EXPIRED"]);
    expect(res.problems[0].cert).toBe(l.cert.sha1);
    expect(res.path[0].problems[0].message).toContain(new Date(NOW - DAY).toISOString().slice(0, 10));
  });

  it("CERT_NOT_YET_VALID for a leaf from the future", async () => {
    const l = leaf("new@contoso.com", r, { now: NOW, notBefore: NOW + DAY, notAfter: NOW + 400 * DAY });
    const res = await validateChain(l.cert, trust, opts());
    expect(codes(res)).toEqual(["CERT_NOT_YET_VALID"]);
  });

  it("CERT_EXPIRED for an expired trust anchor (Exchange refuses expired CAs)", async () => {
    const oldRoot = root("CN=Old Root", { now: NOW, notBefore: NOW - 900 * DAY, notAfter: NOW - DAY });
    const l = leaf("a@contoso.com", oldRoot, at);
    const res = await validateChain(l.cert, new TrustList([oldRoot.cert]), opts());
    expect(codes(res)).toEqual(["CERT_EXPIRED"]);
    expect(res.problems[0].cert).toBe(oldRoot.cert.sha1);
  });

  it("validity ends are inclusive at second granularity", async () => {
    const end = NOW + 10 * DAY;
    const l = leaf("edge@contoso.com", r, { now: NOW, notAfter: end });
    expect((await validateChain(l.cert, trust, opts({ time: end + 999 }))).verdict).toBe("valid");
    expect(codes(await validateChain(l.cert, trust, opts({ time: end + 1000 })))).toEqual(["CERT_EXPIRED"]);
  });
});

describe("validateChain: CA constraints", () => {
  const r = root("CN=C Root", at);
  const trust = new TrustList([r.cert]);

  it("KEY_USAGE for a CA without keyCertSign", async () => {
    const ica = intermediate("CN=No CertSign CA", r, { ...at, keyUsage: [6] });
    const l = leaf("b@contoso.com", ica, at);
    const res = await validateChain(l.cert, trust, opts({}, [ica.cert]));
    expect(codes(res)).toEqual(["KEY_USAGE"]);
    expect(res.problems[0].cert).toBe(ica.cert.sha1);
  });

  it("ISSUER_NOT_CA for an issuer without cA", async () => {
    const notCa = issue({ subject: "CN=Not A CA", issuer: r, ca: false, keyUsage: [0, 5], ...at });
    const l = leaf("c@contoso.com", notCa, at);
    const res = await validateChain(l.cert, trust, opts({}, [notCa.cert]));
    expect(codes(res)).toContain("ISSUER_NOT_CA");
  });

  it("PATH_LENGTH_EXCEEDED below a pathLen 0 CA; self-issued CAs do not count", async () => {
    const r0 = root("CN=PathLen Root", { ...at, pathLen: 0 });
    const ica = intermediate("CN=Sub CA", r0, at);
    const l = leaf("d@contoso.com", ica, at);
    const res = await validateChain(l.cert, new TrustList([r0.cert]), opts({}, [ica.cert]));
    expect(codes(res)).toEqual(["PATH_LENGTH_EXCEEDED"]);
    // Named after the constraining CA, listed on the CA one too many.
    expect(res.problems[0].cert).toBe(r0.cert.sha1);
    expect(res.path[1].problems.map((p) => p.code)).toEqual(["PATH_LENGTH_EXCEEDED"]);

    const ica1 = intermediate("CN=Sub CA 1", r, { ...at, pathLen: 0 });
    const rekey = intermediate("CN=Sub CA 1", ica1, at); // self-issued (same name, new key)
    const l2 = leaf("e@contoso.com", rekey, at);
    const ok = await validateChain(l2.cert, trust, opts({}, [ica1.cert, rekey.cert]));
    expect(ok.verdict).toBe("valid");
    expect(ok.path.length).toBe(4);
  });

  it("a pathLenConstraint too large for a number is no limit; a negative one is NONCONFORMING_CERT", async () => {
    const bc = (len: Uint8Array): ExtensionSpec => ({
      oid: OID.basicConstraints,
      critical: true,
      value: tlv(TAG.SEQUENCE, tlv(TAG.BOOLEAN, Uint8Array.of(0xff)), tlv(TAG.INTEGER, len)),
    });
    // 2^96, as openssl prints "pathlen:79228162514264337593543950336".
    const huge = root("CN=Huge PathLen Root", {
      ...at,
      noBasicConstraints: true,
      extensions: [bc(Uint8Array.from([0x01, ...new Array(12).fill(0)]))],
    });
    expect(huge.cert.basicConstraints?.pathLen).toBe(Number.MAX_SAFE_INTEGER);
    expect(huge.cert.role).toBe("root");
    const ica = intermediate("CN=Under Huge", huge, at);
    const ok = await validateChain(
      leaf("g@contoso.com", ica, at).cert,
      new TrustList([huge.cert]),
      opts({}, [ica.cert]),
    );
    expect(ok.verdict).toBe("valid");
    expect(allCodes(ok)).toEqual([]);

    const neg = root("CN=Negative PathLen Root", {
      ...at,
      noBasicConstraints: true,
      extensions: [bc(Uint8Array.of(0xff))],
    });
    const res = await validateChain(leaf("h@contoso.com", neg, at).cert, new TrustList([neg.cert]), opts());
    expect(codes(res)).toEqual(["NONCONFORMING_CERT"]);
    expect(res.problems[0].cert).toBe(neg.cert.sha1);
    // The offset is said once, by the error, not repeated in its message.
    expect(res.problems[0].message).not.toMatch(/at byte/);
  });

  it("UNKNOWN_CRITICAL_EXTENSION for a critical extension the engine does not know", async () => {
    const l = leaf("f@contoso.com", r, {
      ...at,
      extensions: [{ oid: "1.3.6.1.4.1.55738.666.1", critical: true, value: tlv(TAG.NULL) }],
    });
    expect(codes(await validateChain(l.cert, trust, opts()))).toEqual(["UNKNOWN_CRITICAL_EXTENSION"]);
  });
});

describe("validateChain: S/MIME purpose and profiles", () => {
  const r = root("CN=P Root", at);
  const trust = new TrustList([r.cert]);

  it("EKU_NOT_EMAIL for a leaf without emailProtection", async () => {
    const l = leaf("g@contoso.com", r, { ...at, eku: [OID.serverAuth] });
    const res = await validateChain(l.cert, trust, opts());
    expect(codes(res)).toEqual(["EKU_NOT_EMAIL"]);
    // Path logic only (conformance suites): no purpose check.
    expect((await validateChain(l.cert, trust, opts({ leafPurpose: "none" }))).verdict).toBe("valid");
  });

  it("EKU_NOT_EMAIL for an intermediate whose EKU excludes e-mail", async () => {
    const ica = intermediate("CN=TLS Only CA", r, { ...at, eku: [OID.serverAuth] });
    const l = leaf("h@contoso.com", ica, at);
    const res = await validateChain(l.cert, trust, opts({}, [ica.cert]));
    expect(codes(res)).toEqual(["EKU_NOT_EMAIL"]);
    expect(res.problems[0].cert).toBe(ica.cert.sha1);
  });

  it("purpose edge cases: anyExtendedKeyUsage, nonRepudiation alone, no key usage, mixed EKUs on CAs", async () => {
    const cases: [string, () => { leaf: Certificate; chain: Certificate[] }, string, string][] = [
      [
        "leaf with anyExtendedKeyUsage",
        () => ({
          leaf: leaf("k1@contoso.com", r, { ...at, eku: [OID.anyExtendedKeyUsage] }).cert,
          chain: [],
        }),
        "valid",
        "EKU_NOT_EMAIL",
      ],
      [
        "leaf with nonRepudiation only",
        () => ({ leaf: leaf("k2@contoso.com", r, { ...at, keyUsage: [1] }).cert, chain: [] }),
        "valid",
        "valid",
      ],
      [
        "leaf without a key usage extension",
        () => ({ leaf: leaf("k3@contoso.com", r, { ...at, keyUsage: null }).cert, chain: [] }),
        "valid",
        "valid",
      ],
      [
        "CA with anyExtendedKeyUsage",
        () => {
          const ca = intermediate("CN=Any EKU CA", r, { ...at, eku: [OID.anyExtendedKeyUsage] });
          return { leaf: leaf("k4@contoso.com", ca, at).cert, chain: [ca.cert] };
        },
        "valid",
        "valid",
      ],
      [
        "CA with serverAuth and emailProtection",
        () => {
          const ca = intermediate("CN=Mixed EKU CA", r, {
            ...at,
            eku: [OID.serverAuth, OID.emailProtection],
          });
          return { leaf: leaf("k5@contoso.com", ca, at).cert, chain: [ca.cert] };
        },
        "valid",
        "valid",
      ],
      [
        "CA without a key usage extension",
        () => {
          const ca = intermediate("CN=No KU CA", r, { ...at, keyUsage: null });
          return { leaf: leaf("k6@contoso.com", ca, at).cert, chain: [ca.cert] };
        },
        "valid",
        "valid",
      ],
    ];
    for (const [label, make, standard, exchange] of cases) {
      const { leaf: l, chain } = make();
      for (const [profile, want] of [
        ["standard", standard],
        ["exchange", exchange],
      ] as const) {
        const res = await validateChain(l, trust, opts({ profile, checkRevocation: false }, chain));
        expect(res.verdict === "valid" ? "valid" : codes(res).join(","), `${label} (${profile})`).toBe(want);
      }
    }
  });

  it("KEY_USAGE for a signing certificate with keyEncipherment only", async () => {
    const l = leaf("i@contoso.com", r, { ...at, keyUsage: [2] });
    expect(codes(await validateChain(l.cert, trust, opts()))).toEqual(["KEY_USAGE"]);
  });

  it("profile exchange needs the EKU extension present; standard accepts its absence", async () => {
    const l = issue({ subject: "CN=j,E=j@contoso.com", issuer: r, emails: ["j@contoso.com"], ...at });
    expect((await validateChain(l.cert, trust, opts({ profile: "standard" }))).verdict).toBe("valid");
    expect(
      codes(await validateChain(l.cert, trust, opts({ profile: "exchange", checkRevocation: false }))),
    ).toEqual(["EKU_NOT_EMAIL"]);
  });

  it("profile exchange makes an undeterminable revocation status an error; standard warns", async () => {
    const l = leaf("k@contoso.com", r, at);
    const std = await validateChain(l.cert, trust, { time: NOW });
    expect(std.verdict).toBe("valid");
    expect(std.path[0].problems.map((p) => [p.code, p.severity])).toEqual([
      ["REVOCATION_UNKNOWN", "warning"],
    ]);
    const ex = await validateChain(l.cert, trust, { time: NOW, profile: "exchange" });
    expect(ex.verdict).toBe("invalid");
    expect(ex.problems.map((p) => [p.code, p.severity])).toEqual([["REVOCATION_UNKNOWN", "error"]]);
    const req = await validateChain(l.cert, trust, { time: NOW, requireRevocation: true });
    expect(codes(req)).toEqual(["REVOCATION_UNKNOWN"]);
  });

  it("a CRL makes the status known: good, then CERT_REVOKED", async () => {
    const l = leaf("l@contoso.com", r, at);
    const good = crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY });
    const ok = await validateChain(l.cert, trust, { time: NOW, profile: "exchange", crls: [good] });
    expect(ok.verdict).toBe("valid");
    expect(allCodes(ok)).toEqual([]);
    const revoked = crl({
      issuer: r,
      thisUpdate: NOW - DAY,
      nextUpdate: NOW + 7 * DAY,
      revoked: [{ serial: l.cert.serialNumber, date: NOW - 2 * DAY }],
    });
    const bad = await validateChain(l.cert, trust, { time: NOW, crls: [revoked] });
    expect(codes(bad)).toEqual(["CERT_REVOKED"]);
    expect(bad.problems[0].cert).toBe(l.cert.sha1);
  });
});

describe("validateChain: certificate policies and the initial-policy inputs", () => {
  const P1 = "1.3.6.1.4.1.55738.1.1";
  const P2 = "1.3.6.1.4.1.55738.1.2";
  const r = root("CN=Policy Root", at);
  const trust = new TrustList([r.cert]);
  const ca = intermediate("CN=Policy CA", r, { ...at, extensions: [ext.certificatePolicies([P1, P2])] });
  const withP1 = leaf("p1@contoso.com", ca, { ...at, extensions: [ext.certificatePolicies([P1])] });
  const none = leaf("p0@contoso.com", ca, at);

  it("without inputs, policies are not required", async () => {
    expect((await validateChain(none.cert, trust, opts({}, [ca.cert]))).verdict).toBe("valid");
  });

  it("initial-explicit-policy: a leaf without an acceptable policy is POLICY", async () => {
    const o = opts({ initialExplicitPolicy: true }, [ca.cert]);
    expect((await validateChain(withP1.cert, trust, o)).verdict).toBe("valid");
    expect(codes(await validateChain(none.cert, trust, o))).toEqual(["POLICY"]);
  });

  it("user-initial-policy-set: only the policies asked for count", async () => {
    const want = (set: string[]) => opts({ initialExplicitPolicy: true, initialPolicySet: set }, [ca.cert]);
    expect((await validateChain(withP1.cert, trust, want([P1]))).verdict).toBe("valid");
    expect(codes(await validateChain(withP1.cert, trust, want([P2])))).toEqual(["POLICY"]);
  });
});

describe("validateChain: name constraints", () => {
  const r = root("CN=NC Root", at);
  const trust = new TrustList([r.cert]);
  const ica = intermediate("CN=Contoso Only CA", r, {
    ...at,
    extensions: [nameConstraints(["contoso.com", ".contoso.com"], ["ceo@contoso.com"])],
  });

  it("permits addresses in the permitted subtrees", async () => {
    for (const e of ["m@contoso.com", "n@eu.contoso.com"]) {
      const l = leaf(e, ica, at);
      expect((await validateChain(l.cert, trust, opts({}, [ica.cert]))).verdict, e).toBe("valid");
    }
  });

  it("NAME_CONSTRAINTS for an address outside them, in the SAN or the subject's emailAddress", async () => {
    const l = leaf("o@fabrikam.com", ica, at);
    expect(codes(await validateChain(l.cert, trust, opts({}, [ica.cert])))).toEqual(["NAME_CONSTRAINTS"]);
    const subjOnly = issue({
      subject: "CN=p,E=p@fabrikam.com",
      issuer: ica,
      eku: [OID.emailProtection],
      ...at,
    });
    expect(codes(await validateChain(subjOnly.cert, trust, opts({}, [ica.cert])))).toEqual([
      "NAME_CONSTRAINTS",
    ]);
  });

  it("NAME_CONSTRAINTS for an excluded mailbox", async () => {
    const l = leaf("ceo@contoso.com", ica, at);
    const res = await validateChain(l.cert, trust, opts({}, [ica.cert]));
    expect(codes(res)).toEqual(["NAME_CONSTRAINTS"]);
    expect(res.problems[0].cert).toBe(l.cert.sha1);
  });
});

describe("validateChain: path building", () => {
  it("back-tracks from a cross-signed dead end to the trusted root", async () => {
    const trusted = root("CN=New Root", at);
    const legacy = root("CN=Legacy Root", at);
    const key = makeKey({ type: "ec" });
    // Same CA (name and key) certified by two roots; the one under the untrusted root is newer, so tried first.
    const viaTrusted = intermediate("CN=Fabrikam CA", trusted, { key, now: NOW - 30 * DAY });
    const viaLegacy = intermediate("CN=Fabrikam CA", legacy, { key, now: NOW });
    const l = leaf("q@fabrikam.com", viaTrusted, at);
    const res = await validateChain(
      l.cert,
      new TrustList([trusted.cert]),
      opts({}, [viaLegacy.cert, viaTrusted.cert, legacy.cert]),
    );
    expect(res.verdict).toBe("valid");
    expect(res.path.map((e) => e.cert.sha1)).toEqual([l.cert.sha1, viaTrusted.cert.sha1, trusted.cert.sha1]);
  });

  it("anchor any: an intermediate of the list ends the path; by default it does not", async () => {
    const r = root("CN=Hidden Root", at);
    const ica = intermediate("CN=Trusted Issuing CA", r, at);
    const l = leaf("r@contoso.com", ica, at);
    const list = new TrustList([ica.cert]);
    const strict = await validateChain(l.cert, list, opts());
    expect(codes(strict)).toEqual(["CHAIN_INCOMPLETE"]);
    expect(strict.problems[0].cert).toBe(ica.cert.sha1);
    const any = await validateChain(l.cert, list, opts({ anchorAny: true }));
    expect(any.verdict).toBe("valid");
    expect(any.path.map((e) => e.source)).toEqual(["message", "trust"]);
  });

  it("when no path is valid, reports the best failing one: complete before dead ends, then fewest errors", async () => {
    const r = root("CN=Best Root", at);
    const elsewhere = root("CN=Elsewhere Root", at);
    const key = makeKey({ type: "ec" });
    // Three certificates of the same CA (name and key); the worse ones are newer, so they are tried first.
    const better = intermediate("CN=Best CA", r, {
      key,
      notBefore: NOW - 300 * DAY,
      notAfter: NOW - 2 * DAY,
    });
    const worse = intermediate("CN=Best CA", r, {
      key,
      notBefore: NOW - 200 * DAY,
      notAfter: NOW - DAY,
      keyUsage: [6],
    });
    const deadEnd = intermediate("CN=Best CA", elsewhere, {
      key,
      notBefore: NOW - 100 * DAY,
      days: 300,
      now: NOW,
    });
    const l = leaf("best@contoso.com", better, at);
    const res = await validateChain(
      l.cert,
      new TrustList([r.cert]),
      opts({}, [deadEnd.cert, worse.cert, better.cert]),
    );
    expect(res.verdict).toBe("invalid");
    expect(res.path.map((e) => e.cert.sha1)).toEqual([l.cert.sha1, better.cert.sha1, r.cert.sha1]);
    expect(codes(res)).toEqual(["CERT_EXPIRED"]);
    expect(res.problems[0].cert).toBe(better.cert.sha1);
    // Given only the dead end, that is what is reported (the path as far as it goes, and why it stops).
    const only = await validateChain(l.cert, new TrustList([r.cert]), opts({}, [deadEnd.cert]));
    expect(only.path.map((e) => e.cert.sha1)).toEqual([l.cert.sha1, deadEnd.cert.sha1]);
    expect(codes(only)).toEqual(["CHAIN_INCOMPLETE"]);
  });

  it("does not loop through mutually cross-signed CAs", async () => {
    const r = root("CN=Loop Root", at);
    const ka = makeKey({ type: "ec" });
    const kb = makeKey({ type: "ec" });
    const a0 = issue({ subject: "CN=CA A", ca: true, key: ka, ...at });
    const b0 = issue({ subject: "CN=CA B", ca: true, key: kb, ...at });
    const aByB = issue({ subject: "CN=CA A", issuer: b0, ca: true, key: ka, ...at });
    const bByA = issue({ subject: "CN=CA B", issuer: a0, ca: true, key: kb, ...at });
    const l = leaf("loop@contoso.com", aByB, at);
    const started = performance.now();
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts({}, [aByB.cert, bByA.cert]));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.verdict).toBe("invalid");
    expect(codes(res)).toEqual(["CHAIN_INCOMPLETE"]);
    // No certificate (nor subject and key) twice in the reported path.
    const ids = res.path.map((e) => `${e.cert.subject.key}|${Buffer.from(e.cert.spki).toString("hex")}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a pathological set of same-name CAs ends inside the budget", async () => {
    const r = root("CN=Real Root", at);
    const key = makeKey({ type: "ec" });
    const cas: Certificate[] = [];
    let prev = issue({ subject: "CN=Loop CA", ca: true, key, ...at });
    cas.push(prev.cert);
    for (let i = 0; i < 40; i++) {
      prev = issue({ subject: "CN=Loop CA", issuer: prev, ca: true, key: makeKey({ type: "ec" }), ...at });
      cas.push(prev.cert);
    }
    const l = leaf("s@contoso.com", prev, at);
    const started = performance.now();
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts({ budget: 100 }, cas));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(res.verdict).toBe("invalid");
    expect(res.problems[0].code).toBe("CHAIN_INCOMPLETE");
  });
});

describe("validateChain: malformed content never throws", () => {
  it("a leaf with an undecodable subjectAltName is NONCONFORMING_CERT; a malformed untrusted CA is skipped", async () => {
    const r = root("CN=M Root", at);
    const badSan: ExtensionSpec = {
      oid: OID.subjectAltName,
      value: Uint8Array.from(Buffer.from("not DER at all")),
    };
    const l = issue({ subject: "CN=w", issuer: r, eku: [OID.emailProtection], extensions: [badSan], ...at });
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts());
    expect(res.verdict).toBe("invalid");
    expect(codes(res)).toEqual(["NONCONFORMING_CERT"]);
    const badAki: ExtensionSpec = { oid: OID.authorityKeyIdentifier, value: Uint8Array.from([0x04, 0x01]) };
    const weird = intermediate("CN=M CA", r, { ...at, noKeyIds: true, extensions: [badAki] });
    const good = intermediate("CN=M CA", r, at);
    const l2 = leaf("x@contoso.com", good, at);
    const res2 = await validateChain(l2.cert, new TrustList([r.cert]), opts({}, [weird.cert, good.cert]));
    expect(res2.verdict).toBe("valid");
  });
});

describe("validateChain: key types", () => {
  it("verifies Ed25519, P-384 and RSA-2048 issuers", async () => {
    for (const key of [
      makeKey({ type: "ed25519" }),
      makeKey({ type: "ec", curve: "P-384" }),
      makeKey({ type: "rsa" }, "rsa2048"),
    ]) {
      const r = root(`CN=Root ${key.spec.type}`, { ...at, key });
      const ica = intermediate(`CN=CA ${key.spec.type}`, r, {
        ...at,
        key: makeKey({ type: "ec", curve: "P-521" }),
      });
      const l = leaf("y@contoso.com", ica, at);
      const res = await validateChain(l.cert, new TrustList([r.cert]), opts({}, [ica.cert]));
      expect(res.verdict, key.spec.type).toBe("valid");
      expect(allCodes(res)).toEqual([]);
    }
  });
});

describe("validateChain: weak algorithms", () => {
  it("WEAK_KEY for RSA 1024 and WEAK_ALGORITHM for SHA-1 are warnings; MD5 is an error", async () => {
    const rsa1024 = makeKey({ type: "rsa", bits: 1024 }, "weak1024");
    const r = root("CN=Weak Root", { ...at, key: rsa1024 });
    const l = leaf("t@contoso.com", r, { ...at, hash: "sha1" });
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts());
    expect(res.verdict).toBe("valid");
    expect(res.path[0].problems.map((p) => [p.code, p.severity])).toEqual([["WEAK_ALGORITHM", "warning"]]);
    expect(res.path[1].problems.map((p) => [p.code, p.severity])).toEqual([["WEAK_KEY", "warning"]]);
    const md5 = leaf("u@contoso.com", r, { ...at, hash: "md5" });
    const bad = await validateChain(md5.cert, new TrustList([r.cert]), opts());
    expect(codes(bad)).toEqual(["WEAK_ALGORITHM"]);
    expect(bad.problems[0].severity).toBe("error");
  });
});

describe("validateChain: weak elliptic curves", () => {
  it("WEAK_KEY for a P-192 key (openssl-made), not for P-224 or brainpoolP256r1; curves are named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-curves-"));
    try {
      const make = (curve: string) => {
        const out = join(dir, `${curve}.pem`);
        execFileSync(
          "openssl",
          [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            `ec_paramgen_curve:${curve}`,
            "-nodes",
            "-keyout",
            join(dir, `${curve}.key`),
            "-subj",
            `/CN=${curve} Root`,
            "-days",
            "30",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            "-out",
            out,
          ],
          { stdio: "pipe" },
        );
        return readCertificateBytes(readFileSync(out), out).certificates[0];
      };
      const cases: [string, string, string[]][] = [
        ["prime192v1", "EC P-192", ["WEAK_KEY"]],
        ["secp224r1", "EC P-224", []],
        ["brainpoolP256r1", "EC brainpoolP256r1", []],
      ];
      for (const [curve, desc, want] of cases) {
        const c = make(curve);
        expect(c.keyDescription).toBe(desc);
        const res = await validateChain(c, new TrustList([c]), {
          time: Date.now(),
          checkRevocation: false,
          leafPurpose: "none",
        });
        expect(res.verdict, curve).toBe("valid");
        expect(
          res.path.flatMap((e) => e.problems.map((p) => p.code)),
          curve,
        ).toEqual(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ChainCache", () => {
  const r = root("CN=Cache Root", at);
  const ica = intermediate("CN=Cache CA", r, at);
  const l = leaf("v@contoso.com", ica, { now: NOW, notAfter: NOW + 30 * DAY });
  const trust = new TrustList([r.cert]);

  it("answers the same question from the cache, within the time window only", async () => {
    const cache = new ChainCache();
    const first = await validateChain(l.cert, trust, opts({ cache }, [ica.cert]));
    const second = await validateChain(l.cert, trust, opts({ cache, time: NOW + DAY }, [ica.cert]));
    expect(second).toBe(first);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    // After the leaf expires the window is left: validated again, and now expired.
    const later = await validateChain(l.cert, trust, opts({ cache, time: NOW + 31 * DAY }, [ica.cert]));
    expect(later).not.toBe(first);
    expect(codes(later)).toEqual(["CERT_EXPIRED"]);
    expect(cache.misses).toBe(2);
  });

  it("a trust-list certificate outside the cached path still bounds the window (a root that becomes valid)", async () => {
    // The CA is certified by two roots: an expired one (its certificate tried first, being newer) and one
    // valid only from NOW + 10 days. At NOW the answer is invalid; from NOW + 10 days it is valid.
    const old = root("CN=Old Root", { now: NOW, notBefore: NOW - 900 * DAY, notAfter: NOW - DAY });
    const next = root("CN=Next Root", { now: NOW, notBefore: NOW + 10 * DAY, notAfter: NOW + 900 * DAY });
    const key = makeKey({ type: "ec" });
    const viaOld = intermediate("CN=Bridged CA", old, {
      key,
      notBefore: NOW - 5 * DAY,
      notAfter: NOW + 500 * DAY,
    });
    const viaNext = intermediate("CN=Bridged CA", next, {
      key,
      notBefore: NOW - 50 * DAY,
      notAfter: NOW + 500 * DAY,
    });
    const l2 = leaf("w@contoso.com", viaOld, { now: NOW, days: 100 });
    const list = new TrustList([old.cert, next.cert]);
    const o = (time: number, cache?: ChainCache) => opts({ time, cache }, [viaOld.cert, viaNext.cert]);
    const cache = new ChainCache();
    const now = await validateChain(l2.cert, list, o(NOW, cache));
    expect(now.verdict).toBe("invalid");
    const later = NOW + 20 * DAY;
    const truth = await validateChain(l2.cert, list, o(later));
    expect(truth.verdict).toBe("valid");
    expect((await validateChain(l2.cert, list, o(later, cache))).verdict).toBe("valid");
  });

  it("shares entries across messages carrying the same CRL bytes; a CRL's nextUpdate ends the window", async () => {
    const cache = new ChainCache();
    const crlDer = crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 2 * DAY });
    const rootCrl = crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 20 * DAY });
    const copy = () => [Uint8Array.from(crlDer), Uint8Array.from(rootCrl)];
    const a = await validateChain(l.cert, trust, {
      time: NOW,
      cache,
      requireRevocation: true,
      crls: copy(),
      untrusted: [{ cert: ica.cert, source: "message" }],
    });
    expect(a.verdict).toBe("valid");
    const b = await validateChain(l.cert, trust, {
      time: NOW + DAY,
      cache,
      requireRevocation: true,
      crls: copy(),
      untrusted: [{ cert: ica.cert, source: "message" }],
    });
    expect(b).toBe(a);
    const c = await validateChain(l.cert, trust, {
      time: NOW + 3 * DAY,
      cache,
      requireRevocation: true,
      crls: copy(),
      untrusted: [{ cert: ica.cert, source: "message" }],
    });
    expect(c).not.toBe(a);
    expect(codes(c)).toEqual(["REVOCATION_UNKNOWN"]);
  });

  it("keys on the untrusted set, the trust list and the options", async () => {
    const cache = new ChainCache();
    const a = await validateChain(l.cert, trust, opts({ cache }, [ica.cert]));
    const b = await validateChain(l.cert, trust, opts({ cache }));
    expect(a.verdict).toBe("valid");
    expect(codes(b)).toEqual(["CHAIN_INCOMPLETE"]);
    const c = await validateChain(l.cert, trust, opts({ cache, profile: "exchange" }, [ica.cert]));
    expect(c).not.toBe(a);
    const d = await validateChain(l.cert, new TrustList([r.cert, ica.cert]), opts({ cache }, [ica.cert]));
    expect(d).not.toBe(a);
    expect(cache.hits).toBe(0);
  });
});
