/**
 * Seeded mutation fuzzing of verify, shared by the test suite (thousands of cases) and the by-hand
 * million-case run (`npm run fuzz:verify -- --cases 1000000`).
 *
 * Two mutators:
 *  - message level: byte flips, inserts, deletes, duplicated or dropped spans, truncation and line-end
 *    changes anywhere in a valid signed message. Never a crash or a hang; and a mutation inside the bytes a
 *    clear signature covers (the first body part, as located in the ORIGINAL message) must never be "valid",
 *    except the one legitimate case: the mutated part has the same CRLF-canonical form (a CR removed or added
 *    before an LF, which verify's LF-store retry is meant to accept). Mutations elsewhere (outer headers,
 *    preamble, epilogue, the signature part's headers or base64 whitespace, unsigned CMS fields) may stay
 *    valid; they are counted, not judged.
 *  - CMS level: length-preserving byte changes inside what the signature covers in the DER itself (signed
 *    attributes, the signature value, encapsulated content), re-encoded into the message: never "valid".
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseSignedData } from "../../src/cms/signed-data.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { toCanonical } from "../../src/mime/canonical.js";
import { decodedBody, parseMessage } from "../../src/mime/parse.js";
import { ChainCache } from "../../src/path/cache.js";
import { validateChain } from "../../src/path/validate.js";
import {
  CertificateCache,
  type VerifyContext,
  type VerifyResult,
  verifyMessage,
} from "../../src/smime/verify.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { smimeMessage } from "../helpers/smime.js";
import { fixture } from "./pki-fixture.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const conf = path.resolve(repoRoot, "test/corpora");

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Sample {
  name: string;
  bytes: Buffer;
  ctx: VerifyContext;
  /** Signed content range [start, end) of a clear-signed message, in the original bytes. */
  covered?: [number, number];
  /** Where the base64 body of the CMS sits in the message, and the DER it decodes to. */
  cmsBody: [number, number];
  der: Uint8Array;
  /** Covered ranges inside the DER. */
  derCovered: [number, number][];
}

function ctxFor(trust: TrustList, at: number, over: Partial<VerifyContext> = {}): VerifyContext {
  return {
    trust,
    validate: validateChain,
    validation: { strict: false, cache: new ChainCache() },
    at,
    now: at,
    certCache: new CertificateCache(),
    ...over,
  };
}

function analyse(name: string, bytes: Buffer, ctx: VerifyContext): Sample {
  const msg = parseMessage(bytes);
  const off = (u: Uint8Array) => u.byteOffset - msg.raw.byteOffset;
  let covered: [number, number] | undefined;
  let cmsEntity = msg;
  if (msg.contentType.mediaType === "multipart/signed") {
    covered = [off(msg.parts[0].raw), off(msg.parts[0].raw) + msg.parts[0].raw.length];
    cmsEntity = msg.parts[1];
  }
  const der = decodedBody(cmsEntity);
  const sd = parseSignedData(der);
  const derCovered: [number, number][] = [];
  const dOff = (u: Uint8Array) => u.byteOffset - der.byteOffset;
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  for (const si of sd.signerInfos) {
    derCovered.push([dOff(si.signature), dOff(si.signature) + si.signature.length]);
    if (si.signedAttrsRaw) {
      const probe = Buffer.from(si.signedAttrsRaw);
      probe[0] = 0xa0;
      const at = buf.indexOf(probe);
      if (at >= 0) derCovered.push([at, at + probe.length]);
    }
  }
  if (sd.encapContent && sd.encapContent.buffer === der.buffer)
    derCovered.push([dOff(sd.encapContent), dOff(sd.encapContent) + sd.encapContent.length]);
  return {
    name,
    bytes,
    ctx,
    covered,
    cmsBody: [off(cmsEntity.body), off(cmsEntity.body) + cmsEntity.body.length],
    der,
    derCovered,
  };
}

