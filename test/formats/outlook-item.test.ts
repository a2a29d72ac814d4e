import { describe, expect, it } from "vitest";
import { outlookItemToMail, smimeClass } from "../../src/formats/outlook-item.js";
import { encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";

const text = (m: ReturnType<typeof outlookItemToMail>) => {
  if (m.kind !== "signed") throw new Error(`not signed: ${m.kind}`);
  return Buffer.from(m.bytes).toString("latin1");
};
const cms = (type: string) => tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(type)), tlv(0xa0, tlv(TAG.SEQUENCE)));
const ENTITY = Buffer.from(
  'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="b"\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n',
);
const HEADERS =
  "Received: from mx.contoso.com\r\nFrom: Alice <alice@contoso.com>\r\nTo: bob@example.com\r\nSubject: Hi\r\n" +
  'MIME-Version: 1.0\r\nContent-Type: multipart/signed;\r\n\tprotocol="application/pkcs7-signature"; boundary="b"\r\n' +
  "Content-Transfer-Encoding: 7bit\r\nMessage-ID: <1@contoso.com>\r\n\r\n";

describe("Outlook items back to mail", () => {
  it("message classes: clear-signed, opaque (any case, with suffixes); anything else is not S/MIME", () => {
    expect(smimeClass("IPM.Note.SMIME.MultipartSigned")).toBe("clear");
    expect(smimeClass("ipm.note.smime.multipartsigned.custom")).toBe("clear");
    expect(smimeClass("IPM.Note.SMIME")).toBe("opaque");
    expect(smimeClass("IPM.Note")).toBeUndefined();
    expect(smimeClass("IPM.Note.SMIMEX")).toBeUndefined();
    expect(smimeClass(undefined)).toBeUndefined();
  });

  it("clear-signed: the transport headers without Content-* (folded lines too), then the attached entity", () => {
    const m = outlookItemToMail({
      messageClass: "IPM.Note.SMIME.MultipartSigned",
      transportHeaders: HEADERS,
      attachments: [
        { fileName: "notes.txt", mimeTag: "text/plain", bytes: Buffer.from("x") },
        { fileName: "smime.p7m", mimeTag: "multipart/signed", bytes: ENTITY },
      ],
    });
    expect(text(m)).toBe(
      "Received: from mx.contoso.com\r\nFrom: Alice <alice@contoso.com>\r\nTo: bob@example.com\r\nSubject: Hi\r\n" +
        `Message-ID: <1@contoso.com>\r\nMIME-Version: 1.0\r\n${ENTITY.toString("latin1")}`,
    );
  });

  it("opaque: an application/pkcs7-mime entity, smime-type from the CMS content type, base64 in 76-column lines", () => {
    const der = Buffer.concat([cms(OID.signedData), Buffer.alloc(200, 7)]);
    const t = text(
      outlookItemToMail({
        messageClass: "IPM.Note.SMIME",
        transportHeaders: HEADERS,
        attachments: [{ fileName: "SMIME.P7M", mimeTag: "application/pkcs7-mime", bytes: der }],
      }),
    );
    expect(t).toContain('Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n');
    const body = t.slice(t.indexOf("\r\n\r\n") + 4);
    expect(body.split("\r\n").every((l) => l.length <= 76)).toBe(true);
    expect(Buffer.from(body.replace(/\r\n/g, ""), "base64")).toEqual(der);
    const enc = text(
      outlookItemToMail({
        messageClass: "IPM.Note.SMIME",
        attachments: [{ fileName: "smime.p7m", bytes: cms(OID.envelopedData) }],
      }),
    );
    expect(enc).toContain("smime-type=enveloped-data");
  });

  it("an item never sent (no transport headers): From and Subject made from the sender and subject", () => {
    const t = text(
      outlookItemToMail({
        messageClass: "IPM.Note.SMIME.MultipartSigned",
        senderEmail: "alice@contoso.com",
        senderName: "Alice Ålund",
        subject: "Draft\r\nBcc: x@evil",
        attachments: [{ fileName: "smime.p7m", bytes: ENTITY }],
      }),
    );
    expect(t.startsWith("From: =?UTF-8?B?")).toBe(true);
    expect(t).toContain(" <alice@contoso.com>\r\nSubject: Draft Bcc: x@evil\r\nMIME-Version: 1.0\r\n");
  });

  it("unsigned and broken items", () => {
    expect(outlookItemToMail({ messageClass: "IPM.Note", attachments: [] })).toEqual({
      kind: "unsigned",
      messageClass: "IPM.Note",
    });
    const broken = outlookItemToMail({ messageClass: "IPM.Note.SMIME", attachments: [] });
    expect(broken.kind).toBe("broken");
    // The only attachment is taken whatever its name; with two and neither named smime.p7m nor tagged: broken.
    expect(
      outlookItemToMail({
        messageClass: "IPM.Note.SMIME.MultipartSigned",
        attachments: [{ fileName: "x.bin", bytes: ENTITY }],
      }).kind,
    ).toBe("signed");
    expect(
      outlookItemToMail({
        messageClass: "IPM.Note.SMIME.MultipartSigned",
        attachments: [
          { fileName: "a.bin", bytes: ENTITY },
          { fileName: "b.bin", bytes: ENTITY },
        ],
      }).kind,
    ).toBe("broken");
  });
});
