/**
 * PKCS#12 / PFX (RFC 7292): the public certificates only.
 *
 * PFX -> authSafe (data, or signedData) -> AuthenticatedSafe: ContentInfos that are plain `data` or
 * password-`encryptedData` (PBES1 with the PKCS#12 PBE algorithms, or PBES2) -> SafeContents -> SafeBags.
 * Certificate bags (X.509) and CRL bags are returned; private-key bags (keyBag, pkcs8ShroudedKeyBag) are
 * counted and never decrypted, decoded or kept. The MAC tells a wrong password from a damaged file.
 */

import { parseSignedData } from "../cms/signed-data.js";
import {
  LimitExceededError,
  MalformedInputError,
  PasswordError,
  SmimetrustError,
  UnsupportedError,
} from "../errors.js";
import {
  type DerElement,
  DerError,
  DerReader,
  decodeOidEl,
  decodeSmallInt,
  octetStringContents,
  TAG,
} from "../lib/der.js";
import { OID } from "../lib/oids.js";
import {
  type AlgId,
  KdfBudget,
  type MacData,
  type PbePassword,
  passwordCandidates,
  pbeDecrypt,
  readAlgId,
  readMacData,
  verifyMac,
} from "../lib/pbe.js";

export interface PfxCertificates {
  certificates: Uint8Array[];
  /** DER of the CRLs in CRL bags. */
  crls: Uint8Array[];
  /** How many private-key bags were present (and ignored). */
  privateKeys: number;
}

/** Bounds against hostile files. */
export const PFX_LIMITS = { maxBags: 10_000, maxContentInfos: 1_000, maxNesting: 8 };

export interface PfxReadOptions {
  /**
   * The key-derivation work budget of the whole file: total iterations over every key derivation (MAC,
   * each encrypted content's key and IV, each password encoding tried). Default PBE_LIMITS.maxTotalIterations.
   */
  maxIterations?: number;
}

const NEED_PASSWORD =
  "this PKCS#12 file needs a password; give it with --password or the SMIMETRUST_PFX_PASSWORD environment variable";
const WRONG_PASSWORD = "wrong password for PKCS#12";

/**
 * Reads the certificates of a PKCS#12 file. `password` undefined means "none given": files protected
 * with an empty password still open; others raise PasswordError asking for one.
 */
export function readPfxCertificates(
  bytes: Uint8Array,
  password: string | undefined,
  file?: string,
  opts: PfxReadOptions = {},
): PfxCertificates {
  try {
    return readPfx(bytes, password, new KdfBudget(opts.maxIterations));
  } catch (e) {
    if (e instanceof DerError) {
      throw new MalformedInputError(`malformed PKCS#12: ${e.message.replace(/ at byte \d+$/, "")}`, {
        file,
        offset: e.offset,
        cause: e,
      });
    }
    if (e instanceof SmimetrustError) throw e.withFile(file ?? "");
    throw e;
  }
}

interface Parsed {
  /** The AuthenticatedSafe bytes (what the MAC covers) and their offset in the file. */
  authSafe: Uint8Array;
  authSafeOffset: number;
  mac?: MacData;
}

