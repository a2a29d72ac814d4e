/**
 * Every reader of untrusted bytes, with a corpus of valid (and hostile) inputs to mutate, for the fuzz
 * suite (test/fuzz/readers.test.ts: a seeded sample) and the fuzz script (`npm run fuzz -- --reader pem
 * --cases 1000000`). A reader may return anything or throw one of the project's typed errors
 * (SmimetrustError and its subclasses, which the CLI turns into one line and exit 2); anything else
 * (TypeError, RangeError, a DerError that escaped) is a failure, and so is a case over the time limit.
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCertsOnlyPkcs7 } from "../../src/cms/certs-only.js";
import { parseContentInfo, parseSignedData } from "../../src/cms/signed-data.js";
import { readPfxCertificates } from "../../src/formats/pfx.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { createSst, readSst } from "../../src/formats/sst.js";
import { encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { passwordCandidates, pkcs12Kdf } from "../../src/lib/pbe.js";
import { splitMbox } from "../../src/mime/mbox.js";
import { decodedBody, parseMessage, walk } from "../../src/mime/parse.js";
import { parseCrl, readCrls } from "../../src/revocation/crl.js";
import { parseOcspResponse } from "../../src/revocation/ocsp.js";
import { REPO_ROOT } from "../helpers/cli.js";
import {
  crl,
  crlDistributionPoints,
  idp,
  intermediate,
  issue,
  leaf,
  ocspResponse,
  root,
} from "../helpers/pki.js";
import { signedData, smimeMessage } from "../helpers/smime.js";

export const READER_NAMES = ["pem", "der", "p7b", "sst", "pfx", "mime", "cms", "crl", "ocsp"] as const;
export type ReaderName = (typeof READER_NAMES)[number];

export interface Reader {
  name: ReaderName;
  /**
   * Valid inputs, and the hostile ones the suite keeps (each must be refused or read within the limit).
   * `weight` (default 1) is how often an entry is picked: the large hostile ones are picked rarely.
   */
  corpus: { name: string; bytes: Uint8Array; weight?: number }[];
  /** Reads the bytes as the project does; throws whatever the reader throws. */
  read: (bytes: Uint8Array, caseIndex: number) => void;
}

const CORPORA = resolve(REPO_ROOT, "test/corpora");
const oid = (o: string) => tlv(TAG.OID, encodeOid(o));

function int(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** The PKI every corpus is made from (generated once per process). */
function pki() {
  const r = root("CN=Fuzz Root,O=Fuzz");
  const other = root("CN=Fuzz Other,O=Fuzz");
  const i = intermediate("CN=Fuzz Issuing,O=Fuzz", r);
  const u = leaf("fuzz@example.com", i, {
    extensions: [
      crlDistributionPoints([
        { uri: "http://x.test/a.crl", reasons: [1, 2], crlIssuer: other.cert.subject.der },
      ]),
    ],
  });
  const ec = leaf("ec@example.com", i);
  return { r, other, i, u, ec };
}

let cached: ReturnType<typeof pki> | undefined;
const P = () => {
  cached ??= pki();
  return cached;
};

// ---------- PKCS#12 made here: cheap key derivation (1 iteration) so that a million cases run ----------

function safeContents(ders: Uint8Array[]): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    ...ders.map((der) =>
      tlv(
        TAG.SEQUENCE,
        oid(OID.certBag),
        tlv(0xa0, tlv(TAG.SEQUENCE, oid(OID.x509Certificate), tlv(0xa0, tlv(TAG.OCTET_STRING, der)))),
      ),
    ),
    tlv(TAG.SEQUENCE, oid(OID.pkcs8ShroudedKeyBag), tlv(0xa0, tlv(TAG.SEQUENCE, randomBytes(40)))),
  );
}

