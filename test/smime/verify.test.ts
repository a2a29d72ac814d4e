import { describe, expect, it } from "vitest";
import { OID } from "../../src/lib/oids.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { crl, leaf, makeKey } from "../helpers/pki.js";
import { forwardAsAttachment, signedData, smimeMessage } from "../helpers/smime.js";
import { codes, context, fixture } from "./pki-fixture.js";

const f = fixture();
const chainOf = (s: typeof f.rsa) => [s.der, f.ca.der];

describe("verify: good signatures", () => {
  for (const [label, s] of [
    ["RSA-2048", f.rsa],
    ["P-256", f.ec],
    ["Ed25519", f.ed],
  ] as const) {
    it(`accepts a clear-signed message (${label})`, async () => {
      const email = s.cert.emails[0];
      const msg = smimeMessage({
        from: `Someone <${email.toUpperCase()}>`,
        signers: [{ signer: s }],
        certs: chainOf(s),
      });
      const r = await verifyMessage(msg, context());
      expect(codes(r)).toEqual([]);
      expect(r.verdict).toBe("valid");
      expect(r.signers[0].sha1).toBe(s.cert.sha1);
      expect(r.signers[0].chain.map((c) => c.source)).toEqual(["message", "message", "trust"]);
      expect(r.signers[0].signingTime).toMatch(/Z$/);
    });
  }

  it("accepts opaque signed data, SKI signer ids, combined algorithm ids and no signed attributes", async () => {
    for (const spec of [
      { mode: "opaque" as const, signers: [{ signer: f.rsa }] },
      { signers: [{ signer: f.rsa, ski: true }] },
      { signers: [{ signer: f.rsa, keyTypeOnly: false }] },
      { signers: [{ signer: f.ec, signedAttrs: false }] },
      { mode: "opaque" as const, signers: [{ signer: f.rsa, signedAttrs: false, hash: "sha512" as const }] },
    ]) {
      const r = await verifyMessage(
        smimeMessage({ from: "alice@contoso.com", ...spec, certs: chainOf(f.rsa).concat(f.ec.der) }),
        context({ ignoreSender: true }),
      );
      expect(codes(r)).toEqual([]);
      expect(r.verdict).toBe("valid");
    }
  });

  it("retries a message stored with LF line ends in CRLF form and says so", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa }],
        certs: chainOf(f.rsa),
        lf: true,
      }),
      context(),
    );
    expect(r.verdict).toBe("valid");
    expect(codes(r)).toEqual(["CONTENT_CANONICALISED"]);
    expect(r.signers[0].form).toBe("crlf");
  });

  it("warns about SHA-1 but refuses MD5", async () => {
    const sha1 = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, hash: "sha1" }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(sha1.verdict).toBe("valid");
    expect(codes(sha1)).toEqual(["WEAK_ALGORITHM"]);
    expect(sha1.signers[0].problems[0].severity).toBe("warning");
    const md5 = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, hash: "md5" }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(md5.verdict).toBe("invalid");
    expect(md5.signers[0].problems.find((p) => p.code === "WEAK_ALGORITHM")?.severity).toBe("error");
  });

  it("validates at the signing time with at=signing", async () => {
    const past = f.now - 2 * 365 * 86_400_000;
    const old = leaf("old@contoso.com", f.ca, {
      key: makeKey({ type: "ec" }, "old"),
      notBefore: past - 86_400_000,
      notAfter: past + 86_400_000,
    });
    const msg = smimeMessage({
      from: "old@contoso.com",
      signers: [{ signer: old, signingTime: past }],
      certs: chainOf(old),
    });
    expect((await verifyMessage(msg, context())).verdict).toBe("invalid");
    expect(codes(await verifyMessage(msg, context()))).toContain("CERT_EXPIRED");
    // the CA itself was issued "now - 1 day", so at the signing time it is not yet valid: honest either way
    const atSigning = await verifyMessage(msg, context({ at: "signing" }));
    expect(atSigning.signers[0].signingTime).toBe(
      new Date(Math.floor(past / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    );
  });

  it("accepts several signers when all are good", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa }, { signer: f.ec }],
        certs: [f.rsa.der, f.ec.der, f.ca.der],
      }),
      context({ ignoreSender: true }),
    );
    expect(r.verdict).toBe("valid");
    expect(r.signers).toHaveLength(2);
  });
});

