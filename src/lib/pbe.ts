/**
 * Password-based decryption and MACs for PKCS#12 (RFC 7292, RFC 8018, RFC 9579): the PKCS#12 key
 * derivation function (appendix B.2), the PKCS#12 PBE algorithms (RC2-40/128, 2- and 3-key 3DES, RC4),
 * PKCS#5 v1.5 PBES1 (MD5/SHA-1 with DES or RC2), PBES2 with PBKDF2 (AES-128/192/256, 3DES, DES, RC2), and
 * the MACs (PKCS#12 KDF + HMAC, PBMAC1). Decryption only: the project never encrypts a PKCS#12 file.
 *
 * Functions that decrypt return `undefined` when the result is not right for the key (bad padding):
 * that is how a wrong password shows up. Structural problems throw `DerError` with the byte offset.
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  hash as oneShotHash,
  pbkdf2Sync,
  timingSafeEqual,
} from "node:crypto";
import { LimitExceededError, UnsupportedError } from "../errors.js";
import { type DerElement, DerError, DerReader, decodeOidEl, decodeSmallInt, TAG } from "./der.js";
import { OID } from "./oids.js";
import { rc2CbcDecrypt } from "./rc2.js";

/**
 * Bounds against hostile files: a huge iteration count would hang the reader. PBKDF2 runs natively
 * (about 0.2 us a round); the PKCS#12 KDF iterates a hash in JavaScript (about 1 us a round), so its cap
 * per call is lower. Real files use 1 to 600,000 per call.
 *
 * `maxTotalIterations` is the work budget of one whole file: the sum of the iteration counts of every key
 * derivation the reader runs for it (the MAC key; each content encryption key and IV; once for each password
 * encoding tried). A file asking for more is refused before the derivation that would pass the budget starts.
 * What real exporters need (MAC + the encrypted certificates; private keys are never decrypted): Windows and
 * .NET 2,000 a call (about 8,000 in all), OpenSSL 1.1 and 3 2,048 (about 6,000), macOS Keychain 2,048 with
 * a MAC of 1 iteration, Java keytool 10,000 (about 40,000), NSS 2,000 in older and up to 600,000 in recent
 * releases, Bouncy Castle 1.86+ 600,000 (about 1,800,000; twice that with an empty password, whose two
 * encodings are both tried). 5,000,000 is Bouncy Castle's own reading cap, and costs at most about one
 * second of PBKDF2 or five of the JavaScript PKCS#12 KDF.
 */
export const PBE_LIMITS = {
  maxIterations: 10_000_000,
  maxPkcs12KdfIterations: 1_000_000,
  maxTotalIterations: 5_000_000,
  maxSaltBytes: 1024,
};

/**
 * The key-derivation work budget of one PKCS#12 file (see PBE_LIMITS.maxTotalIterations). Each
 * derivation is charged before it runs; the one that would pass the limit throws LimitExceededError.
 */
export class KdfBudget {
  spent = 0;
  constructor(readonly limit: number = PBE_LIMITS.maxTotalIterations) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError("the key-derivation budget must be a whole number of at least 1");
  }

  charge(iterations: number, offset: number, calls = 1): void {
    const cost = iterations * calls;
    if (this.spent + cost > this.limit)
      throw new LimitExceededError(
        `PKCS#12 key derivation would take more than ${this.limit.toLocaleString("en-US")} iterations in all (the limit for one file; a file from a trusted source may be allowed more with --pfx-max-iterations)`,
        { offset },
      );
    this.spent += cost;
  }
}

export type PbeHash = "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

const HASH: Record<PbeHash, { u: number; v: number }> = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
};

