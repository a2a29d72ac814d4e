/**
 * Fuzzing verify: fast-check generated MIME-ish input and seeded mutation of valid signed messages
 * (see fuzz-core.ts for what is judged and why). Never a crash, never a hang, never a mutated signed part
 * called valid. The million-case run: `npm run fuzz:verify -- --cases 1000000`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MimeError } from "../../src/mime/errors.js";
import { splitMbox } from "../../src/mime/mbox.js";
import { parseMessage } from "../../src/mime/parse.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { corpus, fuzz } from "./fuzz-core.js";
import { context } from "./pki-fixture.js";

const CASES = Number(process.env.FUZZ_VERIFY_CASES) || 10_000;

describe("fuzz: seeded mutation of signed messages", () => {
  it(`${CASES} mutations: no crash, no hang, no mutated signed part valid`, async () => {
    const samples = await corpus();
    const st = await fuzz(samples, CASES, 0x5eed);
    console.log(
      `verify fuzz: ${st.cases} cases, ${st.judged} judged (${st.exempt} CRLF-equivalent), ${st.validElsewhere} valid after mutations outside signed bytes, verdicts ${JSON.stringify(st.verdicts)}, slowest ${st.slowest.toFixed(1)} ms`,
    );
    expect(st.failures).toEqual([]);
    expect(st.judged).toBeGreaterThan(CASES / 5);
  });
});

const mimeish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=b\r\n',
        'Content-Type: multipart/mixed; boundary="b"\n',
        "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n",
        "Content-Type: message/rfc822\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Transfer-Encoding: quoted-printable\n",
        "From: a@b\r\n",
        "\r\n",
        "\n",
        "--b\r\n",
        "--b--\r\n",
        " folded\r\n",
        "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCCA2gwggNk\r\n",
        "=3D=\r\n",
      ),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString("latin1")),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.from(parts.join(""), "latin1"));

describe("fuzz: generated input", () => {
  it("verifyMessage never throws on MIME-ish or random bytes and never says valid", async () => {
    const ctx = context();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mimeish, fc.uint8Array({ maxLength: 300 })), async (bytes) => {
        const r = await verifyMessage(bytes, ctx);
        expect(["invalid", "error"]).toContain(r.verdict);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  it("the MIME parser either parses or throws MimeError; mbox splitting never throws", () => {
    fc.assert(
      fc.property(mimeish, (bytes) => {
        try {
          parseMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(MimeError);
        }
        splitMbox(bytes);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