describe("verify: bad signatures", () => {
  it("DIGEST_MISMATCH when the body was changed", async () => {
    const msg = smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa }],
      certs: chainOf(f.rsa),
    });
    const tampered = Buffer.from(msg.toString("latin1").replace("quarterly", "QUARTERLY"), "latin1");
    const r = await verifyMessage(tampered, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("DIGEST_MISMATCH");
  });

  it("SIGNATURE_INVALID when the signature value was changed", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.ec, badSignature: true }],
        certs: chainOf(f.ec),
      }),
      context({ ignoreSender: true }),
    );
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("SIGNATURE_INVALID");
    const noAttrs = await verifyMessage(
      smimeMessage({
        signers: [{ signer: f.rsa, signedAttrs: false, badSignature: true }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(codes(noAttrs)).toContain("SIGNATURE_INVALID");
  });

  it("one bad signer of two makes the message invalid", async () => {
    const r = await verifyMessage(
      smimeMessage({
        signers: [{ signer: f.rsa }, { signer: f.ec, badSignature: true }],
        certs: [f.rsa.der, f.ec.der, f.ca.der],
      }),
      context({ ignoreSender: true }),
    );
    expect(r.verdict).toBe("invalid");
    expect(r.signers.map((s) => s.ok)).toEqual([true, false]);
  });

  it("SIGNER_CERT_MISSING unless --untrusted supplies it", async () => {
    const msg = smimeMessage({ from: "alice@contoso.com", signers: [{ signer: f.rsa }], certs: [f.ca.der] });
    const r = await verifyMessage(msg, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("SIGNER_CERT_MISSING");
    const withExtra = await verifyMessage(msg, context({ extra: [f.rsa.cert] }));
    expect(withExtra.verdict).toBe("valid");
    expect(withExtra.signers[0].chain[0].source).toBe("extra");
  });

  it("never anchors at a root the message carries", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rogue }],
        certs: [f.rogue.der, f.rogueRoot.der],
      }),
      context(),
    );
    expect(r.verdict).toBe("invalid");
    expect(
      codes(r).some(
        (c) => c === "UNTRUSTED_ROOT" || c === "CHAIN_INCOMPLETE" || c === "CHAIN_SIGNATURE_INVALID",
      ),
    ).toBe(true);
  });

  it("CERT_REVOKED from a CRL the message carries", async () => {
    const list = crl({ issuer: f.ca, revoked: [{ serial: f.ec.cert.serialNumber }] });
    const r = await verifyMessage(
      smimeMessage({
        from: "bob@contoso.com",
        signers: [{ signer: f.ec }],
        certs: chainOf(f.ec),
        crls: [list],
      }),
      context(),
    );
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("CERT_REVOKED");
  });

  it("SENDER_MISMATCH unless ignored", async () => {
    const msg = smimeMessage({
      from: "Mallory <mallory@contoso.com>",
      signers: [{ signer: f.rsa }],
      certs: chainOf(f.rsa),
    });
    const r = await verifyMessage(msg, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["SENDER_MISMATCH"]);
    expect((await verifyMessage(msg, context({ ignoreSender: true }))).verdict).toBe("valid");
  });
});

