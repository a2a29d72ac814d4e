/**
 * The memos a run of validations shares, passed in explicitly (no process-wide caches): signature results
 * per (certificate, issuer), parsed CRLs by content, the validity instants of a trust list, identities of
 * parsed CRL objects for the result-cache key. A `ChainCache` (cache.ts) is a session that also keeps
 * whole results; a validation given none makes its own, which lives as long as that call.
 */
import type { KeyObject } from "node:crypto";
import { digest, hexUpper } from "../lib/bytes.js";
import { type Crl, parseCrl } from "../revocation/crl.js";
import type { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import { resolveProfile, type ValidationProfile } from "./profile.js";
import type { ValidationOptions } from "./types.js";

const SIGNATURE_MEMO_MAX = 100_000;
const CRL_PARSE_MAX = 2_000;

export class ValidationSession {
  /** (child SHA-1 + issuer SHA-1 [+ "+" with inherited DSA parameters]) -> verified. */
  readonly signatures = new Map<string, boolean>();
  /** Issuer keys completed with inherited DSA parameters, per parameter bytes. */
  readonly inheritedKeys = new WeakMap<Certificate, Map<string, KeyObject>>();
  /** CRL DER views -> content id (SHA-256): views differ per message when the bytes are the same. */
  private readonly crlIdByView = new WeakMap<Uint8Array, string>();
  /** Parsed CRL per content id (null: did not parse). */
  private readonly crlById = new Map<string, Crl | null>();
  /** Sorted validity instants per trust list (checked against the list's content id). */
  private readonly trustInstants = new WeakMap<TrustList, { id: string; at: number[] }>();
  private readonly objectIds = new WeakMap<object, string>();
  private objectSeq = 0;
  /** Long content ids (a trust list's, a profile's key) -> short ones, for result-cache keys. */
  private readonly textIds = new Map<string, string>();

  /** The options the last profile was resolved from (the fields resolveProfile reads), and that profile. */
  private lastProfile?: { inputs: unknown[]; profile: ValidationProfile };

  /**
   * resolveProfile(opts), reusing the last result when every option it reads is the same (a bulk run
   * validates with the same options each time; only the time, the untrusted set and the CRLs differ).
   */
  profileFor(opts: ValidationOptions): ValidationProfile {
    const inputs: unknown[] = [
      opts.profile,
      opts.strict,
      opts.pedantic,
      opts.initialPolicySet?.join("\n"),
      opts.initialExplicitPolicy,
      opts.initialPolicyMappingInhibit,
      opts.initialInhibitAnyPolicy,
      opts.leafPurpose,
      opts.checkRevocation,
      opts.requireRevocation,
      opts.anchorAny,
      opts.maxDepth,
      opts.budget,
      opts.online,
      opts.retrievalTimeoutMs,
      opts.leafSource,
    ];
    const last = this.lastProfile;
    if (last?.inputs.every((v, i) => v === inputs[i])) return last.profile;
    const profile = resolveProfile(opts);
    this.lastProfile = { inputs, profile };
    return profile;
  }

  /** Remembers a signature result, dropping all when the memo is full. */
  rememberSignature(key: string, ok: boolean): void {
    if (this.signatures.size >= SIGNATURE_MEMO_MAX) this.signatures.clear();
    this.signatures.set(key, ok);
  }

  crlId(der: Uint8Array): string {
    let id = this.crlIdByView.get(der);
    if (id === undefined) {
      id = hexUpper(digest("sha256", der));
      this.crlIdByView.set(der, id);
    }
    return id;
  }

  /** The CRL in `der`, parsed once per content; undefined when it does not parse (it is then ignored). */
  parseCrl(der: Uint8Array): Crl | undefined {
    const id = this.crlId(der);
    let c = this.crlById.get(id);
    if (c === undefined) {
      try {
        c = parseCrl(der);
      } catch {
        c = null; // a CRL that does not parse cannot say anything: as if it were not given
      }
      if (this.crlById.size >= CRL_PARSE_MAX) this.crlById.clear();
      this.crlById.set(id, c);
    }
    return c ?? undefined;
  }

  /** A short id for an object (parsed CRLs given by identity), stable for this session. */
  idOf(o: object): string {
    let id = this.objectIds.get(o);
    if (!id) {
      id = (++this.objectSeq).toString(36);
      this.objectIds.set(o, id);
    }
    return id;
  }

  /**
   * A short id for a text (a trust list's content id, a profile's key), the same for equal texts: keys made
   * of them stay short, and a short key is quick to hash in a Map.
   */
  idOfText(text: string): string {
    let id = this.textIds.get(text);
    if (!id) {
      id = `t${(++this.objectSeq).toString(36)}`;
      this.textIds.set(text, id);
    }
    return id;
  }

  /** The instants (ms) at which a certificate of `trust` becomes valid or stops being valid, sorted. */
  trustValidityInstants(trust: TrustList): readonly number[] {
    let memo = this.trustInstants.get(trust);
    if (!memo || memo.id !== trust.id) {
      const at: number[] = [];
      // Validity is compared at second granularity with both ends inclusive (see checks/validity.ts).
      for (const c of trust) at.push(c.notBefore, c.notAfter + 1000);
      at.sort((a, b) => a - b);
      memo = { id: trust.id, at };
      this.trustInstants.set(trust, memo);
    }
    return memo.at;
  }
}
