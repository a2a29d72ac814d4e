import { describe, expect, it } from "vitest";
import { ChainCache } from "../../src/path/cache.js";
import { profileKey, resolveProfile, signerProfile, type ValidationProfile } from "../../src/path/profile.js";
import type { ValidationOptions } from "../../src/path/types.js";
import { cacheKey, validateChain } from "../../src/path/validate.js";
import { parseCrl } from "../../src/revocation/crl.js";
import { TrustList } from "../../src/trust/trust-list.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { crl, intermediate, leaf, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };

const r = root("CN=Profile Root", at);
const ica = intermediate("CN=Profile CA", r, at);
const l = leaf("p@contoso.com", ica, at);
const trust = new TrustList([r.cert]);
const crlDer = crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY });

/**
 * Every option of ValidationOptions, with how it reaches the cache key: a change of options that must give
 * another key, or why the option is not part of the key. Typed as a Record over the option names, so an
 * option added to ValidationOptions without a line here fails the type check.
 */
const HOW: Record<
  keyof ValidationOptions,
  { base?: Partial<ValidationOptions>; change: Partial<ValidationOptions> } | string
> = {
  time: "a cached result answers for a window of validation times (cache.ts), not one key per time",
  cache: "the session the key is looked up in",
  fetcher: "online results are never taken from the cache (the profile's `online` is in the key anyway)",
  profile: { change: { profile: "exchange" } },
  anchorAny: { change: { anchorAny: true } },
  untrusted: { change: { untrusted: [{ cert: ica.cert, source: "message" }] } },
  crls: { change: { crls: [crlDer] } },
  online: { change: { online: true } },
  retrievalTimeoutMs: { change: { retrievalTimeoutMs: 2_000 } },
  requireRevocation: { change: { requireRevocation: true } },
  checkRevocation: { change: { checkRevocation: false } },
  leafPurpose: { change: { leafPurpose: "none" } },
  maxDepth: { change: { maxDepth: 3 } },
  budget: { change: { budget: 50 } },
  leafSource: { change: { leafSource: "extra" } },
  strict: { change: { strict: true } },
  pedantic: { base: { strict: true }, change: { strict: true, pedantic: true } },
  parsedCrls: { change: { parsedCrls: [parseCrl(crlDer)] } },
  initialPolicySet: { change: { initialPolicySet: ["2.16.840.1.101.3.2.1.48.1"] } },
  initialExplicitPolicy: { change: { initialExplicitPolicy: true } },
  initialPolicyMappingInhibit: { change: { initialPolicyMappingInhibit: true } },
  initialInhibitAnyPolicy: { change: { initialInhibitAnyPolicy: true } },
};

function keyOf(o: ValidationOptions, session = new ChainCache()): string {
  return cacheKey(l.cert, trust, resolveProfile(o), o, session);
}