describe("verify: where signatures sit", () => {
  it("finds a signed message forwarded as an attachment and checks its own From", async () => {
    const inner = smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa }],
      certs: chainOf(f.rsa),
    });
    const r = await verifyMessage(forwardAsAttachment(inner), context());
    expect(r.verdict).toBe("valid");
    expect(r.signers[0].part).toBe("2");
    expect(codes(r)).toEqual(["SIGNED_PART"]);
  });

  it("ENCRYPTED, NOT_SIGNED, and certificates-only", async () => {
    const env = Buffer.from(
      "From: a@b\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n",
    );
    const e = await verifyMessage(env, context());
    expect(e.verdict).toBe("invalid");
    expect(codes(e)).toEqual(["ENCRYPTED"]);
    const plain = await verifyMessage(Buffer.from("From: a@b\r\nSubject: hi\r\n\r\nhello\r\n"), context());
    expect(plain.verdict).toBe("invalid");
    expect(codes(plain)).toEqual(["NOT_SIGNED"]);
    const bag = signedData({ content: new Uint8Array(0), signers: [], detached: true, certs: [f.ca.der] });
    const b = await verifyMessage(bag, context());
    expect(b.verdict).toBe("invalid");
    expect(codes(b)).toEqual(["NOT_SIGNED"]);
  });

  it("verifies a detached .p7s with its content given separately", async () => {
    const content = Buffer.from("detached content\r\n");
    const p7s = signedData({ content, signers: [{ signer: f.ec }], detached: true, certs: chainOf(f.ec) });
    expect((await verifyMessage(p7s, context({ detachedContent: content }))).verdict).toBe("valid");
    expect(codes(await verifyMessage(p7s, context()))).toContain("SIGNED_CONTENT_MISSING");
    const pem = `-----BEGIN PKCS7-----\n${Buffer.from(p7s).toString("base64")}\n-----END PKCS7-----\n`;
    expect((await verifyMessage(Buffer.from(pem), context({ detachedContent: content }))).verdict).toBe(
      "valid",
    );
  });

  it("verdict error: NOT_MAIL for input that is not a message at all, MALFORMED for a broken signature object", async () => {
    for (const [junk, code] of [
      [Buffer.alloc(0), "NOT_MAIL"],
      [Buffer.from([0, 1, 2, 3]), "NOT_MAIL"],
      [Buffer.from("\u0000garbage\n\n"), "NOT_MAIL"],
      [Buffer.from([0x30, 0x82, 0xff, 0xff, 0x06]), "MALFORMED"],
    ] as [Buffer, string][]) {
      const r = await verifyMessage(junk, context());
      expect(r.verdict).toBe("error");
      expect(codes(r)).toEqual([code]);
    }
  });

  it("a broken signature part is invalid with MALFORMED", async () => {
    const msg = smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa }],
      certs: chainOf(f.rsa),
    }).toString("latin1");
    const i = msg.indexOf('smime.p7s"\r\n\r\n') + 15;
    const broken = Buffer.from(`${msg.slice(0, i)}AAAA${msg.slice(i + 4)}`, "latin1");
    const r = await verifyMessage(broken, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("MALFORMED");
  });

  it("ignores PGP/MIME multipart/signed", async () => {
    const pgp = Buffer.from(
      'From: a@b\r\nContent-Type: multipart/signed; protocol="application/pgp-signature"; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--x--\r\n',
    );
    expect(codes(await verifyMessage(pgp, context()))).toEqual(["NOT_SIGNED"]);
  });
});

describe("verify: the email-protection purpose", () => {
  it("reports EKU_NOT_EMAIL for a certificate without emailProtection", async () => {
    const tls = leaf("tls@contoso.com", f.ca, { key: makeKey({ type: "ec" }, "tls"), eku: [OID.serverAuth] });
    const r = await verifyMessage(
      smimeMessage({ from: "tls@contoso.com", signers: [{ signer: tls }], certs: chainOf(tls) }),
      context(),
    );
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toContain("EKU_NOT_EMAIL");
  });
});

