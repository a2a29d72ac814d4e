import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmptyInputError, MalformedInputError, UnsupportedError } from "../../src/errors.js";
import { certificatesFromMessage, looksLikeMessage } from "../../src/formats/message.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";
import { makeOpensslPki, openssl, opensslPemSha1s, tempDir } from "./openssl.js";

const CONF = resolve(REPO_ROOT, "test/corpora");
const TB = resolve(CONF, "smime-misc/thunderbird/messages");
const conf = (p: string) => new Uint8Array(readFileSync(resolve(CONF, p)));
const sha1s = (ders: Uint8Array[]) => ders.map((d) => hexUpper(digest("sha1", d)));

/** What openssl finds in the outermost signature of a message. */
function opensslMessageSha1s(path: string): string[] {
  const p7 = openssl(["smime", "-pk7out", "-in", path]);
  return opensslPemSha1s(openssl(["pkcs7", "-print_certs"], { input: p7 }).toString());
}

const t = tempDir("smimetrust-msg-");
let userSha1 = "";
let caSha1 = "";
beforeAll(() => {
  makeOpensslPki(t.dir, { caName: "Message Test CA", userName: "Message Test User" });
  writeFileSync(t.path("body.txt"), "Content-Type: text/plain\r\n\r\nHello, signed world.\r\n");
  const sign = (out: string, extra: string[]) =>
    openssl(
      [
        "smime",
        "-sign",
        "-in",
        "body.txt",
        "-signer",
        "user.pem",
        "-inkey",
        "user.key",
        "-certfile",
        "ca.pem",
        "-out",
        out,
        ...extra,
      ],
      { cwd: t.dir },
    );
  sign("detached.eml", ["-from", "user@example.com", "-subject", "detached"]);
  sign("opaque.eml", ["-nodetach"]);
  sign("sig.p7s", ["-outform", "DER"]);
  sign("signed.p7m", ["-outform", "DER", "-nodetach"]);
  sign("signed-pem.p7m", ["-outform", "PEM", "-nodetach"]);
  userSha1 = opensslPemSha1s(readFileSync(t.path("user.pem"), "utf8"))[0];
  caSha1 = opensslPemSha1s(readFileSync(t.path("ca.pem"), "utf8"))[0];
});
afterAll(() => t.cleanup());

describe("looksLikeMessage", () => {
  it("recognises header sections with Content-Type, and not other text", () => {
    expect(looksLikeMessage("From: a@b\r\nContent-Type: text/plain\r\n\r\nhi")).toBe(true);
    expect(looksLikeMessage("Subject: x\n  folded\nContent-type: multipart/mixed; boundary=x\n\nbody")).toBe(
      true,
    );
    expect(looksLikeMessage("From someone Mon Jan  1 00:00:00 2024\nContent-Type: text/plain\n\nx")).toBe(
      true,
    );
    expect(looksLikeMessage("Subject: no content type\n\nbody")).toBe(false);
    expect(looksLikeMessage("MIIB3DCCAUWgAwIBAgIJ")).toBe(false);
    expect(looksLikeMessage("Bag Attributes: x\nsome text: y")).toBe(false);
  });
});

