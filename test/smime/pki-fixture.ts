/** A small PKI for the verify tests: root -> issuing CA -> mailbox certificates (RSA-2048, P-256, Ed25519). */
import { OID } from "../../src/lib/oids.js";
import { ChainCache } from "../../src/path/cache.js";
import { validateChain } from "../../src/path/validate.js";
import { CertificateCache, type VerifyContext } from "../../src/smime/verify.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { crl, type Issued, intermediate, leaf, makeKey, root } from "../helpers/pki.js";

export interface Fixture {
  root: Issued;
  ca: Issued;
  rsa: Issued;
  ec: Issued;
  ed: Issued;
  /** A root the trust list does not hold, and a mailbox certificate under it. */
  rogueRoot: Issued;
  rogue: Issued;
  trust: TrustList;
  /** Empty CRLs of the root and the issuing CA, so revocation is determinable as in a real deployment. */
  crls: Uint8Array[];
  now: number;
}

let cached: Fixture | undefined;

export function fixture(): Fixture {
  if (cached) return cached;
  const now = Date.now();
  const r = root("CN=Contoso Root CA,O=Contoso,C=GB", { key: makeKey({ type: "ec" }, "root"), now });
  const ca = intermediate("CN=Contoso Issuing CA 2,O=Contoso,C=GB", r, {
    key: makeKey({ type: "ec" }, "ca"),
    now,
  });
  const rsa = leaf("alice@contoso.com", ca, { key: makeKey({ type: "rsa", bits: 2048 }, "alice"), now });
  const ec = leaf("bob@contoso.com", ca, { key: makeKey({ type: "ec" }, "bob"), now });
  const ed = leaf("erin@contoso.com", ca, { key: makeKey({ type: "ed25519" }, "erin"), now });
  const rogueRoot = root("CN=Contoso Root CA,O=Contoso,C=GB", {
    key: makeKey({ type: "ec" }, "rogue-root"),
    now,
  });
  const rogue = leaf("alice@contoso.com", rogueRoot, {
    key: makeKey({ type: "ec" }, "rogue"),
    now,
    eku: [OID.emailProtection],
  });
  const crls = [crl({ issuer: r }), crl({ issuer: ca })];
  cached = { root: r, ca, rsa, ec, ed, rogueRoot, rogue, trust: new TrustList([r.cert]), crls, now };
  return cached;
}

/** A verify context with the real path engine. */
export function context(over: Partial<VerifyContext> = {}): VerifyContext {
  const f = fixture();
  return {
    trust: f.trust,
    validate: validateChain,
    validation: { strict: false, cache: new ChainCache() },
    at: f.now,
    now: f.now,
    certCache: new CertificateCache(),
    crls: f.crls,
    ...over,
  };
}

export const codes = (r: {
  problems: { code: string }[];
  signers: { problems: { code: string }[] }[];
}): string[] => [
  ...r.problems.map((p) => p.code),
  ...r.signers.flatMap((s) => s.problems.map((p) => p.code)),
];
