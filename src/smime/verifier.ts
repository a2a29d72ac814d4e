/**
 * A Verifier holds everything parsed once (trust list, extra certificates, CRLs, the chain-result and
 * certificate caches) and verifies message after message. It takes bytes and returns values; the edge
 * (io/verify-pool.ts) runs one per worker thread.
 */
import { SmimetrustError } from "../errors.js";
import type { Fetcher } from "../lib/fetcher.js";
import { ChainCache } from "../path/cache.js";
import type { Profile } from "../path/types.js";
import { validateChain } from "../path/validate.js";
import { problem } from "../problems.js";
import { TrustList } from "../trust/trust-list.js";
import { Certificate } from "../x509/certificate.js";
import { CertificateCache, type VerifyContext, type VerifyResult, verifyMessage } from "./verify.js";

/** Everything a Verifier needs, as plain data (it crosses to worker threads). */
export interface VerifySetup {
  trust: Uint8Array[];
  extra?: Uint8Array[];
  crls?: Uint8Array[];
  at: number | "signing";
  now: number;
  profile?: Profile;
  ignoreSender?: boolean;
  online?: boolean;
  requireRevocation?: boolean;
  /** Enforce RFC 5280 profile MUSTs beyond what path validation needs (default false: clients accept such certificates). */
  strict?: boolean;
  /** "none" for conformance suites that test path logic only. */
  leafPurpose?: "smime" | "none";
  checkRevocation?: boolean;
  detachedContent?: Uint8Array;
  /** HTTP settings for --online (each worker builds its own fetcher). */
  fetchOptions?: { connectTimeoutMs?: number; timeoutMs?: number; proxy?: string };
}

export class Verifier {
  readonly trust: TrustList;
  readonly cache = new ChainCache();
  private readonly ctx: VerifyContext;

  constructor(setup: VerifySetup, fetcher?: Fetcher) {
    this.trust = new TrustList(setup.trust.map((d) => new Certificate(new Uint8Array(d))));
    const certCache = new CertificateCache();
    this.ctx = {
      trust: this.trust,
      validate: validateChain,
      validation: {
        profile: setup.profile,
        online: setup.online,
        fetcher,
        // The per-URL retrieval limit is also the total for one chain (OWACRLRetrievalTimeout).
        retrievalTimeoutMs: setup.fetchOptions?.timeoutMs,
        requireRevocation: setup.requireRevocation,
        strict: setup.strict ?? false,
        leafPurpose: setup.leafPurpose,
        checkRevocation: setup.checkRevocation,
        cache: this.cache,
      },
      at: setup.at,
      now: setup.now,
      extra: (setup.extra ?? []).map((d) => certCache.get(d)),
      crls: setup.crls,
      ignoreSender: setup.ignoreSender,
      detachedContent: setup.detachedContent,
      certCache,
    };
  }

  /** Verifies one message; never throws (an internal fault becomes verdict "error" too, with its reason). */
  async verify(bytes: Uint8Array): Promise<VerifyResult> {
    try {
      // A Buffer (what fs reads) is looked at through a plain Uint8Array view: every view the parsers take
      // of it (thousands per message) is then a plain typed-array subarray, not a Buffer one (several times
      // slower to make). No byte is copied.
      const view = Buffer.isBuffer(bytes)
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : bytes;
      return await verifyMessage(view, this.ctx);
    } catch (e) {
      const detail =
        e instanceof SmimetrustError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
      return { verdict: "error", problems: [problem("MALFORMED", { detail })], signers: [] };
    }
  }
}