/** Valid signed messages: generated (RSA, P-256, Ed25519; clear and opaque; CRLF and LF-stored) and from the corpora. */
export async function corpus(): Promise<Sample[]> {
  const f = fixture();
  const out: Sample[] = [];
  const gen = (name: string, bytes: Buffer, over: Partial<VerifyContext> = {}) =>
    out.push(analyse(name, bytes, ctxFor(f.trust, f.now, over)));
  const chain = (s: typeof f.rsa) => [s.der, f.ca.der];
  gen(
    "gen-rsa",
    smimeMessage({ from: "alice@contoso.com", signers: [{ signer: f.rsa }], certs: chain(f.rsa) }),
  );
  gen(
    "gen-ec-lf",
    smimeMessage({ from: "bob@contoso.com", signers: [{ signer: f.ec }], certs: chain(f.ec), lf: true }),
  );
  gen("gen-ed", smimeMessage({ from: "erin@contoso.com", signers: [{ signer: f.ed }], certs: chain(f.ed) }));
  gen(
    "gen-opaque",
    smimeMessage({
      from: "alice@contoso.com",
      mode: "opaque",
      signers: [{ signer: f.rsa }],
      certs: chain(f.rsa),
    }),
  );
  gen(
    "gen-noattrs",
    smimeMessage({
      from: "bob@contoso.com",
      signers: [{ signer: f.ec, signedAttrs: false }],
      certs: chain(f.ec),
    }),
  );
  gen(
    "gen-two",
    smimeMessage({
      from: "alice@contoso.com",
      signers: [{ signer: f.rsa }, { signer: f.ec }],
      certs: [f.rsa.der, f.ec.der, f.ca.der],
    }),
    { ignoreSender: true },
  );

  const tbTrust = new TrustList(
    readCertificateBytes(readFileSync(path.join(conf, "smime-misc/thunderbird/TestCA.pem")), "tb")
      .certificates,
  );
  const tbAt = Date.UTC(2026, 10, 28);
  for (const m of [
    "alice.dsig.SHA256.multipart.eml",
    "alice.dsig.SHA1.multipart.eml",
    "alice.sig.SHA384.opaque.eml",
  ]) {
    out.push(
      analyse(
        `tb-${m}`,
        readFileSync(path.join(conf, "smime-misc/thunderbird/messages", m)),
        ctxFor(tbTrust, tbAt),
      ),
    );
  }
  const pkTrust = new TrustList(
    readCertificateBytes(readFileSync(path.join(conf, "pkits/trust/TrustAnchorRootCertificate.pem")), "pk")
      .certificates,
  );
  for (const m of ["SignedValidSignaturesTest1.eml", "SignedValidDSASignaturesTest4.eml"]) {
    out.push(
      analyse(
        `pkits-${m}`,
        readFileSync(path.join(conf, "pkits/smime", m)),
        ctxFor(pkTrust, Date.UTC(2011, 3, 14, 12), {
          ignoreSender: true,
          validation: { strict: false, leafPurpose: "none", cache: new ChainCache() },
        }),
      ),
    );
  }
  const r4Trust = new TrustList(
    readCertificateBytes(readFileSync(path.join(conf, "smime-misc/rfc4134/trust-carl.pem")), "r4")
      .certificates,
  );
  out.push(
    analyse(
      "rfc4134-4.8",
      readFileSync(path.join(conf, "smime-misc/rfc4134/4.8.eml")),
      ctxFor(r4Trust, Date.UTC(2026, 0, 1), { ignoreSender: true }),
    ),
  );
  for (const s of out) {
    const r = await verifyMessage(s.bytes, s.ctx);
    if (r.verdict !== "valid")
      throw new Error(`corpus sample ${s.name} is not valid to begin with: ${JSON.stringify(r.problems)}`);
  }
  return out;
}

type Op = "flip" | "set" | "insert" | "delete" | "dupspan" | "dropspan" | "truncate" | "crlf" | "lf";
const OPS: Op[] = ["flip", "set", "insert", "delete", "dupspan", "dropspan", "truncate", "crlf", "lf"];
const INTERESTING = [0x00, 0x0a, 0x0d, 0x20, 0x2d, 0x3d, 0x22, 0x3b, 0x30, 0x80, 0xff, 0x41];

export interface Mutation {
  op: Op;
  /** Bytes [at, at+removed) of the original replaced by `inserted`. */
  at: number;
  removed: number;
  inserted: Uint8Array;
}

export function mutate(src: Uint8Array, rand: () => number): Mutation {
  const n = src.length;
  const op = OPS[Math.floor(rand() * OPS.length)];
  const at = Math.floor(rand() * n);
  const byte = () =>
    rand() < 0.5 ? INTERESTING[Math.floor(rand() * INTERESTING.length)] : Math.floor(rand() * 256);
  switch (op) {
    case "flip":
      return { op, at, removed: 1, inserted: Uint8Array.of(src[at] ^ (1 << Math.floor(rand() * 8))) };
    case "set":
      return { op, at, removed: 1, inserted: Uint8Array.of(byte()) };
    case "insert": {
      const k = 1 + Math.floor(rand() * 4);
      return { op, at, removed: 0, inserted: Uint8Array.from({ length: k }, byte) };
    }
    case "delete":
      return { op, at, removed: Math.min(1 + Math.floor(rand() * 4), n - at), inserted: new Uint8Array(0) };
    case "dupspan": {
      const len = Math.min(1 + Math.floor(rand() * 64), n - at);
      return { op, at, removed: 0, inserted: src.slice(at, at + len) };
    }
    case "dropspan":
      return { op, at, removed: Math.min(1 + Math.floor(rand() * 256), n - at), inserted: new Uint8Array(0) };
    case "truncate":
      return { op, at, removed: n - at, inserted: new Uint8Array(0) };
    case "crlf": {
      // turn the next LF into CRLF (or add a CR)
      const lf = src.indexOf(0x0a, at);
      return lf < 0
        ? { op, at, removed: 0, inserted: Uint8Array.of(0x0d) }
        : { op, at: lf, removed: 0, inserted: Uint8Array.of(0x0d) };
    }
    case "lf": {
      const cr = src.indexOf(0x0d, at);
      return cr < 0
        ? { op, at, removed: 1, inserted: new Uint8Array(0) }
        : { op, at: cr, removed: 1, inserted: new Uint8Array(0) };
    }
  }
}