export const DIGEST_BY_OID: Record<string, PbeHash> = {
  [OID.sha1]: "sha1",
  [OID.sha224]: "sha224",
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

const HMAC_BY_OID: Record<string, PbeHash> = {
  [OID.hmacWithSHA1]: "sha1",
  [OID.hmacWithSHA224]: "sha224",
  [OID.hmacWithSHA256]: "sha256",
  [OID.hmacWithSHA384]: "sha384",
  [OID.hmacWithSHA512]: "sha512",
};

/**
 * A password in the two encodings PKCS#12 uses: `bmp` (BMPString, big-endian UTF-16, with two
 * trailing zero bytes) for the PKCS#12 KDF, and `utf8` for PBKDF2.
 */
export interface PbePassword {
  bmp: Uint8Array;
  utf8: Uint8Array;
}

/**
 * The encodings to try for a password. An empty password is ambiguous in the wild (OpenSSL writes
 * either the BMPString "00 00" or no bytes at all), so it yields both.
 */
export function passwordCandidates(password: string): PbePassword[] {
  const utf8 = new Uint8Array(Buffer.from(password, "utf8"));
  const be = Buffer.from(password, "utf16le").swap16();
  const bmp = new Uint8Array(be.length + 2);
  bmp.set(be);
  if (password.length > 0) return [{ bmp, utf8 }];
  return [
    { bmp, utf8 },
    { bmp: new Uint8Array(0), utf8 },
  ];
}

/** RFC 7292 appendix B.2: derives `n` bytes of key (id 1), IV (id 2) or MAC key (id 3). */
export function pkcs12Kdf(
  hash: PbeHash,
  password: Uint8Array,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  iterations: number,
  n: number,
): Uint8Array {
  const { u, v } = HASH[hash];
  const D = new Uint8Array(v).fill(id);
  const fill = (src: Uint8Array) => {
    const len = src.length === 0 ? 0 : v * Math.ceil(src.length / v);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length];
    return out;
  };
  const S = fill(salt);
  const P = fill(password);
  const I = new Uint8Array(S.length + P.length);
  I.set(S);
  I.set(P, S.length);
  const c = Math.ceil(n / u);
  const out = new Uint8Array(c * u);
  const B = new Uint8Array(v);
  for (let i = 0; i < c; i++) {
    let A: Uint8Array = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = oneShotHash(hash, A, "buffer");
    out.set(A, i * u);
    if (i === c - 1) break;
    for (let k = 0; k < v; k++) B[k] = A[k % u];
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = I[j + k] + B[k] + carry;
        I[j + k] = x & 0xff;
        carry = x >>> 8;
      }
    }
  }
  return out.subarray(0, n);
}

function checkIterations(n: number, offset: number, max = PBE_LIMITS.maxIterations): number {
  if (n < 1) throw new DerError("iteration count must be at least 1", offset);
  if (n > max) throw new DerError(`iteration count ${n} is over the limit of ${max}`, offset);
  return n;
}

function checkSalt(salt: DerElement): Uint8Array {
  if (salt.value.length > PBE_LIMITS.maxSaltBytes) throw new DerError("salt is too long", salt.offset);
  return salt.value;
}

/** An AlgorithmIdentifier read in BER mode: the OID and the parameters element (if any). */
export interface AlgId {
  oid: string;
  params?: DerElement;
  offset: number;
}

export function readAlgId(r: DerReader, what: string): AlgId {
  const el = r.expect(TAG.SEQUENCE, what);
  const s = r.child(el);
  const oid = decodeOidEl(s.expect(TAG.OID, `${what} algorithm`));
  const params = s.done ? undefined : s.read();
  return params ? { oid, params, offset: el.offset } : { oid, offset: el.offset };
}

function paramsReader(alg: AlgId, what: string): DerReader {
  if (!alg.params || alg.params.tag !== TAG.SEQUENCE)
    throw new DerError(`missing ${what} parameters`, alg.offset);
  return new DerReader(alg.params.value, alg.params.offset + alg.params.headerLength, true);
}

/** The PKCS#12 PBE algorithms (RFC 7292 appendix C). */
const PBES1: Record<
  string,
  { cipher: "rc2" | "des-ede3-cbc" | "des-ede-cbc" | "rc4"; keyLen: number; bits: number; name: string }
