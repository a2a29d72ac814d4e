/**
 * A large message is held once: the signed part is a view of the input, and the digest (also in the CRLF
 * form) is streamed over views, never over a copy of the content.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../src/mime/parse.js";
import { locateLayers } from "../../src/smime/locate.js";
import { SignedContent } from "../../src/smime/signer.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { smimeMessage } from "../helpers/smime.js";
import { codes, context, fixture } from "./pki-fixture.js";

const f = fixture();
const MB = 1024 * 1024;

function bigPart(bytes: number): Buffer {
  const line = "The quarterly report, line after line, with nothing but text in it.\r\n";
  const head = "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  return Buffer.from(head + line.repeat(Math.ceil(bytes / line.length)), "latin1");
}

describe("a large message", () => {
  it("verifies with the signed part as a view of the input (no copy), as stored and in CRLF form", async () => {
    const part = bigPart(16 * MB);
    for (const lf of [false, true]) {
      const msg = smimeMessage({
        from: "alice@contoso.com",
        part,
        signers: [{ signer: f.rsa }],
        certs: [f.rsa.der, f.ca.der],
        lf,
      });
      const layers = locateLayers(parseMessage(msg));
      expect(layers).toHaveLength(1);
      const layer = layers[0];
      if (layer.kind !== "detached") throw new Error(layer.kind);
      expect(layer.content.buffer).toBe(msg.buffer);
      expect(layer.content.byteLength).toBeGreaterThan(15 * MB);
      const r = await verifyMessage(msg, context());
      expect(r.verdict).toBe("valid");
      expect(codes(r)).toEqual(lf ? ["CONTENT_CANONICALISED"] : []);
    }
  });

  it("streams the CRLF-form digest over views: no canonical copy is made", () => {
    const lf = Buffer.from(
      bigPart(4 * MB)
        .toString("latin1")
        .replace(/\r\n/g, "\n"),
      "latin1",
    );
    const c = new SignedContent(lf, true);
    expect(c.canRetry).toBe(true);
    const crlf = Buffer.from(lf.toString("latin1").replace(/\n/g, "\r\n"), "latin1");
    expect(c.digest("sha256", "crlf").equals(createHash("sha256").update(crlf).digest())).toBe(true);
    expect((c as unknown as { canonical?: Uint8Array }).canonical).toBeUndefined();
  });
});
