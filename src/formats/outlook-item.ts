/**
 * An Outlook item (a .msg file, or a message in a PST) back to the RFC 5322 bytes of the signed mail it was.
 *
 * Outlook keeps a signed message's S/MIME part as an attachment named smime.p7m (MS-OXOSMIME):
 * - IPM.Note.SMIME.MultipartSigned (clear-signed): the attachment holds the whole multipart/signed MIME
 *   entity (its Content-Type header, the signed part and the application/pkcs7-signature part);
 * - IPM.Note.SMIME (opaque-signed or encrypted): the attachment holds the DER of the CMS object.
 * The item's own header fields (From, To, Subject, Date, Message-ID) come from PR_TRANSPORT_MESSAGE_HEADERS
 * when the item was received, or are made from the sender and subject when it was not (a draft, a sent item).
 *
 * Pure: values in, bytes out. The readers (msgreader, pst-extractor) live in io/outlook.ts.
 */
import { cmsContentType } from "../cms/signed-data.js";
import { OID } from "../lib/oids.js";

export interface OutlookAttachment {
  fileName?: string;
  /** PR_ATTACH_MIME_TAG, e.g. multipart/signed or application/pkcs7-mime. */
  mimeTag?: string;
  bytes?: Uint8Array;
}

export interface OutlookItem {
  /** PR_MESSAGE_CLASS, e.g. IPM.Note.SMIME.MultipartSigned. */
  messageClass?: string;
  /** PR_TRANSPORT_MESSAGE_HEADERS: the header section as received (absent on items never sent through SMTP). */
  transportHeaders?: string;
  senderEmail?: string;
  senderName?: string;
  subject?: string;
  attachments: OutlookAttachment[];
}

export type OutlookMail =
  | { kind: "signed"; bytes: Uint8Array }
  | { kind: "unsigned"; messageClass: string }
  /** Signed by its class but without a usable S/MIME attachment: verified as an error, with this reason. */
  | { kind: "broken"; reason: string };

const CLEAR = "ipm.note.smime.multipartsigned";
const OPAQUE = "ipm.note.smime";

/** The kind of S/MIME item a message class names, or undefined for an item that is not S/MIME. */
export function smimeClass(messageClass: string | undefined): "clear" | "opaque" | undefined {
  const c = (messageClass ?? "").trim().toLowerCase();
  if (c === CLEAR || c.startsWith(`${CLEAR}.`)) return "clear";
  if (c === OPAQUE || c.startsWith(`${OPAQUE}.`)) return "opaque";
  return undefined;
}

const P7M_TAGS = /^application\/(x-)?pkcs7-mime$/i;

/** The attachment that holds the S/MIME part: smime.p7m by name, else by MIME tag, else the only one. */
function smimeAttachment(item: OutlookItem, kind: "clear" | "opaque"): OutlookAttachment | undefined {
  const withBytes = item.attachments.filter((a) => a.bytes && a.bytes.length > 0);
  const byName = withBytes.find((a) => /^smime\.p7m$/i.test((a.fileName ?? "").trim()));
  if (byName) return byName;
  const tag = kind === "clear" ? /^multipart\/signed$/i : P7M_TAGS;
  const byTag = withBytes.find((a) => tag.test((a.mimeTag ?? "").trim()));
  if (byTag) return byTag;
  return withBytes.length === 1 ? withBytes[0] : undefined;
}

/** Header lines of a header section, folded lines kept with their field. */
function headerFields(text: string): string[] {
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end >= 0 ? text.slice(0, end) : text).split(/\r?\n/);
  const fields: string[] = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && fields.length) fields[fields.length - 1] += `\r\n${l}`;
    else if (/^[!-9;-~]+:/.test(l)) fields.push(l);
  }
  return fields;
}

/** Text that may go in a header unencoded (printable ASCII), else an RFC 2047 encoded-word. */
function headerText(s: string): string {
  const clean = s.replace(/[\r\n]+/g, " ");
  return /^[ -~]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, "utf8").toString("base64")}?=`;
}

/** The item's own header fields: the transport headers minus Content-* and MIME-Version, or made up. */
function itemHeaders(item: OutlookItem): string[] {
  const fields = item.transportHeaders ? headerFields(item.transportHeaders) : [];
  const kept = fields.filter((f) => !/^(content-[^:]*|mime-version)\s*:/i.test(f));
  if (!kept.some((f) => /^from\s*:/i.test(f)) && item.senderEmail) {
    const addr = item.senderEmail.replace(/[\r\n<>]/g, "");
    kept.push(
      item.senderName && item.senderName !== item.senderEmail
        ? `From: ${headerText(item.senderName)} <${addr}>`
        : `From: <${addr}>`,
    );
  }
  if (!kept.some((f) => /^subject\s*:/i.test(f)) && item.subject)
    kept.push(`Subject: ${headerText(item.subject)}`);
  kept.push("MIME-Version: 1.0");
  return kept;
}

function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  return (b64.match(/.{1,76}/g) ?? []).join("\r\n");
}

/** Starts with a header field (the multipart/signed entity's Content-Type), so it is a MIME entity. */
function isMimeEntity(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString(
    "latin1",
  );
  return /^[!-9;-~]+:/.test(head);
}

/**
 * The RFC 5322 bytes of the signed mail an Outlook item was, or why there are none: an item whose class is
 * not S/MIME is unsigned (the caller counts and skips it); an S/MIME item without its smime.p7m is broken.
 */
export function outlookItemToMail(item: OutlookItem): OutlookMail {
  const kind = smimeClass(item.messageClass);
  if (!kind) return { kind: "unsigned", messageClass: item.messageClass ?? "" };
  const att = smimeAttachment(item, kind);
  if (!att?.bytes)
    return {
      kind: "broken",
      reason: `an Outlook item of class ${item.messageClass} without its S/MIME attachment (smime.p7m)`,
    };
  const head = `${itemHeaders(item).join("\r\n")}\r\n`;
  // A clear-signed item saved with a DER attachment (some clients store the opaque form under either class),
  // and an opaque one saved as a MIME entity, are taken by what the attachment holds.
  if (isMimeEntity(att.bytes)) {
    const h = Buffer.from(head, "latin1");
    return { kind: "signed", bytes: Buffer.concat([h, att.bytes]) };
  }
  const type = cmsContentType(att.bytes);
  const smimeType =
    type === OID.envelopedData
      ? "enveloped-data"
      : type === OID.authEnvelopedData
        ? "authEnveloped-data"
        : "signed-data";
  const entity =
    `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
    "Content-Transfer-Encoding: base64\r\n" +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' +
    `${base64Lines(att.bytes)}\r\n`;
  return { kind: "signed", bytes: Buffer.from(head + entity, "latin1") };
}
