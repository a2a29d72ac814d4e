/**
 * Fuzzing the format-detecting reader: whatever the bytes, readCertificateBytes returns or throws one
 * of the project's typed errors (which the CLI turns into one line and exit 2); never a TypeError,
 * RangeError or a hang.
 */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCertsOnlyPkcs7 } from "../../src/cms/certs-only.js";
import { SmimetrustError } from "../../src/errors.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { createSst } from "../../src/formats/sst.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { crl, intermediate, leaf, root } from "../helpers/pki.js";

const r = root("CN=Fuzz Root");
const i = intermediate("CN=Fuzz Issuing", r);
const u = leaf("fuzz@example.com", i);

const SEEDS: [string, Uint8Array][] = [
  ["der", u.der],
  ["pem", Buffer.from(`text\r\n${r.pem}${i.pem.replace(/\n/g, "\r\n")}`)],
  ["base64", Buffer.from(Buffer.from(i.der).toString("base64"))],
  ["p7b", createCertsOnlyPkcs7([r.der, i.der, u.der])],
  ["sst", createSst([{ der: r.der }, { der: i.der }])],
  ["crl", crl({ issuer: r })],
  [
    "message",
    new Uint8Array(
      readFileSync(
        resolve(REPO_ROOT, "test/corpora/smime-misc/thunderbird/messages/alice.dsig.SHA256.multipart.eml"),
      ),
    ),
  ],
  [
    "opaque",
    new Uint8Array(
      readFileSync(
        resolve(REPO_ROOT, "test/corpora/smime-misc/thunderbird/messages/alice.sig.SHA256.opaque.eml"),
      ),
    ),
  ],
];

function attempt(bytes: Uint8Array): "ok" | "refused" {
  try {
    readCertificateBytes(bytes, "fuzz.bin", { password: "x" });
    return "ok";
  } catch (e) {
    if (!(e instanceof SmimetrustError)) throw e;
    expect(e.describe().split("\n")).toHaveLength(1);
    expect(e.describe().startsWith("fuzz.bin: ")).toBe(true);
    return "refused";
  }
}

describe("readCertificateBytes fuzzing", () => {
  for (const [name, seed] of SEEDS) {
    it(`mutations of a ${name} input`, () => {
      let s = name.length * 7919;
      const rand = () => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s / 0x7fffffff;
      };
      const started = Date.now();
      const outcome = { ok: 0, refused: 0 };
      for (let n = 0; n < 400; n++) {
        const b = Uint8Array.from(seed);
        const kind = Math.floor(rand() * 3);
        let input: Uint8Array = b;
        if (kind === 0)
          for (let k = 0; k < 1 + rand() * 6; k++)
            b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        else if (kind === 1) input = b.subarray(0, Math.floor(rand() * b.length));
        else input = b.subarray(Math.floor(rand() * Math.min(64, b.length)));
        outcome[attempt(input)]++;
      }
      expect(outcome.ok + outcome.refused).toBe(400);
      expect(Date.now() - started).toBeLessThan(20_000);
    });
  }

  it("arbitrary bytes, and arbitrary DER-looking bytes (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        attempt(bytes);
      }),
      { numRuns: 2000, seed: 11 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        attempt(Uint8Array.from([0x30, 0x82, (tail.length >> 8) & 0xff, tail.length & 0xff, ...tail]));
        attempt(Uint8Array.from([0x30, 0x80, ...tail]));
      }),
      { numRuns: 2000, seed: 12 },
    );
  });
});
