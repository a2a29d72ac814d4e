/** Mutated CRLs and OCSP responses: the parsers either succeed or throw MalformedInputError, nothing else. */
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import { OID } from "../../src/lib/oids.js";
import { parseCrl } from "../../src/revocation/crl.js";
import { parseOcspResponse } from "../../src/revocation/ocsp.js";
import {
  crl,
  crlDistributionPoints,
  idp,
  intermediate,
  issue,
  leaf,
  ocspResponse,
  root,
} from "../helpers/pki.js";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b;
  }
  if (kind === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (kind === 2) {
    const i = Math.floor(r() * b.length);
    b[i] ^= 1 << Math.floor(r() * 8);
    return b;
  }
  const i = Math.floor(r() * b.length);
  return Uint8Array.from([...b.subarray(0, i), Math.floor(r() * 256), ...b.subarray(i)]);
}

function survives(
  parse: (b: Uint8Array) => unknown,
  seedBytes: Uint8Array,
  rounds: number,
  seed: number,
): string[] {
  const r = rng(seed);
  const bad: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const m = mutate(seedBytes, r);
    try {
      parse(m);
    } catch (e) {
      if (!(e instanceof MalformedInputError))
        bad.push(`${i}: ${(e as Error).name}: ${(e as Error).message}`);
      else if (typeof e.offset !== "number" && !/larger than/.test(e.message))
        bad.push(`${i}: no offset: ${e.message}`);
    }
  }
  return bad;
}

describe("parser robustness", () => {
  const ca = root("CN=Fuzz CA,O=Test");
  const other = root("CN=Fuzz Other,O=Test");
  const sub = intermediate("CN=Fuzz Sub,O=Test", ca);
  const user = leaf("fuzz@example.test", sub, {
    extensions: [
      crlDistributionPoints([
        { uri: "http://x.test/a.crl", reasons: [1, 2], crlIssuer: other.cert.subject.der },
      ]),
    ],
  });

  it("parseCrl throws only MalformedInputError (with an offset)", () => {
    const der = crl({
      issuer: ca,
      crlNumber: 3,
      idp: idp({ uri: "http://x.test/a.crl", onlySomeReasons: [1, 2], indirect: true }),
      revoked: [
        { serial: Uint8Array.of(1), reason: 1 },
        { serial: Uint8Array.of(2), certificateIssuer: other.cert.subject.der },
      ],
    });
    expect(survives((b) => parseCrl(b), der, 3000, 1)).toEqual([]);
  });

  it("parseOcspResponse throws only MalformedInputError", () => {
    const responder = issue({ subject: "CN=Fuzz Responder", issuer: sub, eku: [OID.ocspSigning] });
    const der = ocspResponse({ cert: user, issuer: sub, status: "revoked", reason: 1, responder });
    expect(survives((b) => parseOcspResponse(b), der, 3000, 2)).toEqual([]);
  });
});