function pbes2Content(plain: Uint8Array, password: string, iterations: number): Uint8Array {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const c = createCipheriv("aes-256-cbc", key, iv);
  const enc = Buffer.concat([c.update(plain), c.final()]);
  const hmac = tlv(TAG.SEQUENCE, oid(OID.hmacWithSHA256), tlv(TAG.NULL));
  const kdf = tlv(
    TAG.SEQUENCE,
    oid(OID.pbkdf2),
    tlv(TAG.SEQUENCE, tlv(TAG.OCTET_STRING, salt), int(iterations), hmac),
  );
  const alg = tlv(
    TAG.SEQUENCE,
    oid(OID.pbes2),
    tlv(TAG.SEQUENCE, kdf, tlv(TAG.SEQUENCE, oid(OID.aes256CBC), tlv(TAG.OCTET_STRING, iv))),
  );
  const eci = tlv(TAG.SEQUENCE, oid(OID.data), alg, tlv(0x80, enc));
  return tlv(TAG.SEQUENCE, oid(OID.encryptedData), tlv(0xa0, tlv(TAG.SEQUENCE, int(0), eci)));
}

function pkcs12PbeContent(plain: Uint8Array, password: string): Uint8Array {
  const salt = randomBytes(8);
  const [pw] = passwordCandidates(password);
  const key = pkcs12Kdf("sha1", pw.bmp, salt, 1, 1, 24);
  const iv = pkcs12Kdf("sha1", pw.bmp, salt, 2, 1, 8);
  const c = createCipheriv("des-ede3-cbc", key, iv);
  const enc = Buffer.concat([c.update(plain), c.final()]);
  const alg = tlv(
    TAG.SEQUENCE,
    oid(OID.pbeWithSHAAnd3KeyTripleDESCBC),
    tlv(TAG.SEQUENCE, tlv(TAG.OCTET_STRING, salt), int(1)),
  );
  const eci = tlv(TAG.SEQUENCE, oid(OID.data), alg, tlv(0x80, enc));
  return tlv(TAG.SEQUENCE, oid(OID.encryptedData), tlv(0xa0, tlv(TAG.SEQUENCE, int(0), eci)));
}

function dataContent(plain: Uint8Array): Uint8Array {
  return tlv(TAG.SEQUENCE, oid(OID.data), tlv(0xa0, tlv(TAG.OCTET_STRING, plain)));
}

function pfx(contentInfos: Uint8Array[], macPassword?: string): Uint8Array {
  const authSafe = tlv(TAG.SEQUENCE, ...contentInfos);
  const ci = tlv(TAG.SEQUENCE, oid(OID.data), tlv(0xa0, tlv(TAG.OCTET_STRING, authSafe)));
  if (macPassword === undefined) return tlv(TAG.SEQUENCE, int(3), ci);
  const salt = randomBytes(8);
  const [pw] = passwordCandidates(macPassword);
  const mac = createHmac("sha1", pkcs12Kdf("sha1", pw.bmp, salt, 3, 1, 20))
    .update(authSafe)
    .digest();
  const macData = tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, oid(OID.sha1), tlv(TAG.NULL)), tlv(TAG.OCTET_STRING, mac)),
    tlv(TAG.OCTET_STRING, salt),
    int(1),
  );
  return tlv(TAG.SEQUENCE, int(3), ci, macData);
}

/** The PKCS#12 budget the fuzz runs use: small, so that a mutated iteration count stays cheap. */
export const FUZZ_PFX_BUDGET = 20_000;

// ---------- the corpora ----------

function sstFixtures(): { name: string; bytes: Uint8Array }[] {
  const dir = join(CORPORA, "sst");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sst"))
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }))
    .filter((x) => x.bytes.length < 120_000);
}

function eml(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CORPORA, "smime-misc/thunderbird/messages", name)));
}

function signaturePart(message: Uint8Array): Uint8Array {
  for (const e of walk(parseMessage(message))) {
    if (/pkcs7-(signature|mime)/.test(e.contentType.mediaType)) return decodedBody(e);
  }
  throw new Error("no CMS part");
}

const many = (line: string, n: number) => new Uint8Array(Buffer.from(line.repeat(n)));