describe("verify: digests and signed attributes", () => {
  for (const [label, s] of [
    ["RSA-2048", f.rsa],
    ["P-256", f.ec],
  ] as const)
    for (const hash of ["sha1", "sha224", "sha256", "sha384", "sha512"] as const)
      it(`${hash.toUpperCase()} digest with ${label}, clear and opaque`, async () => {
        for (const mode of ["detached", "opaque"] as const) {
          const r = await verifyMessage(
            smimeMessage({
              from: s.cert.emails[0],
              mode,
              signers: [
                { signer: s, hash, keyTypeOnly: label === "RSA-2048" ? hash !== "sha384" : undefined },
              ],
              certs: chainOf(s),
            }),
            context(),
          );
          expect(r.verdict).toBe("valid");
          expect(codes(r)).toEqual(hash === "sha1" ? ["WEAK_ALGORITHM"] : []);
        }
      });

  it("a messageDigest attribute that does not match the content: DIGEST_MISMATCH, in either form", async () => {
    for (const lf of [false, true]) {
      const r = await verifyMessage(
        smimeMessage({
          from: "alice@contoso.com",
          signers: [{ signer: f.rsa, messageDigest: new Uint8Array(32).fill(7) }],
          certs: chainOf(f.rsa),
          lf,
        }),
        context(),
      );
      expect(r.verdict).toBe("invalid");
      expect(codes(r)).toEqual(["DIGEST_MISMATCH"]);
      expect(r.signers[0].ok).toBe(false);
      expect(r.signers[0].problems[0].severity).toBe("error");
    }
  });

  it("a contentType attribute that does not name the content is refused", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, contentTypeAttr: OID.signedData }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["SIGNATURE_INVALID"]);
  });

  it("signed attributes without contentType or messageDigest are MALFORMED; without signingTime they are fine", async () => {
    for (const omit of ["contentType", "messageDigest"] as const) {
      const r = await verifyMessage(
        smimeMessage({
          from: "alice@contoso.com",
          signers: [{ signer: f.rsa, omitAttrs: [omit] }],
          certs: chainOf(f.rsa),
        }),
        context(),
      );
      expect(r.verdict).toBe("invalid");
      expect(codes(r)).toEqual(["MALFORMED"]);
    }
    const noTime = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, omitAttrs: ["signingTime"] }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(noTime.verdict).toBe("valid");
    expect(noTime.signers[0].signingTime).toBeNull();
  });

  it("without signed attributes the signature covers the content: a changed body is SIGNATURE_INVALID", async () => {
    const msg = smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa, signedAttrs: false }],
      certs: chainOf(f.rsa),
    });
    expect((await verifyMessage(msg, context())).signers[0].signingTime).toBeNull();
    const tampered = Buffer.from(msg.toString("latin1").replace("quarterly", "QUARTERLY"), "latin1");
    const r = await verifyMessage(tampered, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["SIGNATURE_INVALID"]);
  });

  it("reports which form matched: as stored (no note) or CRLF (CONTENT_CANONICALISED), for SKI signers too", async () => {
    const raw = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, ski: true }],
        certs: chainOf(f.rsa),
      }),
      context(),
    );
    expect(raw.signers[0].form).toBe("raw");
    expect(codes(raw)).toEqual([]);
    const lf = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, ski: true }],
        certs: chainOf(f.rsa),
        lf: true,
      }),
      context(),
    );
    expect(lf.verdict).toBe("valid");
    expect(lf.signers[0].form).toBe("crlf");
    expect(codes(lf)).toEqual(["CONTENT_CANONICALISED"]);
  });
});

