/**
 * Test-only Outlook items: what Outlook stores for a received message (MS-OXOSMIME), and a writer of .msg files
 * (MS-OXMSG) on top of the `cfb` package (OLE compound files).
 *
 * `itemFromEml` turns a signed .eml into the item Outlook would keep for it:
 * - multipart/signed: class IPM.Note.SMIME.MultipartSigned; one attachment smime.p7m (MIME tag
 *   multipart/signed) holding the whole multipart/signed entity (its Content-* header fields and body);
 * - application/pkcs7-mime: class IPM.Note.SMIME; smime.p7m holds the DER of the CMS object;
 * - anything else: class IPM.Note, the text as the body, no attachment.
 * The header section as received becomes PR_TRANSPORT_MESSAGE_HEADERS.
 *
 * `msgFile` writes an item as a .msg: the root storage's __properties_version1.0 stream (32-byte header, then
 * 16-byte property entries), __substg1.0_<tag> streams for strings (UTF-16LE) and binaries, one
 * __recip_version1.0_#<n> and one __attach_version1.0_#<n> storage per recipient and attachment (8-byte
 * property headers), and the __nameid_version1.0 storage with its three (empty) streams.
 */
import CFB from "cfb";

export interface TestAttachment {
  fileName: string;
  mimeTag: string;
  bytes: Uint8Array;
}

export interface TestItem {
  messageClass: string;
  subject: string;
  senderName: string;
  senderEmail: string;
  to: string;
  transportHeaders: string;
  messageId?: string;
  body?: string;
  attachments: TestAttachment[];
}

function unfoldHeaders(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = f.indexOf(":");
    if (i > 0) {
      const k = f.slice(0, i).trim().toLowerCase();
      if (!map.has(k)) map.set(k, f.slice(i + 1).trim());
    }
  }
  return map;
}