function corpusFor(name: ReaderName): Reader["corpus"] {
  const { r, other, i, u, ec } = P();
  const crlDer = crl({
    issuer: r,
    crlNumber: 3,
    idp: idp({ uri: "http://x.test/a.crl", onlySomeReasons: [1, 2], indirect: true }),
    revoked: [
      { serial: Uint8Array.of(1), reason: 1 },
      { serial: Uint8Array.of(2), certificateIssuer: other.cert.subject.der },
    ],
  });
  const pem = (label: string, der: Uint8Array) =>
    `-----BEGIN ${label}-----\n${(
      Buffer.from(der)
        .toString("base64")
        .match(/.{1,64}/g) ?? []
    ).join("\n")}\n-----END ${label}-----\n`;
  const p7b = createCertsOnlyPkcs7([r.der, i.der, u.der]);
  const msg = smimeMessage({ from: "fuzz@example.com", signers: [{ signer: u }], certs: [u.der, i.der] });
  switch (name) {
    case "pem":
      return [
        { name: "chain", bytes: Buffer.from(`text before\r\n${r.pem}${i.pem.replace(/\n/g, "\r\n")}`) },
        { name: "crl+pkcs7", bytes: Buffer.from(`${pem("X509 CRL", crlDer)}${pem("PKCS7", p7b)}`) },
        {
          name: "headers+key",
          bytes: Buffer.from(
            `-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n${Buffer.from(ec.der).toString("base64")}\n-----END CERTIFICATE-----\n`,
          ),
        },
        { name: "utf16", bytes: Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(r.pem, "utf16le")]) },
        // Hostile: BEGIN lines that never end (quadratic before the linear scan).
        { name: "hostile-many-begin", bytes: many("-----BEGIN CERTIFICATE-----\n", 20_000), weight: 0.01 },
        {
          name: "hostile-many-begin-then-end",
          weight: 0.01,
          bytes: Buffer.concat([
            many("-----BEGIN X509 CRL-----\r\n", 20_000),
            Buffer.from(pem("X509 CRL", crlDer)),
          ]),
        },
      ];
    case "der":
      return [
        { name: "leaf", bytes: u.der },
        { name: "root", bytes: r.der },
        { name: "concatenated", bytes: Buffer.concat([r.der, i.der]) },
        { name: "crl", bytes: crlDer },
        { name: "base64", bytes: Buffer.from(Buffer.from(i.der).toString("base64")) },
      ];
    case "p7b":
      return [
        { name: "certs-only", bytes: p7b },
        { name: "signed-data", bytes: signaturePart(msg) },
      ];
    case "sst":
      return [{ name: "made", bytes: createSst([{ der: r.der }, { der: i.der }]) }, ...sstFixtures()];
    case "pfx": {
      const plain = safeContents([u.der, i.der]);
      return [
        { name: "pbes2-mac", bytes: pfx([pbes2Content(plain, "pw", 1)], "pw") },
        {
          name: "3des-nomac",
          bytes: pfx([pkcs12PbeContent(plain, "pw"), dataContent(safeContents([r.der]))]),
        },
        { name: "plain-mac", bytes: pfx([dataContent(plain)], "pw") },
        { name: "empty-password", bytes: pfx([pbes2Content(plain, "", 1)]) },
        // Hostile: no MAC, the empty password, encrypted contents of 10,000,000 iterations each.
        { name: "hostile-kdf", bytes: hostileKdf(plain) },
      ];
    }
    case "mime":
      return [
        { name: "generated", bytes: msg },
        { name: "tb-multipart", bytes: eml("alice.dsig.SHA256.multipart.eml") },
        { name: "tb-opaque", bytes: eml("alice.sig.SHA256.opaque.eml") },
        {
          name: "mbox",
          bytes: Buffer.concat([
            Buffer.from("From a@b Mon Jan  1 00:00:00 2026\n"),
            msg,
            Buffer.from("\nFrom c@d Mon Jan  1 00:00:00 2026\n>From x\n"),
            msg,
          ]),
        },
      ];
    case "cms":
      return [
        { name: "signed-message", bytes: signaturePart(eml("alice.dsig.SHA256.multipart.eml")) },
        {
          name: "generated",
          bytes: signedData({
            signers: [{ signer: u }],
            certs: [u.der, i.der],
            content: Buffer.from("hello"),
          }),
        },
        { name: "certs-only", bytes: p7b },
      ];
    case "crl":
      return [
        { name: "indirect", bytes: crlDer },
        { name: "plain", bytes: crl({ issuer: i }) },
        { name: "pem", bytes: Buffer.from(pem("X509 CRL", crlDer)) },
        { name: "hostile-many-begin", bytes: many("-----BEGIN X509 CRL-----\n", 20_000), weight: 0.01 },
      ];
    case "ocsp": {
      const responder = issue({ subject: "CN=Fuzz Responder", issuer: i, eku: [OID.ocspSigning] });
      return [
        {
          name: "revoked",
          bytes: ocspResponse({ cert: u, issuer: i, status: "revoked", reason: 1, responder }),
        },
        { name: "good", bytes: ocspResponse({ cert: u, issuer: i, status: "good" }) },
      ];
    }
  }
}