describe("the validation profile", () => {
  it("every option that can change the answer changes the cache key", () => {
    const session = new ChainCache();
    for (const [name, how] of Object.entries(HOW)) {
      if (typeof how === "string") continue;
      const base: ValidationOptions = { time: NOW, ...how.base };
      const changed: ValidationOptions = { ...base, ...how.change };
      expect(keyOf(changed, session), name).not.toBe(keyOf(base, session));
    }
    // The options left out, each for its stated reason: the same key whatever their value.
    const base: ValidationOptions = { time: NOW };
    expect(keyOf({ ...base, time: NOW + 5 * DAY }, session)).toBe(keyOf(base, session));
    expect(keyOf({ ...base, cache: new ChainCache() }, session)).toBe(keyOf(base, session));
  });

  it("every field of the profile is in its key", () => {
    const p = resolveProfile({
      time: NOW,
      leafSource: "extra",
      initialPolicySet: ["1.2.3"],
      budget: 7,
      initialExplicitPolicy: true,
    });
    // Another value for every field, nested ones included: each must give another key.
    const other = (v: unknown): unknown =>
      typeof v === "boolean"
        ? !v
        : typeof v === "number"
          ? v + 1
          : typeof v === "string"
            ? `${v}x`
            : [...(v as string[]), "4.5.6"];
    let checked = 0;
    for (const [field, value] of Object.entries(p)) {
      if (field === "key") continue;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [sub, v] of Object.entries(value)) {
          const changed = { ...p, [field]: { ...value, [sub]: other(v) } } as ValidationProfile;
          expect(profileKey(changed), `${field}.${sub}`).not.toBe(p.key);
          checked++;
        }
      } else {
        expect(profileKey({ ...p, [field]: other(value) } as ValidationProfile), field).not.toBe(p.key);
        checked++;
      }
    }
    expect(checked).toBe(
      Object.keys(p).length - 3 + Object.keys(p.limits).length + Object.keys(p.policy).length,
    );
  });

  it("is resolved once, frozen, with defaults and implications applied", () => {
    const p = resolveProfile({ time: NOW, profile: "exchange" });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.policy)).toBe(true);
    expect(Object.isFrozen(p.limits)).toBe(true);
    expect(p).toMatchObject({
      name: "exchange",
      exchange: true,
      smime: true,
      requireRevocation: true,
      checkRevocation: true,
      maxDepth: 10,
      limits: { signatures: 200 },
      retrievalTimeoutMs: 10_000,
    });
    // Options that mean the same give the same key: exchange implies requireRevocation.
    expect(resolveProfile({ time: NOW, profile: "exchange", requireRevocation: true }).key).toBe(p.key);
    // pedantic only counts with strict.
    expect(resolveProfile({ time: NOW, pedantic: true }).key).toBe(resolveProfile({ time: NOW }).key);
    // A CRL signer's path: no leaf purpose, default policy inputs, the same path rules.
    const s = signerProfile(resolveProfile({ time: NOW, strict: true, initialExplicitPolicy: true }));
    expect(s).toMatchObject({ smime: false, exchange: false, strict: true });
    expect(s.policy.initialExplicitPolicy).toBe(false);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it("keys by the session's short ids: certificates by object, the trust list and the profile by content", () => {
    const session = new ChainCache();
    const o = (untrusted: ValidationOptions["untrusted"]): ValidationOptions => ({ time: NOW, untrusted });
    const key = (opts: ValidationOptions, list = trust) =>
      cacheKey(l.cert, list, resolveProfile(opts), opts, session);
    type Source = "message" | "extra";
    /** The key for two untrusted certificates, each from its source. */
    const pair = (a: Certificate, sa: Source, b: Certificate, sb: Source) =>
      key(
        o([
          { cert: a, source: sa },
          { cert: b, source: sb },
        ]),
      );
    const both = pair(ica.cert, "message", r.cert, "extra");
    // Short whatever the certificates: no hex digests (the whole key is hashed for every message).
    expect(both.length).toBeLessThan(32);
    // The same certificates from other sources, or in another order, are another set.
    expect(pair(ica.cert, "extra", r.cert, "message")).not.toBe(both);
    expect(pair(r.cert, "extra", ica.cert, "message")).not.toBe(both);
    expect(key(o([{ cert: ica.cert, source: "message" }]))).not.toBe(both);
    // A trust list of the same certificates is the same list; another certificate makes another.
    const plain = key(o(undefined));
    expect(key(o(undefined), new TrustList([r.cert]))).toBe(plain);
    expect(key(o(undefined), new TrustList([r.cert, ica.cert]))).not.toBe(plain);
    expect(key(o(undefined))).toBe(plain);
  });

  it("a shared cache never answers one option set with another's result", async () => {
    const cache = new ChainCache();
    const base: ValidationOptions = {
      time: NOW,
      checkRevocation: false,
      untrusted: [{ cert: ica.cert, source: "message" }],
      cache,
    };
    const first = await validateChain(l.cert, trust, base);
    expect(first.verdict).toBe("valid");
    // Each of these changes the answer; before the profile, a key written field by field could miss one.
    const changes: Partial<ValidationOptions>[] = [
      { maxDepth: 1 },
      { budget: 0 },
      { checkRevocation: true, requireRevocation: true },
      { initialExplicitPolicy: true },
      { anchorAny: true, untrusted: [] },
    ];
    for (const change of changes) {
      const fresh = await validateChain(l.cert, trust, { ...base, ...change, cache: undefined });
      const viaCache = await validateChain(l.cert, trust, { ...base, ...change });
      expect(viaCache, JSON.stringify(change)).not.toBe(first);
      expect(viaCache.verdict, JSON.stringify(change)).toBe(fresh.verdict);
      expect(viaCache.problems.map((p) => p.code)).toEqual(fresh.problems.map((p) => p.code));
    }
  });
});

describe("the validation session", () => {
  it("holds the memos: a session remembers only its own validations, none is process-wide", async () => {
    const o = (cache: ChainCache): ValidationOptions => ({
      time: NOW,
      checkRevocation: true,
      crls: [crlDer, crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY })],
      untrusted: [{ cert: ica.cert, source: "message" }],
      cache,
    });
    const a = new ChainCache();
    expect((await validateChain(l.cert, trust, o(a))).verdict).toBe("valid");
    // leaf by CA, CA by root: both verified and remembered in this session.
    expect([...a.signatures.keys()]).toEqual([l.cert.sha1 + ica.cert.sha1, ica.cert.sha1 + r.cert.sha1]);
    const b = new ChainCache();
    expect(b.signatures.size).toBe(0);
    expect((await validateChain(l.cert, trust, o(b))).verdict).toBe("valid");
    expect(b.signatures.size).toBe(2);
    // The same CRL bytes in another view are parsed once per session.
    expect(a.parseCrl(Uint8Array.from(crlDer))).toBe(a.parseCrl(crlDer));
    expect(b.parseCrl(crlDer)).not.toBe(a.parseCrl(crlDer));
  });
});
