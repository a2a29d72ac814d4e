import { describe, expect, it } from "vitest";
import { parseMessage } from "../../src/mime/parse.js";
import { locateLayers } from "../../src/smime/locate.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { signedData, smimeMessage } from "../helpers/smime.js";
import { codes, context, fixture } from "./pki-fixture.js";

const f = fixture();
const certs = [f.rsa.der, f.ca.der];
const latin = (b: Uint8Array) => Buffer.from(b).toString("latin1");

describe("locating S/MIME layers", () => {
  it("accepts the x- media types and a missing smime-type", async () => {
    const clear = latin(smimeMessage({ from: "alice@contoso.com", signers: [{ signer: f.rsa }], certs }))
      .replace('protocol="application/pkcs7-signature"', 'protocol="application/x-pkcs7-signature"')
      .replace("Content-Type: application/pkcs7-signature", "Content-Type: application/x-pkcs7-signature");
    const r1 = await verifyMessage(Buffer.from(clear, "latin1"), context());
    expect(r1.verdict).toBe("valid");
    const opaque = latin(
      smimeMessage({ from: "alice@contoso.com", mode: "opaque", signers: [{ signer: f.rsa }], certs }),
    ).replace("application/pkcs7-mime; smime-type=signed-data;", "application/x-pkcs7-mime;");
    const r2 = await verifyMessage(Buffer.from(opaque, "latin1"), context());
    expect(r2.verdict).toBe("valid");
  });

  it("finds a signed part inside multipart/mixed and names where it sits", async () => {
    const inner = latin(smimeMessage({ signers: [{ signer: f.rsa }], certs }));
    const body = inner.slice(inner.indexOf("Content-Type: multipart/signed"));
    const msg = `From: alice@contoso.com\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\nintro\r\n--outer\r\n${body}\r\n--outer--\r\n`;
    const layers = locateLayers(parseMessage(Buffer.from(msg, "latin1")));
    expect(layers.map((l) => `${l.kind}@${l.path}`)).toEqual(["detached@2"]);
    const r = await verifyMessage(Buffer.from(msg, "latin1"), context());
    expect(r.verdict).toBe("valid");
    expect(r.signers[0].part).toBe("2");
  });

  it("reports nested signatures (signed inside opaque-signed) with their paths", async () => {
    const inner = latin(smimeMessage({ signers: [{ signer: f.ec }], certs: [f.ec.der, f.ca.der] }));
    const innerEntity = inner.slice(inner.indexOf("Content-Type: multipart/signed"));
    const outer = smimeMessage({
      from: "alice@contoso.com",
      mode: "opaque",
      part: innerEntity,
      signers: [{ signer: f.rsa }],
      certs,
    });
    const r = await verifyMessage(outer, context({ ignoreSender: true }));
    expect(r.signers.map((s) => `${s.name}@${s.part}`)).toEqual(["alice@", "bob@1"]);
    expect(r.verdict).toBe("valid");
  });

  it("certs-only and enveloped layers", () => {
    const bag = Buffer.from(
      signedData({ content: new Uint8Array(0), signers: [], detached: true, certs }),
    ).toString("base64");
    const certsOnly = `Content-Type: application/pkcs7-mime; smime-type=certs-only\r\nContent-Transfer-Encoding: base64\r\n\r\n${bag}\r\n`;
    expect(locateLayers(parseMessage(Buffer.from(certsOnly))).map((l) => l.kind)).toEqual(["certs-only"]);
    const env =
      "Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n";
    expect(locateLayers(parseMessage(Buffer.from(env))).map((l) => l.kind)).toEqual(["encrypted"]);
  });

  it("a multipart/signed without its signature part is MALFORMED, not valid", async () => {
    const msg =
      'From: a@b\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=x\r\n\r\n--x\r\n\r\nhello\r\n--x--\r\n';
    const r = await verifyMessage(Buffer.from(msg), context());
    expect(r.verdict).toBe("invalid");
    expect(codes(r)).toEqual(["MALFORMED"]);
  });
});
