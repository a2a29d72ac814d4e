import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { intermediate, issue, leaf, makeKey, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const at = { now: NOW };

describe("path building does not depend on the order or the noise of the pool", () => {
  const trusted = root("CN=Order Root", at);
  const other = root("CN=Other Root", at);
  const key = makeKey({ type: "ec" });
  const good = intermediate("CN=Order CA", trusted, { key, now: NOW - 10 * DAY });
  const viaOther = intermediate("CN=Order CA", other, { key, now: NOW });
  const expired = intermediate("CN=Order CA", trusted, {
    key,
    now: NOW,
    notBefore: NOW - 900 * DAY,
    notAfter: NOW - DAY,
  });
  const wrongKey = intermediate("CN=Order CA", trusted, at);
  const notCa = issue({ subject: "CN=Order CA", issuer: trusted, ca: false, key, ...at });
  const l = leaf("z@contoso.com", good, at);
  const decoys: Certificate[] = [viaOther.cert, expired.cert, wrongKey.cert, notCa.cert, other.cert];

  it("finds the one valid path for any permutation and subset of decoys", async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(decoys), fc.boolean(), fc.nat(1000), async (subset, goodFirst, seed) => {
        const pool = [...subset];
        pool.splice(goodFirst ? 0 : seed % (pool.length + 1), 0, good.cert);
        const res = await validateChain(l.cert, new TrustList([trusted.cert]), {
          time: NOW,
          checkRevocation: false,
          untrusted: pool.map((cert) => ({ cert, source: "message" as const })),
        });
        expect(res.verdict).toBe("valid");
        expect(res.path.map((e) => e.cert.sha1)).toEqual([l.cert.sha1, good.cert.sha1, trusted.cert.sha1]);
      }),
      { numRuns: 60 },
    );
  });

  it("without the good CA the verdict is invalid, whatever the decoys", async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(decoys, { minLength: 1 }), async (subset) => {
        const res = await validateChain(l.cert, new TrustList([trusted.cert]), {
          time: NOW,
          checkRevocation: false,
          untrusted: subset.map((cert) => ({ cert, source: "message" as const })),
        });
        expect(res.verdict).toBe("invalid");
        expect(res.problems.length).toBeGreaterThan(0);
        expect(res.path[0].cert.sha1).toBe(l.cert.sha1);
      }),
      { numRuns: 40 },
    );
  });
});