> = {
  [OID.pbeWithSHAAnd40BitRC2CBC]: { cipher: "rc2", keyLen: 5, bits: 40, name: "pbeWithSHAAnd40BitRC2-CBC" },
  [OID.pbeWithSHAAnd128BitRC2CBC]: {
    cipher: "rc2",
    keyLen: 16,
    bits: 128,
    name: "pbeWithSHAAnd128BitRC2-CBC",
  },
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: {
    cipher: "des-ede3-cbc",
    keyLen: 24,
    bits: 192,
    name: "pbeWithSHAAnd3-KeyTripleDES-CBC",
  },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: {
    cipher: "des-ede-cbc",
    keyLen: 16,
    bits: 128,
    name: "pbeWithSHAAnd2-KeyTripleDES-CBC",
  },
  [OID.pbeWithSHAAnd128BitRC4]: { cipher: "rc4", keyLen: 16, bits: 128, name: "pbeWithSHAAnd128BitRC4" },
  [OID.pbeWithSHAAnd40BitRC4]: { cipher: "rc4", keyLen: 5, bits: 40, name: "pbeWithSHAAnd40BitRC4" },
};

/** PKCS#5 v1.5 PBES1 (RFC 8018 6.1): PBKDF1 with MD5 or SHA-1, then DES-CBC or RC2-CBC (64 effective bits). */
const PKCS5_PBES1: Record<string, { hash: "md5" | "sha1"; cipher: "des" | "rc2"; name: string }> = {
  "1.2.840.113549.1.5.3": { hash: "md5", cipher: "des", name: "pbeWithMD5AndDES-CBC" },
  "1.2.840.113549.1.5.6": { hash: "md5", cipher: "rc2", name: "pbeWithMD5AndRC2-CBC" },
  "1.2.840.113549.1.5.10": { hash: "sha1", cipher: "des", name: "pbeWithSHA1AndDES-CBC" },
  "1.2.840.113549.1.5.11": { hash: "sha1", cipher: "rc2", name: "pbeWithSHA1AndRC2-CBC" },
};

/** DES-CBC (OIW), still found in PBES2 files from old tools. */
const DES_CBC = "1.3.14.3.2.7";

/**
 * Single DES through node's 3DES: EDE with K1 = K2 = K3 is single DES (node's OpenSSL 3 has no
 * single DES without the legacy provider).
 */
function desCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  return nodeDecrypt("des-ede3-cbc", Buffer.concat([key, key, key]), iv, data);
}

