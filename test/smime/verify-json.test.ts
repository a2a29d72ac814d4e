import { describe, expect, it } from "vitest";
import { resultFacts } from "../../src/smime/summary.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { recordFields, renderResult, verifyJson } from "../../src/smime/verify-json.js";
import { forwardAsAttachment, smimeMessage } from "../helpers/smime.js";
import { context, fixture } from "./pki-fixture.js";

const f = fixture();

/** The --json members after "file", as JSON.stringify makes them from the contract's object. */
const reference = (r: Awaited<ReturnType<typeof verifyMessage>>) =>
  JSON.stringify(verifyJson("", r))
    .replace(/^\{"file":"",/, "")
    .slice(0, -1);

describe("verify-json: results rendered from shared parts", () => {
  // One context (one chain cache) for all: later results reuse the cached chains and their text.
  const ctx = context({ crls: [] });
  const messages: [string, Uint8Array][] = [
    [
      "valid RSA, revocation unknown",
      smimeMessage({ from: "alice@contoso.com", signers: [{ signer: f.rsa }], certs: [f.rsa.der, f.ca.der] }),
    ],
    [
      "opaque P-256",
      smimeMessage({
        mode: "opaque",
        from: "bob@contoso.com",
        signers: [{ signer: f.ec }],
        certs: [f.ec.der, f.ca.der],
      }),
    ],
    [
      "two signers, one missing its certificate, sender mismatch with a hostile From",
      smimeMessage({
        from: '"Eve \u2028 \\"x\\"" <eve\u0007@contoso.com>',
        signers: [{ signer: f.rsa }, { signer: f.ec }],
        certs: [f.rsa.der, f.ca.der],
      }),
    ],
    [
      "an untrusted root",
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rogue }],
        certs: [f.rogue.der, f.rogueRoot.der],
      }),
    ],
    [
      "LF line ends (a note)",
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa }],
        certs: [f.rsa.der, f.ca.der],
        lf: true,
      }),
    ],
    [
      "SHA-1 (a warning with the signer's name)",
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, hash: "sha1" }],
        certs: [f.rsa.der, f.ca.der],
      }),
    ],
    [
      "forwarded as an attachment",
      forwardAsAttachment(
        smimeMessage({
          from: "alice@contoso.com",
          signers: [{ signer: f.rsa }],
          certs: [f.rsa.der, f.ca.der],
        }),
      ),
    ],
    ["not mail", new TextEncoder().encode("\u0000\u0001 not a message")],
  ];

  it("recordFields equals JSON.stringify of the contract object, first and again from the cache", async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++)
      for (const [label, bytes] of messages) {
        const r = await verifyMessage(bytes, ctx);
        for (const p of [...r.problems, ...r.signers.flatMap((s) => s.problems)]) seen.add(p.code);
        expect(recordFields(r), label).toBe(reference(r));
        const x = renderResult(r);
        expect(x.fields, label).toBe(reference(r));
        expect(x.verdict).toBe(r.verdict);
        expect(x.facts, label).toEqual(resultFacts(verifyJson("", r), x.sender));
      }
    // The cases reach the problems with hints, certificates and none, at message and signer level.
    for (const code of [
      "REVOCATION_UNKNOWN",
      "SENDER_MISMATCH",
      "SIGNER_CERT_MISSING",
      "UNTRUSTED_ROOT",
      "CONTENT_CANONICALISED",
      "WEAK_ALGORITHM",
      "NOT_MAIL",
    ])
      expect([...seen], [...seen].join()).toContain(code);
  });

  it("results of the same cached chain share its links, read-only, and render alike", async () => {
    const bytes = messages[0][1];
    const a = await verifyMessage(bytes, ctx);
    const b = await verifyMessage(bytes, ctx);
    expect(a.signers[0].chain.length).toBe(3);
    expect(b.signers[0].chain).toBe(a.signers[0].chain);
    expect(Object.isFrozen(a.signers[0].chain) && Object.isFrozen(a.signers[0].chain[0])).toBe(true);
    expect(renderResult(b).fields).toBe(renderResult(a).fields);
    // A fresh cache validates again: new links, the same text.
    const c = await verifyMessage(bytes, context({ crls: [] }));
    expect(c.signers[0].chain).not.toBe(a.signers[0].chain);
    expect(recordFields(c)).toBe(recordFields(a));
  });
});
