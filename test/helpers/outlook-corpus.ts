/**
 * The messages the Outlook input tests verify in three forms (.eml, .msg, PST): valid RSA-2048 clear-signed
 * (multipart/signed), valid P-256 opaque-signed (application/pkcs7-mime), a clear-signed one whose text was
 * changed after signing, one signed under a root the trust list does not hold, and an unsigned note.
 * Used by test/cli/outlook.test.ts (fresh keys) and test/fixtures/outlook/make.ts (the committed files).
 */
import { OID } from "../../src/lib/oids.js";
import { crl, type Issued, intermediate, leaf, makeKey, root } from "./pki.js";
import { smimeMessage } from "./smime.js";

export interface CorpusPki {
  root: Issued;
  ca: Issued;
  rsa: Issued;
  ec: Issued;
  rogueRoot: Issued;
  rogue: Issued;
  crls: Uint8Array[];
}

/** A root, an issuing CA and two mailbox certificates (RSA-2048, P-256), plus a rogue root and signer. */
export function corpusPki(now: number, days = 365): CorpusPki {
  const r = root("CN=Contoso Root CA,O=Contoso,C=GB", { key: makeKey({ type: "ec" }, "root"), now, days });
  const ca = intermediate("CN=Contoso Issuing CA 2,O=Contoso,C=GB", r, {
    key: makeKey({ type: "ec" }, "ca"),
    now,
    days,
  });
  const rsa = leaf("alice@contoso.com", ca, {
    key: makeKey({ type: "rsa", bits: 2048 }, "alice"),
    now,
    days,
  });
  const ec = leaf("bob@contoso.com", ca, { key: makeKey({ type: "ec" }, "bob"), now, days });
  const rogueRoot = root("CN=Fabrikam Root CA,O=Fabrikam,C=US", {
    key: makeKey({ type: "ec" }, "rogue-root"),
    now,
    days,
  });
  const rogue = leaf("carol@contoso.com", rogueRoot, {
    key: makeKey({ type: "ec" }, "rogue"),
    now,
    days,
    eku: [OID.emailProtection],
  });
  const upd = { thisUpdate: now - 86_400_000, nextUpdate: now + days * 86_400_000 };
  const crls = [crl({ issuer: r, ...upd }), crl({ issuer: ca, ...upd })];
  return { root: r, ca, rsa, ec, rogueRoot, rogue, crls };
}

export interface CorpusMessage {
  /** Base file name (no extension). */
  name: string;
  eml: Buffer;
  signed: boolean;
}

const date = (now: number) => new Date(now).toUTCString().replace("GMT", "+0000");

/** The five messages, in the order the PST holds them. */
export function corpusMessages(p: CorpusPki, now: number): CorpusMessage[] {
  const headers = (n: number) => [`Date: ${date(now)}`, `Message-ID: <outlook-${n}@contoso.com>`];
  const rsaValid = smimeMessage({
    from: "Alice <alice@contoso.com>",
    subject: "RSA clear-signed",
    signers: [{ signer: p.rsa, signingTime: now }],
    certs: [p.rsa.der, p.ca.der],
    headers: headers(1),
  });
  const ecValid = smimeMessage({
    from: "Bob <bob@contoso.com>",
    subject: "P-256 opaque-signed",
    mode: "opaque",
    signers: [{ signer: p.ec, signingTime: now }],
    certs: [p.ec.der, p.ca.der],
    headers: headers(2),
  });
  const tampered = Buffer.from(
    smimeMessage({
      from: "Alice <alice@contoso.com>",
      subject: "RSA clear-signed, changed after signing",
      signers: [{ signer: p.rsa, signingTime: now }],
      certs: [p.rsa.der, p.ca.der],
      headers: headers(3),
    })
      .toString("latin1")
      .replace("the quarterly report is attached", "the quarterly report is ATTACHED"),
    "latin1",
  );
  const untrusted = smimeMessage({
    from: "Carol <carol@contoso.com>",
    subject: "Signed under an untrusted root",
    signers: [{ signer: p.rogue, signingTime: now }],
    certs: [p.rogue.der, p.rogueRoot.der],
    headers: headers(4),
  });
  const plain = Buffer.from(
    [
      "From: Dave <dave@contoso.com>",
      "To: bob@example.com",
      "Subject: Not signed",
      ...headers(5),
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Lunch at noon?",
      "",
    ].join("\r\n"),
  );
  return [
    { name: "rsa-clear-signed", eml: rsaValid, signed: true },
    { name: "p256-opaque-signed", eml: ecValid, signed: true },
    { name: "tampered", eml: tampered, signed: true },
    { name: "untrusted-root", eml: untrusted, signed: true },
    { name: "unsigned", eml: plain, signed: false },
  ];
}
