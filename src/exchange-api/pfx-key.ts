/**
 * The private key of a PKCS#12 app credential (formats/pfx.ts reads the certificates only, and never a key:
 * this is the one place that opens a key bag, for sign-in, and keeps the key in a KeyObject). Call it after
 * readPfxCertificates, which has checked the structure and the password.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { PasswordError, SmimetrustError } from "../errors.js";
import { DerReader, decodeOidEl, octetStringContents, TAG } from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { passwordCandidates, pbeDecrypt, readAlgId } from "../lib/pbe.js";

function bagsOf(safeContents: Uint8Array, password: string, out: KeyObject[], depth = 0): void {
  if (depth > 4) return;
  const r = new DerReader(safeContents, 0, true);
  const bags = r.child(r.expect(TAG.SEQUENCE, "SafeContents"));
  while (!bags.done) {
    const bag = bags.child(bags.expect(TAG.SEQUENCE, "SafeBag"));
    const id = decodeOidEl(bag.expect(TAG.OID, "bagId"));
    const value = bag.child(bag.expect(0xa0, "bagValue")).read();
    if (id === OID.keyBag)
      out.push(createPrivateKey({ key: Buffer.from(value.raw), format: "der", type: "pkcs8" }));
    else if (id === OID.pkcs8ShroudedKeyBag)
      out.push(
        createPrivateKey({ key: Buffer.from(value.raw), format: "der", type: "pkcs8", passphrase: password }),
      );
    else if (id === OID.safeContentsBag) bagsOf(value.raw, password, out, depth + 1);
  }
}

export function readPfxPrivateKeys(bytes: Uint8Array, password: string, file: string): KeyObject[] {
  const out: KeyObject[] = [];
  try {
    const top = new DerReader(bytes, 0, true);
    const pfx = top.child(top.expect(TAG.SEQUENCE, "PFX"));
    pfx.expect(TAG.INTEGER, "version");
    const ci = pfx.sequence("authSafe");
    if (decodeOidEl(ci.expect(TAG.OID, "contentType")) !== OID.data) return out;
    const authSafe = octetStringContents(ci.child(ci.expect(0xa0, "content")).read());
    const ar = new DerReader(authSafe, 0, true);
    const infos = ar.child(ar.expect(TAG.SEQUENCE, "AuthenticatedSafe"));
    while (!infos.done) {
      const info = infos.child(infos.expect(TAG.SEQUENCE, "ContentInfo"));
      const type = decodeOidEl(info.expect(TAG.OID, "contentType"));
      const content = info.optional(0xa0);
      if (!content) continue;
      const inner = info.child(content);
      if (type === OID.data) bagsOf(octetStringContents(inner.read()), password, out);
      else if (type === OID.encryptedData) {
        const ed = inner.sequence("EncryptedData");
        ed.expect(TAG.INTEGER, "version");
        const eci = ed.sequence("EncryptedContentInfo");
        eci.expect(TAG.OID, "contentType");
        const alg = readAlgId(eci, "contentEncryptionAlgorithm");
        const enc = eci.read();
        const data = octetStringContents(enc);
        for (const p of passwordCandidates(password)) {
          const plain = pbeDecrypt(alg, p, data, enc.offset);
          if (plain) {
            bagsOf(plain, password, out);
            break;
          }
        }
      }
    }
  } catch (e) {
    if (e instanceof PasswordError) throw e;
    throw new SmimetrustError("the private key in the PKCS#12 file cannot be read (wrong password?)", {
      file,
    });
  }
  return out;
}
