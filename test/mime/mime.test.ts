import { describe, expect, it } from "vitest";
import { MimeError } from "../../src/mime/errors.js";
import {
  decodeBase64,
  decodedBody,
  decodeQuotedPrintable,
  feedCanonical,
  hasBareLf,
  isMbox,
  parseAddress,
  parseContentType,
  parseMessage,
  splitMbox,
  splitMultipart,
  toCanonical,
  walk,
} from "../../src/mime/index.js";

const b = (s: string) => Buffer.from(s, "latin1");
const s = (u: Uint8Array) => Buffer.from(u).toString("latin1");

describe("headers", () => {
  it("unfolds, ignores case and keeps the first value", () => {
    const m = parseMessage(
      b("Subject: a\r\n b\r\nFROM: x@y\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\nbody"),
    );
    expect(m.headers.get("subject")).toBe("a b");
    expect(m.headers.get("From")).toBe("x@y");
    expect(m.contentType.params.charset).toBe("utf-8");
    expect(s(m.body)).toBe("body");
  });
  it("reads LF-only input and a message without body", () => {
    const m = parseMessage(b("A: 1\nB: 2\n"));
    expect(m.headers.get("b")).toBe("2");
    expect(m.body.length).toBe(0);
  });
  it("parses quoted and RFC 2231 parameters", () => {
    const ct = parseContentType(
      'Multipart/Signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="a\\"b;c" (comment)',
    )!;
    expect(ct.mediaType).toBe("multipart/signed");
    expect(ct.params.protocol).toBe("application/pkcs7-signature");
    expect(ct.params.boundary).toBe('a"b;c');
    const ct2 = parseContentType(
      "application/x-stuff; title*0*=us-ascii'en'This%20is%20; title*1*=%2A%2A%2Afun%2A%2A%2A; title*2=\" isn't it\"",
    )!;
    expect(ct2.params.title).toBe("This is ***fun*** isn't it");
    const ct3 = parseContentType("text/plain; name*=utf-8''%E2%82%AC.txt")!;
    expect(ct3.params.name).toBe("€.txt");
    expect(parseContentType("garbage")).toBeUndefined();
  });
  it("finds the address of a From header", () => {
    expect(parseAddress("Alice <Alice@Example.com>")).toBe("Alice@Example.com");
    expect(parseAddress('"Doe, <J>" <j@x.org>')).toBe("j@x.org");
    expect(parseAddress("bob@x.org (Bob <b@y>)")).toBe("bob@x.org");
    expect(parseAddress("undisclosed")).toBeUndefined();
  });
  it("refuses input that is not a message", () => {
    expect(() => parseMessage(b(""))).toThrow(MimeError);
    expect(() => parseMessage(b("\x00\x01binary junk"))).toThrow(MimeError);
  });
  it("bounds the header section", () => {
    const many = Array.from({ length: 50 }, (_, i) => `X-${i}: v`).join("\n");
    expect(() => parseMessage(b(`${many}\n\nbody`), { maxHeaders: 10 })).toThrow(MimeError);
  });
});

