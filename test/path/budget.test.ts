import { describe, expect, it } from "vitest";
import { Budget } from "../../src/path/budget.js";
import { ChainCache } from "../../src/path/cache.js";
import type { ChainResult, ValidationOptions } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { crl, intermediate, issue, leaf, makeKey, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };
const allCodes = (r: ChainResult) => [...r.problems, ...r.path.flatMap((e) => e.problems)].map((p) => p.code);

describe("Budget", () => {
  it("spends per kind and stays exhausted once any kind runs out", () => {
    const b = new Budget({ signatures: 2, nameComparisons: 10 });
    expect(b.spend("signatures")).toBe(true);
    expect(b.spend("nameComparisons", 10)).toBe(true);
    expect(b.exhausted).toBe(false);
    expect(b.spend("signatures")).toBe(true);
    expect(b.spend("signatures")).toBe(false);
    expect(b.exhaustedBy).toBe("signatures");
    expect(b.spend("nameComparisons", 1)).toBe(false);
    expect(b.exhaustedBy).toBe("signatures");
    expect(b.spent).toEqual({ signatures: 2, buildCalls: 0, nameComparisons: 10 });
    expect(b.describe()).toBe("path building gave up after 2 candidate checks");
  });
});

describe("one budget per validation, through the CRL-signer recursion", () => {
  // The leaf's CRL is signed by a separate CRL key. Fifteen certificates carry that key under the root's
  // name (re-issues of the CRL signer), each issued by a 'CN=Budget Mid' the validation never sees; 150
  // decoys named 'CN=Budget Mid' carry another key. Every signer validation therefore tries all 150
  // decoys: with a fresh budget per signer that is 15 x 150 signature checks for one validation.
  const r = root("CN=Budget Root", at);
  const crlKey = makeKey({ type: "ec" });
  const realMid = intermediate("CN=Budget Mid", r, at);
  const signers = Array.from({ length: 15 }, () =>
    issue({ subject: "CN=Budget Root", issuer: realMid, key: crlKey, ca: true, keyUsage: [6], ...at }),
  );
  const decoyKey = makeKey({ type: "ec" });
  const decoys = Array.from({ length: 150 }, () =>
    intermediate("CN=Budget Mid", r, { ...at, key: decoyKey }),
  );
  const l = leaf("budget@contoso.com", r, at);
  const crlDer = crl({ issuer: r, signKey: crlKey, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY });
  const options = (budget: number, cache: ChainCache): ValidationOptions => ({
    time: NOW,
    requireRevocation: true,
    crls: [crlDer],
    untrusted: [...signers, ...decoys].map((x) => ({ cert: x.cert, source: "message" as const })),
    budget,
    cache,
  });

  it("the signer validations spend the one budget of the validation and end when it is spent", async () => {
    const session = new ChainCache();
    const res = await validateChain(l.cert, new TrustList([r.cert]), options(200, session));
    expect(res.verdict).toBe("invalid");
    // The session's memo holds every (certificate, issuer) signature verified: no more than the budget.
    expect(session.signatures.size).toBeLessThanOrEqual(200);
    expect(session.signatures.size).toBeGreaterThan(150);
    expect(res.problems[0]).toMatchObject({
      code: "CHAIN_INCOMPLETE",
      cert: l.cert.sha1,
    });
    expect(res.problems[0].message).toContain("path building gave up after 200 candidate checks");
    expect(allCodes(res)).toContain("REVOCATION_UNKNOWN");
  });

  it("with budget enough for all of it, every signer is tried (the work the budget bounds is real)", async () => {
    const session = new ChainCache();
    const res = await validateChain(l.cert, new TrustList([r.cert]), options(5000, session));
    expect(res.verdict).toBe("invalid");
    expect(session.signatures.size).toBeGreaterThan(15 * 150);
    expect(allCodes(res)).not.toContain("CHAIN_INCOMPLETE");
    const unknown = res.path[0].problems.find((p) => p.code === "REVOCATION_UNKNOWN");
    expect(unknown?.message).toContain("its signer's certificate is not valid");
    expect(unknown?.severity).toBe("error");
  });

  it("a signer whose path is found within the budget makes the CRL usable", async () => {
    const session = new ChainCache();
    const o = options(200, session);
    o.untrusted = [signers[0], realMid].map((x) => ({ cert: x.cert, source: "message" as const }));
    // The signer's own certificate needs its revocation checked too: its issuer's CRL.
    o.crls = [crlDer, crl({ issuer: realMid, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY })];
    const res = await validateChain(l.cert, new TrustList([r.cert]), o);
    expect(allCodes(res)).toEqual([]);
    expect(res.verdict).toBe("valid");
  });
});