function hostileKdf(plain: Uint8Array): Uint8Array {
  // Built as pbes2Content would, but with the iteration count set to 10,000,000 after encryption (the
  // content cannot be decrypted anyway: the point is that the budget refuses it before deriving anything).
  const contents = Array.from({ length: 5 }, () => {
    const salt = randomBytes(8);
    const hmac = tlv(TAG.SEQUENCE, oid(OID.hmacWithSHA256), tlv(TAG.NULL));
    const kdf = tlv(
      TAG.SEQUENCE,
      oid(OID.pbkdf2),
      tlv(TAG.SEQUENCE, tlv(TAG.OCTET_STRING, salt), int(10_000_000), hmac),
    );
    const alg = tlv(
      TAG.SEQUENCE,
      oid(OID.pbes2),
      tlv(TAG.SEQUENCE, kdf, tlv(TAG.SEQUENCE, oid(OID.aes256CBC), tlv(TAG.OCTET_STRING, randomBytes(16)))),
    );
    const eci = tlv(
      TAG.SEQUENCE,
      oid(OID.data),
      alg,
      tlv(0x80, randomBytes(plain.length + 16 - (plain.length % 16))),
    );
    return tlv(TAG.SEQUENCE, oid(OID.encryptedData), tlv(0xa0, tlv(TAG.SEQUENCE, int(0), eci)));
  });
  return pfx(contents);
}

// ---------- how each reader is called ----------

function readerFn(name: ReaderName): Reader["read"] {
  switch (name) {
    case "pem":
    case "der":
    case "p7b":
      return (b, i) => {
        readCertificateBytes(b, "fuzz", {
          password: i % 2 ? "pw" : undefined,
          pfxMaxIterations: FUZZ_PFX_BUDGET,
        });
      };
    case "sst":
      return (b) => {
        readSst(b, "fuzz.sst");
        readCertificateBytes(b, "fuzz.sst");
      };
    case "pfx":
      return (b, i) => {
        readPfxCertificates(b, i % 3 === 0 ? undefined : i % 3 === 1 ? "pw" : "", "fuzz.p12", {
          maxIterations: FUZZ_PFX_BUDGET,
        });
      };
    case "mime":
      return (b) => {
        for (const m of splitMbox(b, 64)) {
          for (const e of walk(parseMessage(m.bytes))) decodedBody(e);
        }
        readCertificateBytes(b, "fuzz.eml");
      };
    case "cms":
      return (b) => {
        parseContentInfo(b, "fuzz.p7m");
        parseSignedData(b, "fuzz.p7m");
      };
    case "crl":
      return (b) => {
        readCrls(b, "fuzz.crl");
        parseCrl(b, "fuzz.crl");
      };
    case "ocsp":
      return (b) => {
        parseOcspResponse(b, "fuzz.ocsp");
      };
  }
}

export function reader(name: ReaderName): Reader {
  return { name, corpus: corpusFor(name), read: readerFn(name) };
}