/** RC4 (node's OpenSSL 3 has none without the legacy provider), for pbeWithSHAAnd128BitRC4 / 40BitRC4. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length === 0 || key.length > 256) throw new RangeError("RC4 key must be 1 to 256 bytes");
  const S = new Uint8Array(256);
  for (let i = 0; i < 256; i++) S[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + S[i] + key[i % key.length]) & 0xff;
    const t = S[i];
    S[i] = S[j];
    S[j] = t;
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + S[i]) & 0xff;
    const t = S[i];
    S[i] = S[j];
    S[j] = t;
    out[n] = data[n] ^ S[(S[i] + S[j]) & 0xff];
  }
  return out;
}

/** PBKDF1 (RFC 8018 5.1): the hash iterated over password || salt. */
function pbkdf1(
  hash: "md5" | "sha1",
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Uint8Array {
  let t: Uint8Array = createHash(hash).update(password).update(salt).digest();
  for (let i = 1; i < iterations; i++) t = oneShotHash(hash, t, "buffer");
  return t;
}

const AES: Record<string, { cipher: string; keyLen: number }> = {
  [OID.aes128CBC]: { cipher: "aes-128-cbc", keyLen: 16 },
  [OID.aes192CBC]: { cipher: "aes-192-cbc", keyLen: 24 },
  [OID.aes256CBC]: { cipher: "aes-256-cbc", keyLen: 32 },
  [OID.desEde3CBC]: { cipher: "des-ede3-cbc", keyLen: 24 },
};

/** The name of an encryption algorithm for messages. */
export function pbeName(alg: AlgId): string {
  return PBES1[alg.oid]?.name ?? PKCS5_PBES1[alg.oid]?.name ?? (alg.oid === OID.pbes2 ? "PBES2" : alg.oid);
}

function nodeDecrypt(
  cipher: string,
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array | undefined {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (e) {
    // A wrong key shows up as bad padding ("bad decrypt"); anything else is a real problem.
    if (/bad decrypt|wrong final block length/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

function blockCheck(data: Uint8Array, block: number, offset: number): void {
  if (data.length === 0 || data.length % block !== 0)
    throw new DerError(`encrypted content is not a whole number of ${block}-byte blocks`, offset);
}

/**
 * Decrypts `data` encrypted with `alg` (a PKCS#12 PBE or PBES2 AlgorithmIdentifier) under `password`.
 * Returns undefined when the padding is wrong (wrong password); throws DerError on malformed
 * parameters and UnsupportedError on algorithms it does not know.
 */
export function pbeDecrypt(
  alg: AlgId,
  password: PbePassword,
  data: Uint8Array,
  dataOffset: number,
  budget: KdfBudget = new KdfBudget(),
): Uint8Array | undefined {
  const p1 = PBES1[alg.oid];
  if (p1) {
    const r = paramsReader(alg, p1.name);
    const salt = checkSalt(r.expect(TAG.OCTET_STRING, "salt"));
    const itEl = r.expect(TAG.INTEGER, "iterations");
    const iterations = checkIterations(
      decodeSmallInt(itEl),
      itEl.offset,
      perCall(PBE_LIMITS.maxPkcs12KdfIterations, budget),
    );
    // The key, and the IV for the block ciphers: two derivations.
    budget.charge(iterations, itEl.offset, p1.cipher === "rc4" ? 1 : 2);
    if (p1.cipher === "rc4") {
      // A stream cipher: no padding to check. Without a MAC, the caller's SafeContents parse is the test.
      return rc4(pkcs12Kdf("sha1", password.bmp, salt, 1, iterations, p1.keyLen), data);
    }
    blockCheck(data, 8, dataOffset);
    const key = pkcs12Kdf("sha1", password.bmp, salt, 1, iterations, p1.keyLen);
    const iv = pkcs12Kdf("sha1", password.bmp, salt, 2, iterations, 8);
    if (p1.cipher === "rc2") return rc2CbcDecrypt(key, p1.bits, iv, data);
    return nodeDecrypt(p1.cipher, key, iv, data);
  }
  const v15 = PKCS5_PBES1[alg.oid];
  if (v15) {
    // PBEParameter ::= SEQUENCE { salt OCTET STRING (SIZE(8)), iterationCount INTEGER }
    const r = paramsReader(alg, v15.name);
    const salt = checkSalt(r.expect(TAG.OCTET_STRING, "salt"));
    const itEl = r.expect(TAG.INTEGER, "iterationCount");
    const iterations = checkIterations(
      decodeSmallInt(itEl),
      itEl.offset,
      perCall(PBE_LIMITS.maxPkcs12KdfIterations, budget),
    );
    blockCheck(data, 8, dataOffset);
    budget.charge(iterations, itEl.offset);
    const dk = pbkdf1(v15.hash, password.utf8, salt, iterations);
    const key = dk.subarray(0, 8);
    const iv = dk.subarray(8, 16);
    return v15.cipher === "des" ? desCbcDecrypt(key, iv, data) : rc2CbcDecrypt(key, 64, iv, data);
  }
  if (alg.oid === OID.pbes2) return pbes2Decrypt(alg, password, data, dataOffset, budget);
  throw new UnsupportedError(`encryption algorithm ${alg.oid} is not supported`, { offset: alg.offset });
}

interface Pbkdf2Params {
  salt: Uint8Array;
  iterations: number;
  /** Where the iteration count is, for errors. */
  iterationsOffset: number;
  keyLength?: number;
  hash: PbeHash;
}

/** The cap of one call: its default, unless the caller raised the file's budget above the default. */
function perCall(cap: number, budget: KdfBudget): number {
  return budget.limit > PBE_LIMITS.maxTotalIterations ? Math.max(cap, budget.limit) : cap;
}

function readPbkdf2Params(kdf: AlgId, budget: KdfBudget): Pbkdf2Params {
  if (kdf.oid !== OID.pbkdf2)
    throw new UnsupportedError(`key derivation ${kdf.oid} is not supported (only PBKDF2)`, {
      offset: kdf.offset,
    });
  const r = paramsReader(kdf, "PBKDF2");
  if (r.peekTag() !== TAG.OCTET_STRING)
    throw new UnsupportedError("PBKDF2 with a salt source other than a plain salt is not supported", {
      offset: r.position,
    });
  const salt = checkSalt(r.read());
  const itEl = r.expect(TAG.INTEGER, "iterationCount");
  const iterations = checkIterations(
    decodeSmallInt(itEl),
    itEl.offset,
    perCall(PBE_LIMITS.maxIterations, budget),
  );
  let keyLength: number | undefined;
  if (r.peekTag() === TAG.INTEGER) {
    const kl = r.read();
    keyLength = decodeSmallInt(kl);
    if (keyLength < 1 || keyLength > 256) throw new DerError("bad PBKDF2 keyLength", kl.offset);
  }
  let hash: PbeHash = "sha1";
  if (r.peekTag() === TAG.SEQUENCE) {
    const prf = readAlgId(r, "PBKDF2 prf");
    const h = HMAC_BY_OID[prf.oid];
    if (!h) throw new UnsupportedError(`PBKDF2 with PRF ${prf.oid} is not supported`, { offset: prf.offset });
    hash = h;
  }
  return { salt, iterations, iterationsOffset: itEl.offset, keyLength, hash };
}

function pbes2Decrypt(
  alg: AlgId,
  password: PbePassword,
  data: Uint8Array,
  dataOffset: number,
  budget: KdfBudget,
): Uint8Array | undefined {
  const r = paramsReader(alg, "PBES2");
  const kdf = readPbkdf2Params(readAlgId(r, "keyDerivationFunc"), budget);
  const enc = readAlgId(r, "encryptionScheme");
  const aes = AES[enc.oid];
  if (aes) {
    if (!enc.params || enc.params.tag !== TAG.OCTET_STRING) throw new DerError("missing IV", enc.offset);
    const iv = enc.params.value;
    const block = aes.cipher.startsWith("aes") ? 16 : 8;
    if (iv.length !== block) throw new DerError(`IV must be ${block} bytes`, enc.params.offset);
    if (kdf.keyLength !== undefined && kdf.keyLength !== aes.keyLen)
      throw new DerError("PBKDF2 keyLength does not match the cipher", enc.offset);
    blockCheck(data, block, dataOffset);
    budget.charge(kdf.iterations, kdf.iterationsOffset);
    const key = pbkdf2Sync(password.utf8, kdf.salt, kdf.iterations, aes.keyLen, kdf.hash);
    return nodeDecrypt(aes.cipher, key, iv, data);
  }
  if (enc.oid === DES_CBC) {
    if (!enc.params || enc.params.tag !== TAG.OCTET_STRING || enc.params.value.length !== 8)
      throw new DerError("DES-CBC needs an 8-byte IV", enc.offset);
    if (kdf.keyLength !== undefined && kdf.keyLength !== 8)
      throw new DerError("PBKDF2 keyLength does not match the cipher", enc.offset);
    blockCheck(data, 8, dataOffset);
    budget.charge(kdf.iterations, kdf.iterationsOffset);
    return desCbcDecrypt(
      pbkdf2Sync(password.utf8, kdf.salt, kdf.iterations, 8, kdf.hash),
      enc.params.value,
      data,
    );
  }
  if (enc.oid === OID.rc2CBC) {
    // RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER OPTIONAL, iv OCTET STRING }
    const p = paramsReader(enc, "RC2-CBC");
    let bits = 32;
    if (p.peekTag() === TAG.INTEGER) {
      const v = decodeSmallInt(p.read());
      bits = v === 160 ? 40 : v === 120 ? 64 : v === 58 ? 128 : v >= 256 ? v : 32;
    }
    const ivEl = p.expect(TAG.OCTET_STRING, "iv");
    if (ivEl.value.length !== 8) throw new DerError("IV must be 8 bytes", ivEl.offset);
    const keyLen = kdf.keyLength ?? Math.ceil(bits / 8);
    blockCheck(data, 8, dataOffset);
    budget.charge(kdf.iterations, kdf.iterationsOffset);
    const key = pbkdf2Sync(password.utf8, kdf.salt, kdf.iterations, keyLen, kdf.hash);
    return rc2CbcDecrypt(key, Math.min(bits, 1024), ivEl.value, data);
  }
  throw new UnsupportedError(
    `PBES2 cipher ${enc.oid} is not supported (AES-CBC, DES-EDE3-CBC, DES-CBC and RC2-CBC are)`,
    { offset: enc.offset },
  );
}

/** PKCS#12 MacData, parsed. */
export interface MacData {
  /** The digest algorithm of the MAC (or PBMAC1). */
  alg: AlgId;
  mac: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  /** Where the iteration count is (or the MacData, when it is left at its default of 1). */
  iterationsOffset: number;
  offset: number;
}

export function readMacData(el: DerElement, r: DerReader, budget: KdfBudget = new KdfBudget()): MacData {
  const m = r.child(el);
  const di = m.sequence("DigestInfo");
  const alg = readAlgId(di, "MAC digestAlgorithm");
  const mac = di.expect(TAG.OCTET_STRING, "MAC digest").value;
  const salt = checkSalt(m.expect(TAG.OCTET_STRING, "macSalt"));
  let iterations = 1;
  let iterationsOffset = el.offset;
  if (m.peekTag() === TAG.INTEGER) {
    const it = m.read();
    iterations = checkIterations(decodeSmallInt(it), it.offset, perCall(PBE_LIMITS.maxIterations, budget));
    iterationsOffset = it.offset;
  }
  return { alg, mac, salt, iterations, iterationsOffset, offset: el.offset };
}

/**
 * Checks the MAC over `authSafe` (the AuthenticatedSafe bytes) with `password`: true when it
 * matches. PKCS#12 KDF + HMAC for the classic digests; PBMAC1 (RFC 9579) with PBKDF2.
 */
export function verifyMac(
  md: MacData,
  authSafe: Uint8Array,
  password: PbePassword,
  budget: KdfBudget = new KdfBudget(),
): boolean {
  let key: Uint8Array;
  let hash: PbeHash;
  if (md.alg.oid === OID.pbmac1) {
    // PBMAC1-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, messageAuthScheme AlgorithmIdentifier }
    const r = paramsReader(md.alg, "PBMAC1");
    const kdf = readPbkdf2Params(readAlgId(r, "keyDerivationFunc"), budget);
    const scheme = readAlgId(r, "messageAuthScheme");
    const h = HMAC_BY_OID[scheme.oid];
    if (!h)
      throw new UnsupportedError(`PBMAC1 with ${scheme.oid} is not supported`, { offset: scheme.offset });
    if (kdf.keyLength === undefined) throw new DerError("PBMAC1 needs a PBKDF2 keyLength", md.alg.offset);
    hash = h;
    budget.charge(kdf.iterations, kdf.iterationsOffset);
    key = pbkdf2Sync(password.utf8, kdf.salt, kdf.iterations, kdf.keyLength, kdf.hash);
  } else {
    const h = DIGEST_BY_OID[md.alg.oid];
    if (!h)
      throw new UnsupportedError(`MAC digest ${md.alg.oid} is not supported`, { offset: md.alg.offset });
    hash = h;
    checkIterations(md.iterations, md.offset, perCall(PBE_LIMITS.maxPkcs12KdfIterations, budget));
    budget.charge(md.iterations, md.iterationsOffset);
    key = pkcs12Kdf(hash, password.bmp, md.salt, 3, md.iterations, HASH[hash].u);
  }
  const got = createHmac(hash, key).update(authSafe).digest();
  return got.length === md.mac.length && timingSafeEqual(got, md.mac);
}