/** The Outlook item a received .eml becomes (see the file comment). */
export function itemFromEml(eml: Uint8Array): TestItem {
  const text = Buffer.from(eml).toString("latin1");
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) throw new Error("no header section");
  const head = text.slice(0, m.index);
  const bodyStart = m.index + m[0].length;
  const h = unfoldHeaders(head);
  const from = h.get("from") ?? "";
  const addr = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const name =
    from
      .replace(/<[^>]*>/, "")
      .replace(/"/g, "")
      .trim() || addr;
  const ct = (h.get("content-type") ?? "text/plain").toLowerCase();
  const base = {
    subject: h.get("subject") ?? "",
    senderName: name,
    senderEmail: addr,
    to: h.get("to") ?? "",
    transportHeaders: `${head}\r\n\r\n`,
    messageId: h.get("message-id"),
  };
  if (ct.startsWith("multipart/signed")) {
    // The entity: the Content-* fields (folded lines kept) and the body, as the original bytes.
    const fields = head.split(/\r?\n(?![ \t])/).filter((f) => /^content-/i.test(f));
    const entity = Buffer.concat([
      Buffer.from(`${fields.join("\r\n")}\r\n\r\n`, "latin1"),
      Buffer.from(eml).subarray(bodyStart),
    ]);
    return {
      ...base,
      messageClass: "IPM.Note.SMIME.MultipartSigned",
      attachments: [{ fileName: "smime.p7m", mimeTag: "multipart/signed", bytes: entity }],
    };
  }
  if (/^application\/(x-)?pkcs7-mime/.test(ct)) {
    const der = Buffer.from(text.slice(bodyStart).replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
    return {
      ...base,
      messageClass: "IPM.Note.SMIME",
      attachments: [{ fileName: "smime.p7m", mimeTag: "application/pkcs7-mime", bytes: der }],
    };
  }
  return { ...base, messageClass: "IPM.Note", body: text.slice(bodyStart), attachments: [] };
}

/** Property types (MS-OXCDATA 2.11.1). */
export const PT = {
  LONG: 0x0003,
  BOOLEAN: 0x000b,
  SYSTIME: 0x0040,
  UNICODE: 0x001f,
  BINARY: 0x0102,
} as const;

/** Property ids used here (MS-OXPROPS). */
export const PID = {
  MESSAGE_CLASS: 0x001a,
  SUBJECT: 0x0037,
  TRANSPORT_MESSAGE_HEADERS: 0x007d,
  SENDER_NAME: 0x0c1a,
  SENDER_ADDRTYPE: 0x0c1e,
  SENDER_EMAIL_ADDRESS: 0x0c1f,
  SENT_REPRESENTING_NAME: 0x0042,
  SENT_REPRESENTING_EMAIL_ADDRESS: 0x0065,
  DISPLAY_TO: 0x0e04,
  MESSAGE_FLAGS: 0x0e07,
  MESSAGE_SIZE: 0x0e08,
  INTERNET_MESSAGE_ID: 0x1035,
  BODY: 0x1000,
  SENDER_SMTP_ADDRESS: 0x5d01,
  RECIPIENT_TYPE: 0x0c15,
  DISPLAY_NAME: 0x3001,
  ADDRTYPE: 0x3002,
  EMAIL_ADDRESS: 0x3003,
  SMTP_ADDRESS: 0x39fe,
  ATTACH_SIZE: 0x0e20,
  ATTACH_NUM: 0x0e21,
  ATTACH_DATA_BIN: 0x3701,
  ATTACH_FILENAME: 0x3704,
  ATTACH_METHOD: 0x3705,
  ATTACH_LONG_FILENAME: 0x3707,
  ATTACH_MIME_TAG: 0x370e,
  RENDERING_POSITION: 0x370b,
} as const;

export type PropValue =
  | { type: typeof PT.LONG; value: number }
  | { type: typeof PT.BOOLEAN; value: boolean }
  | { type: typeof PT.UNICODE; value: string }
  | { type: typeof PT.BINARY; value: Uint8Array };

export type PropList = [id: number, v: PropValue][];

const str = (value: string): PropValue => ({ type: PT.UNICODE, value });
const long = (value: number): PropValue => ({ type: PT.LONG, value });
const bin = (value: Uint8Array): PropValue => ({ type: PT.BINARY, value });

/** The message-level properties of an item (shared by the .msg and PST writers). */
export function messageProps(item: TestItem): PropList {
  const props: PropList = [
    [PID.MESSAGE_CLASS, str(item.messageClass)],
    [PID.SUBJECT, str(item.subject)],
    [PID.SENDER_NAME, str(item.senderName)],
    [PID.SENDER_ADDRTYPE, str("SMTP")],
    [PID.SENDER_EMAIL_ADDRESS, str(item.senderEmail)],
    [PID.SENT_REPRESENTING_NAME, str(item.senderName)],
    [PID.SENT_REPRESENTING_EMAIL_ADDRESS, str(item.senderEmail)],
    [PID.DISPLAY_TO, str(item.to)],
    [PID.TRANSPORT_MESSAGE_HEADERS, str(item.transportHeaders)],
    // mfRead | (mfHasAttach when it has any)
    [PID.MESSAGE_FLAGS, long(0x01 | (item.attachments.length ? 0x10 : 0))],
  ];
  if (item.messageId) props.push([PID.INTERNET_MESSAGE_ID, str(item.messageId)]);
  if (item.body !== undefined) props.push([PID.BODY, str(item.body)]);
  return props;
}

export function recipientProps(item: TestItem): PropList {
  const addr = /<([^>]+)>/.exec(item.to)?.[1] ?? item.to;
  return [
    [PID.RECIPIENT_TYPE, long(1)],
    [PID.DISPLAY_NAME, str(addr)],
    [PID.ADDRTYPE, str("SMTP")],
    [PID.EMAIL_ADDRESS, str(addr)],
    [PID.SMTP_ADDRESS, str(addr)],
  ];
}

export function attachmentProps(a: TestAttachment, n: number): PropList {
  return [
    [PID.ATTACH_NUM, long(n)],
    [PID.ATTACH_METHOD, long(1)], // ATTACH_BY_VALUE
    [PID.RENDERING_POSITION, long(-1)],
    [PID.ATTACH_SIZE, long(a.bytes.length)],
    [PID.DISPLAY_NAME, str(a.fileName)],
    [PID.ATTACH_FILENAME, str(a.fileName)],
    [PID.ATTACH_LONG_FILENAME, str(a.fileName)],
    [PID.ATTACH_MIME_TAG, str(a.mimeTag)],
    [PID.ATTACH_DATA_BIN, bin(a.bytes)],
  ];
}

export function utf16(s: string, nul = false): Buffer {
  return Buffer.from(nul ? `${s}\0` : s, "utf16le");
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, "0");

/**
 * A property stream (__properties_version1.0) with its header, and the __substg1.0_ streams beside it.
 * Variable-size values: the entry holds the size (a string's with its terminating NUL, MS-OXMSG 2.4.2.2).
 */
function propertyStreams(props: PropList, header: Buffer): { name: string; bytes: Buffer }[] {
  const entries: Buffer[] = [header];
  const streams: { name: string; bytes: Buffer }[] = [];
  for (const [id, v] of props) {
    const e = Buffer.alloc(16);
    const tag = ((id << 16) | v.type) >>> 0;
    e.writeUInt32LE(tag, 0);
    e.writeUInt32LE(0x06, 4); // PROPATTR_READABLE | PROPATTR_WRITABLE
    if (v.type === PT.LONG) e.writeInt32LE(v.value, 8);
    else if (v.type === PT.BOOLEAN) e.writeUInt16LE(v.value ? 1 : 0, 8);
    else {
      const data = v.type === PT.UNICODE ? utf16(v.value) : Buffer.from(v.value);
      e.writeUInt32LE(data.length + (v.type === PT.UNICODE ? 2 : 0), 8);
      streams.push({ name: `__substg1.0_${hex8(tag)}`, bytes: data });
    }
    entries.push(e);
  }
  streams.push({ name: "__properties_version1.0", bytes: Buffer.concat(entries) });
  return streams;
}

/** The bytes of a .msg file holding the item. */
export function msgFile(item: TestItem): Buffer {
  const cfb = CFB.utils.cfb_new();
  // The root CLSID of a .msg (MS-OXMSG 2.1.1: not checked by readers, written as Outlook does).
  const add = (path: string, bytes: Buffer) => CFB.utils.cfb_add(cfb, path, bytes);
  const top = Buffer.alloc(32);
  top.writeUInt32LE(1, 8); // next recipient id
  top.writeUInt32LE(item.attachments.length, 12); // next attachment id
  top.writeUInt32LE(1, 16); // recipient count
  top.writeUInt32LE(item.attachments.length, 20); // attachment count
  for (const s of propertyStreams(messageProps(item), top)) add(`/${s.name}`, s.bytes);
  const recip = "/__recip_version1.0_#00000000";
  for (const s of propertyStreams(recipientProps(item), Buffer.alloc(8))) add(`${recip}/${s.name}`, s.bytes);
  item.attachments.forEach((a, n) => {
    const dir = `/__attach_version1.0_#${hex8(n)}`;
    for (const s of propertyStreams(attachmentProps(a, n), Buffer.alloc(8))) add(`${dir}/${s.name}`, s.bytes);
  });
  const nameid = "/__nameid_version1.0";
  for (const t of ["00020102", "00030102", "00040102"]) add(`${nameid}/__substg1.0_${t}`, Buffer.alloc(0));
  return writeWithoutMarker(cfb);
}

/**
 * CFB.write adds a "\u0001Sh33tJ5" stream (the library's marker) to every file it writes, which is no part of a
 * .msg (msgconvert reports it as an unknown entry). It adds it only when it cannot find one, so while writing,
 * `find` is told that it is there.
 */
function writeWithoutMarker(cfb: CFB.CFB$Container): Buffer {
  const marker = "\u0001Sh33tJ5";
  CFB.utils.cfb_del(cfb, `/${marker}`);
  const lib = CFB as unknown as { find: typeof CFB.find };
  const find = lib.find;
  lib.find = (c, path) => (path.endsWith(marker) ? ({ name: marker } as CFB.CFB$Entry) : find(c, path));
  try {
    CFB.utils.cfb_gc(cfb); // rebuilds the directory tree without the entry
    return Buffer.from(CFB.write(cfb, { type: "buffer" }) as Uint8Array);
  } finally {
    lib.find = find;
  }
}
