/**
 * Path-validation throughput on one core: a 3-certificate chain (leaf -> intermediate -> root), certificates
 * pre-parsed, CRLs for both levels. "cold": a new session (ChainCache) for every validation: building,
 * checks, revocation and the certificate signatures run each time (the memos live in the session since
 * there are no process-wide caches; bulk verification shares one session, so its misses reuse them).
 * "fully cold": the CRLs parsed anew too (4 signatures verified and 2 CRLs parsed per validation).
 * "warm": one shared cache. Run: npm run bench:chain  (node --import tsx bench/chain.bench.ts)
 */

import { ChainCache } from "../src/path/cache.js";
import type { ValidationOptions } from "../src/path/types.js";
import { validateChain } from "../src/path/validate.js";
import { parseCrl } from "../src/revocation/crl.js";
import { TrustList } from "../src/trust/trust-list.js";
import { crl, intermediate, leaf, makeKey, root } from "../test/helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const keyType = process.argv.includes("--ec")
  ? ({ type: "ec" } as const)
  : ({ type: "rsa", bits: 2048 } as const);

const r = root("CN=Bench Root", { now: NOW, key: makeKey(keyType) });
const ica = intermediate("CN=Bench Issuing CA", r, { now: NOW, key: makeKey(keyType) });
const l = leaf("bench@contoso.com", ica, { now: NOW, key: makeKey(keyType) });
const trust = new TrustList([r.cert]);
const crlDers = [
  crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }),
  crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }),
];
const crls = crlDers.map((d) => parseCrl(d));
const untrusted: ValidationOptions["untrusted"] = [{ cert: ica.cert, source: "message" }];
const base: ValidationOptions = { time: NOW, untrusted, parsedCrls: crls };

async function measure(label: string, ms: number, once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2000; i++) await once(); // warm-up (JIT, memo)
  let n = 0;
  const start = performance.now();
  let end = start;
  while (end - start < ms) {
    for (let i = 0; i < 500; i++) await once();
    n += 500;
    end = performance.now();
  }
  const rate = (n / (end - start)) * 1000;
  console.log(
    `${label.padEnd(44)} ${Math.round(rate).toLocaleString("en-US").padStart(10)} validations/s  (${n} in ${Math.round(end - start)} ms)`,
  );
  return rate;
}

const check = await validateChain(l.cert, trust, base);
if (check.verdict !== "valid")
  throw new Error(`bench chain does not validate: ${JSON.stringify(check.problems)}`);
console.log(
  `3-certificate chain, ${keyType.type === "ec" ? "ECDSA P-256" : "RSA-2048"}, CRLs for both levels, Node ${process.version}`,
);
// Options are built per validation as a literal, as bulk verification does per message.
const cold = await measure("cold (new cache per validation)", 3000, () =>
  validateChain(l.cert, trust, { time: NOW, untrusted, parsedCrls: crls, cache: new ChainCache() }),
);
// No memo at all: both certificate signatures and both CRL signatures verified, CRLs parsed, every time.
const fullyCold = await measure("fully cold (no result cache, no memo)", 3000, () => {
  return validateChain(l.cert, trust, {
    time: NOW,
    untrusted,
    parsedCrls: crlDers.map((d) => parseCrl(d)),
    cache: new ChainCache(),
  });
});
const shared = new ChainCache();
const warm = await measure("warm (shared cache)", 3000, () =>
  validateChain(l.cert, trust, { time: NOW, untrusted, parsedCrls: crls, cache: shared }),
);
console.log(
  `targets: cold >= 10,000/s ${cold >= 10_000 ? "met" : "NOT met"} (fully cold ${fullyCold >= 10_000 ? "met" : "NOT met"}); warm >= 200,000/s ${warm >= 200_000 ? "met" : "NOT met"}`,
);
