/**
 * Regenerates the example signed messages in examples/mail/ (run from the repository root):
 *
 *   npx tsx examples/mail/make-examples.ts
 *
 * Everything is made with the test suite's certificate and message factories (test/helpers/pki.ts and
 * test/helpers/smime.ts). The private keys exist only in memory while this script runs: no key is ever
 * written, so the messages cannot be re-signed from the repository. Regenerating makes new keys, so the
 * thumbprints in README.md change; re-capture its chain and verify examples afterwards.
 *
 * What it writes:
 *   ca/northwind-root-ca.pem          root CA (P-384), valid 2026-01-01 to 2051-01-01
 *   ca/northwind-issuing-ca.pem       issuing CA (P-256) under it, valid 2026-01-01 to 2048-01-01
 *   crl/northwind-root-ca.crl         the root's CRL (empty), next update 2047-01-01
 *   crl/northwind-issuing-ca.crl      the issuing CA's CRL: revokes Alex Wilber, next update 2047-01-01
 *   users/<name>.pem                  three user certificates (P-256, emailProtection), valid to 2047-01-01
 *   good.eml                  signed by Megan Bowen, sent from her address, the issuing CA included
 *   tampered.eml              good.eml with its body changed after signing          -> DIGEST_MISMATCH
 *   wrong-sender.eml          signed with Megan's certificate, sent From Lee Gu      -> SENDER_MISMATCH
 *   missing-intermediate.eml  signed by Lee Gu, only his own certificate included    -> CHAIN_INCOMPLETE
 *                             (valid with --untrusted ca/northwind-issuing-ca.pem, or with the issuing CA
 *                             in the trust list)
 *   revoked.eml               signed by Alex Wilber, whose certificate the issuing CA revoked
 *                             -> CERT_REVOKED with --crl examples/mail/crl
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OID } from "../../src/lib/oids.js";
import { crl, intermediate, leaf, makeKey, root } from "../../test/helpers/pki.js";
import { smimeMessage } from "../../test/helpers/smime.js";

const OUT = dirname(fileURLToPath(import.meta.url));
const at = (iso: string) => Date.parse(iso);

const rootCa = root("CN=Northwind Root CA,O=Northwind Traders,C=US", {
  key: makeKey({ type: "ec", curve: "P-384" }),
  hash: "sha384",
  notBefore: at("2026-01-01T00:00:00Z"),
  notAfter: at("2051-01-01T00:00:00Z"),
});
const issuingCa = intermediate("CN=Northwind Issuing CA,O=Northwind Traders,C=US", rootCa, {
  hash: "sha384",
  notBefore: at("2026-01-01T00:00:00Z"),
  notAfter: at("2048-01-01T00:00:00Z"),
  pathLen: 0,
  eku: [OID.emailProtection],
});

const user = (name: string, email: string) =>
  leaf(email, issuingCa, {
    subject: `CN=${name},E=${email}`,
    notBefore: at("2026-11-01T00:00:00Z"),
    notAfter: at("2047-01-01T00:00:00Z"),
  });
const megan = user("Megan Bowen", "megan.bowen@northwind.example");
const lee = user("Lee Gu", "lee.gu@northwind.example");
const alex = user("Alex Wilber", "alex.wilber@northwind.example");

// The PEM label is assembled so that `smimetrust inspect examples/mail` does not take this file for a PEM file.
const DASHES = "-".repeat(5);
const pemCrl = (der: Uint8Array) =>
  `${DASHES}BEGIN X509 CRL${DASHES}\n${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n${DASHES}END X509 CRL${DASHES}\n`;
const crlDates = { thisUpdate: at("2026-11-28T00:00:00Z"), nextUpdate: at("2047-01-01T00:00:00Z") };
const rootCrl = crl({ issuer: rootCa, ...crlDates });
const issuingCrl = crl({
  issuer: issuingCa,
  ...crlDates,
  revoked: [{ serial: alex.cert.serialNumber, date: at("2026-11-20T09:00:00Z"), reason: 1 /* keyCompromise */ }],
});

const signingTime = at("2026-11-28T09:00:00Z");
const part = (text: string) =>
  `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text.replace(/\n/g, "\r\n")}`;
const MEGAN = "Megan Bowen <megan.bowen@northwind.example>";
const LEE = "Lee Gu <lee.gu@northwind.example>";
const ALEX = "Alex Wilber <alex.wilber@northwind.example>";
const TO = "Adele Vance <adele.vance@contoso.example>";

const good = smimeMessage({
  from: MEGAN,
  to: TO,
  subject: "Q4 order confirmation",
  part: part("Hello Adele,\n\nwe confirm your order of 40 units for delivery on 15 December.\n\nMegan\n"),
  signers: [{ signer: megan, signingTime }],
  certs: [megan.der, issuingCa.der],
  headers: ["Date: Sat, 28 Nov 2026 09:00:00 +0000"],
  boundary: "----=_Part_northwind",
});
// The same message, changed in transit (a gateway, or someone else) after it was signed.
const tampered = Buffer.from(good.toString("latin1").replace("40 units", "400 units"), "latin1");
if (tampered.equals(good)) throw new Error("tampering did not change the message");

const wrongSender = smimeMessage({
  from: LEE,
  to: TO,
  subject: "Invoice 2026-118",
  part: part("Hello Adele,\n\nplease find the bank details for invoice 2026-118 below.\n\nLee\n"),
  signers: [{ signer: megan, signingTime }],
  certs: [megan.der, issuingCa.der],
  headers: ["Date: Sat, 28 Nov 2026 09:00:00 +0000"],
  boundary: "----=_Part_northwind",
});

const missingIntermediate = smimeMessage({
  from: LEE,
  to: TO,
  subject: "Delivery schedule",
  part: part("Hello Adele,\n\nthe trucks leave our warehouse on Monday.\n\nLee\n"),
  signers: [{ signer: lee, signingTime }],
  certs: [lee.der],
  headers: ["Date: Sat, 28 Nov 2026 09:00:00 +0000"],
  boundary: "----=_Part_northwind",
});

const revoked = smimeMessage({
  from: ALEX,
  to: TO,
  subject: "Price list 2027",
  part: part("Hello Adele,\n\nour price list for 2027 is below.\n\nAlex\n"),
  signers: [{ signer: alex, signingTime }],
  certs: [alex.der, issuingCa.der],
  headers: ["Date: Sat, 28 Nov 2026 09:00:00 +0000"],
  boundary: "----=_Part_northwind",
});

const files: Record<string, string | Uint8Array> = {
  "ca/northwind-root-ca.pem": rootCa.pem,
  "ca/northwind-issuing-ca.pem": issuingCa.pem,
  "crl/northwind-root-ca.crl": pemCrl(rootCrl),
  "crl/northwind-issuing-ca.crl": pemCrl(issuingCrl),
  "users/megan.bowen.pem": megan.pem,
  "users/lee.gu.pem": lee.pem,
  "users/alex.wilber.pem": alex.pem,
  "good.eml": good,
  "tampered.eml": tampered,
  "wrong-sender.eml": wrongSender,
  "missing-intermediate.eml": missingIntermediate,
  "revoked.eml": revoked,
};
for (const [name, data] of Object.entries(files)) {
  const path = join(OUT, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  console.log(`wrote examples/mail/${name}`);
}