describe("certificates from S/MIME messages", () => {
  it("clear-signed (multipart/signed) made by openssl: the same certificates openssl finds", () => {
    const r = certificatesFromMessage(new Uint8Array(readFileSync(t.path("detached.eml"))), "detached.eml");
    expect(sha1s(r.certificates).sort()).toEqual([userSha1, caSha1].sort());
    expect(sha1s(r.certificates).sort()).toEqual(opensslMessageSha1s(t.path("detached.eml")).sort());
  });

  it("opaque-signed (application/pkcs7-mime) made by openssl", () => {
    const r = certificatesFromMessage(new Uint8Array(readFileSync(t.path("opaque.eml"))));
    expect(sha1s(r.certificates).sort()).toEqual([userSha1, caSha1].sort());
  });

  it("raw .p7s (detached) and .p7m (opaque), DER and PEM, go through the PKCS#7 path", () => {
    for (const f of ["sig.p7s", "signed.p7m", "signed-pem.p7m"]) {
      const res = readCertificateBytes(readFileSync(t.path(f)), f);
      expect(res.format).toBe(f === "signed-pem.p7m" ? "pem" : "pkcs7");
      expect(res.certificates.map((c) => c.sha1).sort()).toEqual([userSha1, caSha1].sort());
    }
  });

  it("an encrypted .p7m (EnvelopedData, DER): UnsupportedError saying why, not 'unknown format'", () => {
    openssl(
      ["cms", "-encrypt", "-aes256", "-in", "body.txt", "-outform", "DER", "-out", "enc.p7m", "user.pem"],
      { cwd: t.dir },
    );
    let err: unknown;
    try {
      readCertificateBytes(readFileSync(t.path("enc.p7m")), "enc.p7m");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).describe()).toMatch(
      /^enc\.p7m: encrypted CMS \(EnvelopedData.*recipient's key \(at byte 0\)$/,
    );
  });

  it("a message with LF line ends instead of CRLF", () => {
    const lf = readFileSync(t.path("detached.eml"), "latin1").replace(/\r\n/g, "\n");
    expect(sha1s(certificatesFromMessage(Buffer.from(lf, "latin1")).certificates).sort()).toEqual(
      [userSha1, caSha1].sort(),
    );
  });

  it("a signed message attached (message/rfc822) inside multipart/mixed", () => {
    const inner = readFileSync(t.path("detached.eml"), "latin1");
    const outer = [
      "From: forwarder@example.com",
      "Subject: Fwd: signed",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer-b"',
      "",
      "--outer-b",
      "Content-Type: text/plain",
      "",
      "See attached.",
      "--outer-b",
      "Content-Type: message/rfc822",
      "",
      inner,
      "--outer-b--",
      "",
    ].join("\r\n");
    const res = readCertificateBytes(Buffer.from(outer, "latin1"), "fwd.eml");
    expect(res.format).toBe("message");
    expect(res.certificates.map((c) => c.sha1).sort()).toEqual([userSha1, caSha1].sort());
  });

  it("a certs-only message (application/pkcs7-mime; smime-type=certs-only)", () => {
    const p7 = openssl([
      "crl2pkcs7",
      "-nocrl",
      "-certfile",
      t.path("ca.pem"),
      "-certfile",
      t.path("user.pem"),
      "-outform",
      "DER",
    ]);
    const msg = [
      "From: pki@example.com",
      "MIME-Version: 1.0",
      "Content-Type: application/pkcs7-mime; smime-type=certs-only; name=certs.p7c",
      "Content-Transfer-Encoding: base64",
      "",
      p7.toString("base64").replace(/.{76}/g, "$&\r\n"),
      "",
    ].join("\r\n");
    expect(sha1s(certificatesFromMessage(Buffer.from(msg)).certificates)).toEqual([caSha1, userSha1]);
  });

  it("every message of an mbox archive", () => {
    const one = readFileSync(t.path("detached.eml"), "latin1").replace(/\r\n/g, "\n");
    const two = readFileSync(resolve(TB, "alice.sig.SHA256.opaque.eml"), "latin1").replace(/\r\n/g, "\n");
    const mbox = `From a@example.com Mon Jan  1 00:00:00 2024\n${one}\nFrom b@example.com Mon Jan  1 00:00:01 2024\n${two}\n`;
    const r = certificatesFromMessage(Buffer.from(mbox, "latin1"), "box.mbox");
    expect(r.certificates.length).toBe(3);
    expect(sha1s(r.certificates)).toContain("1353DB413CCF13177F3EC7AE2B1E27D0973B02F1");
  });

  it("a plain message without S/MIME: EmptyInputError naming the file", () => {
    const e = (() => {
      try {
        certificatesFromMessage(
          Buffer.from("From: a@b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"),
          "plain.eml",
        );
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(EmptyInputError);
    expect((e as EmptyInputError).describe()).toBe(
      "plain.eml: an e-mail message without an S/MIME signature or certificates",
    );
  });

  it("a broken signature part: MalformedInputError at the part's offset in the file", () => {
    const text = readFileSync(t.path("detached.eml"), "latin1");
    // Cut the base64 of the signature short (keeps it valid base64, truncates the DER).
    const m =
      /(Content-Type: application\/(?:x-)?pkcs7-signature[\s\S]*?\r?\n\r?\n)([A-Za-z0-9+/=\r\n]+)/.exec(text);
    expect(m).not.toBeNull();
    const body = m![2];
    const broken = text.replace(body, `${body.slice(0, 200)}\r\n`);
    let err: unknown;
    try {
      certificatesFromMessage(Buffer.from(broken, "latin1"), "broken.eml");
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(MalformedInputError);
    const e = err as MalformedInputError;
    expect(e.describe()).toMatch(
      /^broken\.eml: part 2 \(application\/(x-)?pkcs7-signature\): malformed CMS\/PKCS#7: .* \(at byte \d+\)$/,
    );
    expect(broken.slice(e.offset!, e.offset! + 60)).toMatch(
      /^Content-Type: application\/(x-)?pkcs7-signature/,
    );
  });
});

describe("the shared S/MIME corpora", () => {
  it("Thunderbird opaque and clear-signed messages: the signer's certificate, as openssl finds it", () => {
    for (const f of [
      "alice.sig.SHA256.opaque.eml",
      "alice.dsig.SHA256.multipart.eml",
      "alice.sig.SHA1.opaque.eml",
      "alice.dsig.SHA512.multipart.eml",
    ]) {
      const r = certificatesFromMessage(conf(`smime-misc/thunderbird/messages/${f}`), f);
      expect(sha1s(r.certificates), f).toEqual(opensslMessageSha1s(resolve(TB, f)));
    }
  });

  it("nested layers (opaque inside opaque): both signers' certificates, outermost first", () => {
    const r = certificatesFromMessage(
      conf("smime-misc/thunderbird/messages/alice.plain.sig.SHA256.opaque.dave.sig.SHA256.opaque.eml"),
    );
    expect(sha1s(r.certificates)).toEqual([
      "4F093386E4E9962653E8C383364AC6655D4AF1DF",
      "1353DB413CCF13177F3EC7AE2B1E27D0973B02F1",
    ]);
  });

  it("an encrypted-only message: UnsupportedError saying why", () => {
    expect(() =>
      certificatesFromMessage(conf("smime-misc/thunderbird/messages/alice.env.eml"), "alice.env.eml"),
    ).toThrow(UnsupportedError);
    expect(() => certificatesFromMessage(conf("smime-misc/thunderbird/messages/alice.env.eml"))).toThrow(
      /encrypted/,
    );
  });

  it("MimeKit's 2013 Thunderbird message: the signer 354EA4DC... and its StartCom intermediate", () => {
    const r = readCertificateBytes(
      conf("smime-misc/mimekit/thunderbird-signed.txt"),
      "thunderbird-signed.txt",
    );
    expect(r.format).toBe("message");
    expect(r.certificates.map((c) => c.sha1)).toContain("354EA4DCF98166639B58EC5DF06A65DE0CD8A95C");
    expect(r.certificates.map((c) => c.subject.display)).toContain(
      "StartCom Class 1 Primary Intermediate Client CA",
    );
  });

  it("RFC 4134 4.8 and 4.9 messages, and the 4.11 certs-only DER object", () => {
    for (const f of ["4.8.eml", "4.9.eml"]) {
      const r = certificatesFromMessage(conf(`smime-misc/rfc4134/${f}`));
      expect(r.certificates.length, f).toBeGreaterThan(0);
      expect(sha1s(r.certificates)).toEqual(opensslMessageSha1s(resolve(CONF, `smime-misc/rfc4134/${f}`)));
    }
    const certsOnly = readCertificateBytes(conf("smime-misc/rfc4134/4.11.bin"), "4.11.bin");
    expect(certsOnly.format).toBe("pkcs7");
    expect(certsOnly.certificates.length).toBeGreaterThan(0);
    expect(certsOnly.crls.length).toBeGreaterThan(0);
  });

  it("every PKITS signed message yields the certificates openssl finds in it", () => {
    const dir = resolve(CONF, "pkits/smime");
    const files = [
      "SignedAnyPolicyTest14.eml",
      "SignedAllCertificatesSamePolicyTest1.eml",
      "SignedDifferentPoliciesTest3.eml",
    ];
    for (const f of files) {
      const r = certificatesFromMessage(new Uint8Array(readFileSync(resolve(dir, f))), f);
      expect(sha1s(r.certificates).sort(), f).toEqual(opensslMessageSha1s(resolve(dir, f)).sort());
    }
  });

  it("inspect on a folder of messages lists their certificates and skips the encrypted one with a warning", async () => {
    const res = await cli([
      "inspect",
      "--json",
      resolve(TB, "alice.env.eml"),
      resolve(TB, "alice.sig.SHA256.opaque.eml"),
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/alice\.env\.eml: the message is encrypted/);
    const ok = await cli([
      "inspect",
      "--json",
      resolve(TB, "alice.sig.SHA256.opaque.eml"),
      resolve(CONF, "smime-misc/mimekit/thunderbird-signed.txt"),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).length).toBe(3);
  });
});