export function apply(src: Uint8Array, m: Mutation): Buffer {
  return Buffer.concat([src.subarray(0, m.at), m.inserted, src.subarray(m.at + m.removed)]);
}

export interface FuzzStats {
  cases: number;
  /** mutations judged (inside covered bytes), and how many came out valid through the CRLF-equivalence exemption */
  judged: number;
  exempt: number;
  /** mutations outside covered bytes that stayed valid (legitimately) */
  validElsewhere: number;
  verdicts: Record<string, number>;
  failures: string[];
  slowest: number;
}

function internalError(r: VerifyResult): boolean {
  return r.problems.some((p) => p.message.includes("internal error"));
}

/** Runs `cases` seeded mutations over the samples; returns stats (failures listed, at most 20). */
export async function fuzz(
  samples: Sample[],
  cases: number,
  seed: number,
  onProgress?: (done: number) => void,
): Promise<FuzzStats> {
  const rand = rng(seed);
  const st: FuzzStats = {
    cases: 0,
    judged: 0,
    exempt: 0,
    validElsewhere: 0,
    verdicts: { valid: 0, invalid: 0, error: 0 },
    failures: [],
    slowest: 0,
  };
  const fail = (s: string) => {
    if (st.failures.length < 20) st.failures.push(s);
  };
  for (let i = 0; i < cases; i++) {
    const s = samples[Math.floor(rand() * samples.length)];
    const cmsLevel = rand() < 0.3;
    let bytes: Buffer;
    let mustNotBeValid = false;
    let exemptIfValid = false;
    let desc: string;
    if (cmsLevel) {
      // length-preserving change inside a covered DER range, re-encoded as base64 in place of the original body
      const [a, b] = s.derCovered[Math.floor(rand() * s.derCovered.length)];
      const der = Uint8Array.from(s.der);
      const at = a + Math.floor(rand() * Math.max(1, b - a));
      const old = der[at];
      der[at] =
        rand() < 0.5 ? old ^ (1 << Math.floor(rand() * 8)) : (old + 1 + Math.floor(rand() * 255)) & 0xff;
      const b64 = (
        Buffer.from(der)
          .toString("base64")
          .match(/.{1,64}/g) ?? []
      ).join("\r\n");
      bytes = Buffer.concat([
        s.bytes.subarray(0, s.cmsBody[0]),
        Buffer.from(`${b64}\r\n`),
        s.bytes.subarray(s.cmsBody[1]),
      ]);
      mustNotBeValid = true;
      desc = `${s.name} der[${at}] ${old}->${der[at]}`;
    } else {
      const m = mutate(s.bytes, rand);
      bytes = apply(s.bytes, m);
      desc = `${s.name} ${m.op}@${m.at} -${m.removed} +${Buffer.from(m.inserted).toString("hex")}`;
      if (s.covered) {
        const [a, b] = s.covered;
        // an insertion exactly at the end may be absorbed by the boundary's own line break, so it is not judged
        const touches = m.removed > 0 ? m.at < b && m.at + m.removed > a : m.at >= a && m.at < b;
        if (touches) {
          mustNotBeValid = true;
          // the one legitimate survivor: same CRLF-canonical form of the covered part
          const orig = s.bytes.subarray(a, b);
          const mutated = apply(orig, { ...m, at: m.at - a, removed: Math.min(m.removed, b - m.at) });
          if (
            m.at >= a &&
            m.at + m.removed <= b &&
            Buffer.from(toCanonical(orig)).equals(Buffer.from(toCanonical(mutated)))
          )
            exemptIfValid = true;
        }
      }
    }
    const t0 = performance.now();
    let r: VerifyResult;
    try {
      r = await verifyMessage(bytes, s.ctx);
    } catch (e) {
      fail(`${desc}: threw ${(e as Error).stack ?? e}`);
      st.cases++;
      continue;
    }
    const dt = performance.now() - t0;
    if (dt > st.slowest) st.slowest = dt;
    if (dt > 2000) fail(`${desc}: took ${dt.toFixed(0)} ms`);
    if (internalError(r)) fail(`${desc}: internal error ${JSON.stringify(r.problems)}`);
    st.verdicts[r.verdict]++;
    if (mustNotBeValid) {
      st.judged++;
      if (r.verdict === "valid") {
        if (exemptIfValid) st.exempt++;
        else fail(`${desc}: a mutated signed part was called valid`);
      }
    } else if (r.verdict === "valid") st.validElsewhere++;
    st.cases++;
    if (onProgress && i % 10_000 === 0) onProgress(i);
  }
  return st;
}