function parseOuter(bytes: Uint8Array, budget: KdfBudget): Parsed {
  const top = new DerReader(bytes, 0, true);
  const pfxEl = top.expect(TAG.SEQUENCE, "PFX");
  if (!top.done) throw new DerError("unexpected data after the PFX", top.position);
  const pfx = top.child(pfxEl);
  const vEl = pfx.expect(TAG.INTEGER, "PFX version");
  if (decodeSmallInt(vEl) !== 3)
    throw new DerError(`PFX version ${decodeSmallInt(vEl)} is not 3`, vEl.offset);
  const ci = pfx.sequence("authSafe ContentInfo");
  const typeEl = ci.expect(TAG.OID, "contentType");
  const type = decodeOidEl(typeEl);
  const explicit = ci.expect(0xa0, "authSafe content");
  let authSafe: Uint8Array;
  let authSafeOffset: number;
  if (type === OID.data) {
    const os = ci.child(explicit).read();
    authSafe = octetStringContents(os);
    authSafeOffset = os.offset + os.headerLength;
  } else if (type === OID.signedData) {
    // Public-key integrity mode: the AuthenticatedSafe is the signed content (signature not checked:
    // nothing here is trusted because of it).
    const sd = parseSignedData(ciRaw(pfxEl, bytes));
    if (!sd.encapContent) throw new DerError("signed PKCS#12 without content", typeEl.offset);
    authSafe = sd.encapContent;
    authSafeOffset = explicit.offset;
  } else throw new DerError(`authSafe content type ${type} is not data or signedData`, typeEl.offset);
  let mac: MacData | undefined;
  if (pfx.peekTag() === TAG.SEQUENCE) mac = readMacData(pfx.read(), pfx, budget);
  return { authSafe, authSafeOffset, mac };
}

/** The raw authSafe ContentInfo of a PFX element (for the signedData case). */
function ciRaw(pfxEl: DerElement, bytes: Uint8Array): Uint8Array {
  const r = new DerReader(bytes, 0, true).child(pfxEl);
  r.read(); // version
  return r.read().raw;
}

function readPfx(bytes: Uint8Array, password: string | undefined, budget: KdfBudget): PfxCertificates {
  const parsed = parseOuter(bytes, budget);
  const candidates = passwordCandidates(password ?? "");
  let chosen: PbePassword | undefined;
  if (parsed.mac) {
    chosen = candidates.find((p) => verifyMac(parsed.mac!, parsed.authSafe, p, budget));
    if (!chosen) {
      throw new PasswordError(password === undefined || password === "" ? NEED_PASSWORD : WRONG_PASSWORD);
    }
    return readAuthSafe(parsed, [chosen], password, true, budget);
  }
  // No MAC (`openssl pkcs12 -nomac`): a wrong password shows up as a decryption that fails.
  return readAuthSafe(parsed, candidates, password, false, budget);
}

function readAuthSafe(
  parsed: Parsed,
  passwords: PbePassword[],
  given: string | undefined,
  macChecked: boolean,
  budget: KdfBudget,
): PfxCertificates {
  const out: PfxCertificates = { certificates: [], crls: [], privateKeys: 0 };
  const r = new DerReader(parsed.authSafe, parsed.authSafeOffset, true);
  const seq = r.child(r.expect(TAG.SEQUENCE, "AuthenticatedSafe"));
  let n = 0;
  while (!seq.done) {
    if (++n > PFX_LIMITS.maxContentInfos)
      throw new LimitExceededError(
        `more than ${PFX_LIMITS.maxContentInfos} content infos in the PKCS#12 file`,
      );
    const ci = seq.child(seq.expect(TAG.SEQUENCE, "ContentInfo"));
    const typeEl = ci.expect(TAG.OID, "contentType");
    const type = decodeOidEl(typeEl);
    const content = ci.optional(0xa0);
    if (!content) continue;
    const inner = ci.child(content);
    if (type === OID.data) {
      const os = inner.read();
      const sc = octetStringContents(os);
      readSafeContents(sc, os.offset + os.headerLength, out, 0, false);
    } else if (type === OID.encryptedData) {
      const { plain, offset } = decryptEncryptedData(inner, passwords, given, macChecked, budget);
      readSafeContents(plain, offset, out, 0, true);
    } else if (type === OID.envelopedData) {
      throw new UnsupportedError(
        "PKCS#12 content encrypted to a public key (envelopedData) is not supported",
        { offset: typeEl.offset },
      );
    } else {
      throw new DerError(`unexpected content type ${type} in the AuthenticatedSafe`, typeEl.offset);
    }
  }
  return out;
}