describe("verify: the sender check", () => {
  const subjectOnly = leaf("carol@contoso.com", f.ca, {
    key: makeKey({ type: "ec" }, "carol"),
    subject: "CN=Carol,E=Carol.Jones@Contoso.COM",
    emails: undefined,
  });

  it("accepts an address found only as emailAddress in the subject, case-insensitively", async () => {
    expect(subjectOnly.cert.emails.map((e) => e.toLowerCase())).toEqual(["carol.jones@contoso.com"]);
    const r = await verifyMessage(
      smimeMessage({
        from: '"Jones, Carol" <carol.jones@CONTOSO.com>',
        signers: [{ signer: subjectOnly }],
        certs: chainOf(subjectOnly),
      }),
      context(),
    );
    expect(codes(r)).toEqual([]);
    expect(r.verdict).toBe("valid");
  });

  it("SENDER_MISMATCH is an error naming the signer; --ignore-sender turns the check off", async () => {
    const msg = smimeMessage({
      from: "carol@contoso.com",
      signers: [{ signer: subjectOnly }],
      certs: chainOf(subjectOnly),
    });
    const r = await verifyMessage(msg, context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["SENDER_MISMATCH"]);
    expect(r.signers[0].problems[0]).toMatchObject({ severity: "error", cert: subjectOnly.cert.sha1 });
    expect((await verifyMessage(msg, context({ ignoreSender: true }))).verdict).toBe("valid");
  });

  it("a From header without an address is a mismatch, not a skipped check; no From header at all is not checked", async () => {
    for (const from of ["Undisclosed recipients:;", ""]) {
      const r = await verifyMessage(
        smimeMessage({ from, signers: [{ signer: f.rsa }], certs: chainOf(f.rsa) }),
        context(),
      );
      expect(r.verdict).toBe("invalid");
      expect(codes(r)).toEqual(["SENDER_MISMATCH"]);
    }
    const none = await verifyMessage(
      smimeMessage({ signers: [{ signer: f.rsa }], certs: chainOf(f.rsa) }),
      context(),
    );
    expect(none.verdict).toBe("valid");
  });

  it("a certificate without any address is a mismatch too (Exchange: subject mismatch)", async () => {
    const none = leaf("dan@contoso.com", f.ca, {
      key: makeKey({ type: "ec" }, "dan"),
      subject: "CN=Dan",
      emails: undefined,
    });
    const r = await verifyMessage(
      smimeMessage({ from: "dan@contoso.com", signers: [{ signer: none }], certs: chainOf(none) }),
      context(),
    );
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["SENDER_MISMATCH"]);
  });
});

describe("verify: message certificates are never anchors", () => {
  it("a copy of the signer's real root carried by the message does not replace the trust list", async () => {
    const other = new TrustList([f.rogueRoot.cert]);
    // The message carries the real root; the trust list holds another one: untrusted.
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa }],
        certs: [f.rsa.der, f.ca.der, f.root.der],
      }),
      context({ trust: other }),
    );
    expect(r.verdict).toBe("invalid");
    expect(r.signers[0].chain.every((c) => c.source !== "trust")).toBe(true);
    expect(codes(r).some((c) => c === "UNTRUSTED_ROOT" || c === "CHAIN_INCOMPLETE")).toBe(true);
  });
});

describe("verify: the path's warnings reach the signer", () => {
  it("no CRL: valid, but REVOCATION_UNKNOWN is reported for the CA and the signer (an error under profile exchange)", async () => {
    const msg = smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa }],
      certs: chainOf(f.rsa),
    });
    const r = await verifyMessage(msg, context({ crls: [] }));
    expect(r.verdict).toBe("valid");
    const unknown = r.signers[0].problems.filter((p) => p.code === "REVOCATION_UNKNOWN");
    expect(unknown.map((p) => p.cert).sort()).toEqual([f.ca.cert.sha1, f.rsa.cert.sha1].sort());
    expect(unknown.every((p) => p.severity === "warning")).toBe(true);
    const ex = await verifyMessage(msg, context({ crls: [], validation: { profile: "exchange" } }));
    expect(ex.verdict).toBe("invalid");
    expect(
      ex.signers[0].problems
        .filter((p) => p.code === "REVOCATION_UNKNOWN")
        .every((p) => p.severity === "error"),
    ).toBe(true);
  });

  it("a weak key on the signer certificate is a WEAK_KEY warning naming it", async () => {
    const weak = leaf("weak@contoso.com", f.ca, {
      key: makeKey({ type: "rsa", bits: 1024 }, "weak-1024"),
      now: f.now,
    });
    const msg = smimeMessage({
      from: "weak@contoso.com",
      signers: [{ signer: weak }],
      certs: [weak.der, f.ca.der],
    });
    const r = await verifyMessage(msg, context());
    expect(r.verdict).toBe("valid");
    const w = r.signers[0].problems.find((p) => p.code === "WEAK_KEY");
    expect(w?.severity).toBe("warning");
    expect(w?.cert).toBe(weak.cert.sha1);
  });
});