describe("multipart", () => {
  const crlf = [
    'Content-Type: multipart/signed; boundary=XX; protocol="application/pkcs7-signature"',
    "",
    "preamble",
    "--XX",
    "Content-Type: text/plain",
    "",
    "hello",
    "",
    "--XX",
    "Content-Type: application/pkcs7-signature",
    "",
    "sig",
    "--XX--",
    "epilogue",
  ].join("\r\n");

  it("keeps the exact bytes between boundary lines (CRLF)", () => {
    const m = parseMessage(b(crlf));
    expect(m.parts).toHaveLength(2);
    expect(s(m.parts[0].raw)).toBe("Content-Type: text/plain\r\n\r\nhello\r\n");
    expect(s(m.parts[1].raw)).toBe("Content-Type: application/pkcs7-signature\r\n\r\nsig");
    expect(m.parts[0].path).toBe("1");
    expect(m.parts[1].path).toBe("2");
    // views, not copies
    expect(m.parts[0].raw.buffer).toBe(m.raw.buffer);
  });
  it("does the same with LF only and mixed line ends", () => {
    const m = parseMessage(b(crlf.replace(/\r\n/g, "\n")));
    expect(s(m.parts[0].raw)).toBe("Content-Type: text/plain\n\nhello\n");
    const mixed =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\r\n\r\nx\r\n\n--b--\n";
    expect(s(parseMessage(b(mixed)).parts[0].raw)).toBe("Content-Type: text/plain\r\n\r\nx\r\n");
  });
  it("ignores look-alike boundaries and tolerates padding", () => {
    const body = "--XX\n\n--XXY not a delimiter\n--XX  \t\n\nsecond\n--XX-- trailing\nepi";
    const sp = splitMultipart(b(body), "XX");
    expect(sp.parts.map(s)).toEqual(["\n--XXY not a delimiter", "\nsecond"]);
    expect(s(sp.epilogue)).toBe("epi");
  });
  it("reports a missing close delimiter and keeps the last part", () => {
    const sp = splitMultipart(b("--a\n\nx\n--a\n\ny"), "a");
    expect(sp.parts.map(s)).toEqual(["\nx", "\ny"]);
    expect(sp.defects).toContain("missing close delimiter");
  });
  it("numbers nested multiparts and attached messages", () => {
    const inner =
      "From: inner@x\nContent-Type: multipart/mixed; boundary=in\n\n--in\n\nA\n--in\n\nB\n--in--\n";
    const msg = `Content-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: text/plain\n\nt\n--out\nContent-Type: message/rfc822\n\n${inner}\n--out--\n`;
    const m = parseMessage(b(msg));
    const att = m.parts[1];
    expect(att.message?.headers.get("from")).toBe("inner@x");
    expect(att.message?.parts.map((p) => p.path)).toEqual(["2.1", "2.2"]);
    expect([...walk(m)].map((e) => e.path)).toEqual(["", "1", "2", "2", "2.1", "2.2"]);
  });
  it("bounds nesting depth", () => {
    let msg = "Content-Type: text/plain\n\nx";
    for (let i = 0; i < 40; i++)
      msg = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${msg}\n--b${i}--\n`;
    expect(() => parseMessage(b(msg))).toThrow(MimeError);
    expect(() => parseMessage(b(msg), { maxDepth: 64 })).not.toThrow();
  });
});

describe("transfer encodings", () => {
  it("decodes base64 with whitespace and junk", () => {
    expect(s(decodeBase64(b("aGVs\r\nbG8g\n d29y bGQ=\n")))).toBe("hello world");
    expect(s(decodeBase64(b("aGVsbG8")))).toBe("hello");
  });
  it("decodes base64 bodies into shared slabs without one overwriting another", () => {
    // Bodies of every size around the 64 KiB slab (one larger gets its own), each kept while the next are
    // decoded: a body written over an earlier one's range, or a view of the wrong length, fails here.
    const rnd = (n: number, seed: number) => {
      const out = new Uint8Array(n);
      let x = seed;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        out[i] = x >>> 24;
      }
      return out;
    };
    const sizes = [0, 1, 2, 3, 57, 2048, 2500, 30_000, 65_535, 65_536, 70_000, 5, 40_000, 40_000, 1];
    const originals = sizes.map((n, i) => rnd(n, i + 1));
    const decoded = originals.map((o) => {
      // Folded at 76 characters with CRLF, as mail writes it.
      const text = Buffer.from(o).toString("base64").replace(/.{76}/g, "$&\r\n");
      return decodeBase64(b(text));
    });
    decoded.forEach((d, i) => {
      expect(d.byteLength).toBe(sizes[i]);
      expect(Buffer.from(d).equals(Buffer.from(originals[i]))).toBe(true);
      // A plain typed-array view (not a Buffer), starting on an 8-byte boundary of its buffer.
      expect(Buffer.isBuffer(d)).toBe(false);
      expect(d.byteOffset % 8).toBe(0);
    });
  });
  it("decodes quoted-printable", () => {
    expect(s(decodeQuotedPrintable(b("a=3Db=\r\nc=\nd =XY=")))).toBe("a=bcd =XY");
  });
  it("decodes a part body by its encoding", () => {
    const m = parseMessage(b("Content-Transfer-Encoding: BASE64\n\naGk=\n"));
    expect(s(decodedBody(m))).toBe("hi");
  });
});

describe("canonical form", () => {
  it("turns bare LF into CRLF and streams views", () => {
    expect(hasBareLf(b("a\r\nb"))).toBe(false);
    expect(hasBareLf(b("a\nb"))).toBe(true);
    expect(s(toCanonical(b("a\nb\r\nc\n\n")))).toBe("a\r\nb\r\nc\r\n\r\n");
    const chunks: string[] = [];
    feedCanonical(b("\nx"), (c) => chunks.push(s(c)));
    expect(chunks.join("")).toBe("\r\nx");
  });
});

describe("mbox", () => {
  it("splits on From_ lines and unescapes >From", () => {
    const box =
      "From a@b Sat Jan  1 00:00:00 2000\nSubject: 1\n\nhi\n>From me\n>>From you\n\nFrom c@d Sat Jan  1 00:00:00 2000\nSubject: 2\n\nthere\n";
    expect(isMbox(b(box))).toBe(true);
    const msgs = splitMbox(b(box));
    expect(msgs).toHaveLength(2);
    expect(s(msgs[0].bytes)).toBe("Subject: 1\n\nhi\nFrom me\n>From you\n");
    expect(s(msgs[1].bytes)).toBe("Subject: 2\n\nthere\n");
    expect(msgs[1].index).toBe(2);
  });
});