function decryptEncryptedData(
  r: DerReader,
  passwords: PbePassword[],
  given: string | undefined,
  macChecked: boolean,
  budget: KdfBudget,
): { plain: Uint8Array; offset: number } {
  const ed = r.sequence("EncryptedData");
  ed.expect(TAG.INTEGER, "EncryptedData version");
  const eci = ed.sequence("EncryptedContentInfo");
  eci.expect(TAG.OID, "contentType");
  const alg: AlgId = readAlgId(eci, "contentEncryptionAlgorithm");
  const encEl = eci.read();
  if (encEl.tag !== 0x80 && encEl.tag !== 0xa0)
    throw new DerError("expected encryptedContent [0]", encEl.offset);
  const data = octetStringContents(encEl);
  const dataOffset = encEl.offset;
  for (const p of passwords) {
    const plain = pbeDecrypt(alg, p, data, dataOffset, budget);
    // Without a MAC, a wrong password can pass the padding check by chance; the SafeContents must parse too.
    if (plain && (macChecked || looksLikeSequence(plain))) return { plain, offset: dataOffset };
  }
  if (macChecked)
    throw new MalformedInputError(
      "cannot decrypt PKCS#12 content although the password is right (damaged file?)",
      { offset: dataOffset },
    );
  throw new PasswordError(given === undefined || given === "" ? NEED_PASSWORD : WRONG_PASSWORD);
}

function looksLikeSequence(b: Uint8Array): boolean {
  try {
    const r = new DerReader(b, 0, true);
    r.expect(TAG.SEQUENCE, "SafeContents");
    return r.done;
  } catch {
    return false;
  }
}

/**
 * Walks SafeContents. Offsets inside decrypted content are those of the encrypted element in the file
 * (the plaintext is nowhere in the file), so a fault there points at the encrypted block.
 */
function readSafeContents(
  bytes: Uint8Array,
  base: number,
  out: PfxCertificates,
  depth: number,
  decrypted: boolean,
): void {
  if (depth > PFX_LIMITS.maxNesting) throw new DerError("safe contents nested too deeply", base);
  try {
    const r = new DerReader(bytes, decrypted ? 0 : base, true);
    const bags = r.child(r.expect(TAG.SEQUENCE, "SafeContents"));
    let count = 0;
    while (!bags.done) {
      if (++count > PFX_LIMITS.maxBags)
        throw new LimitExceededError(`more than ${PFX_LIMITS.maxBags} bags in the PKCS#12 file`);
      const bag = bags.child(bags.expect(TAG.SEQUENCE, "SafeBag"));
      const bagId = decodeOidEl(bag.expect(TAG.OID, "bagId"));
      const valueEl = bag.expect(0xa0, "bagValue");
      // bagAttributes (friendlyName, localKeyId) are not needed.
      switch (bagId) {
        case OID.keyBag:
        case OID.pkcs8ShroudedKeyBag:
          // Counted only: the key is never decrypted, decoded or kept.
          out.privateKeys++;
          break;
        case OID.certBag: {
          const cb = bag.child(valueEl).sequence("CertBag");
          const certId = decodeOidEl(cb.expect(TAG.OID, "certId"));
          const v = cb.child(cb.expect(0xa0, "certValue")).read();
          if (certId === OID.x509Certificate) out.certificates.push(octetStringContents(v));
          break;
        }
        case OID.crlBag: {
          const cb = bag.child(valueEl).sequence("CRLBag");
          const crlId = decodeOidEl(cb.expect(TAG.OID, "crlId"));
          const v = cb.child(cb.expect(0xa0, "crlValue")).read();
          if (crlId === "1.2.840.113549.1.9.23.1") out.crls.push(octetStringContents(v));
          break;
        }
        case OID.safeContentsBag: {
          const inner = bag.child(valueEl).read();
          readSafeContents(inner.raw, decrypted ? 0 : inner.offset, out, depth + 1, decrypted);
          break;
        }
        default:
          // secretBag and unknown bags: nothing public to read.
          break;
      }
    }
  } catch (e) {
    if (decrypted && e instanceof DerError && !e.message.includes("inside encrypted content"))
      throw new DerError(`${e.message.replace(/ at byte \d+$/, "")} (inside encrypted content)`, base);
    throw e;
  }
}
