/** Writes a PKCS#7 / CMS certificates-only SignedData (.p7b), as Windows and OpenSSL do. */
import { encodeOid, TAG, tlv } from "../lib/der.js";
import { OID } from "../lib/oids.js";

export function createCertsOnlyPkcs7(certs: readonly Uint8Array[]): Uint8Array {
  const signedData = tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(1)),
    tlv(TAG.SET),
    tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.data))),
    tlv(0xa0, ...certs),
    tlv(TAG.SET),
  );
  return tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.signedData)), tlv(0xa0, signedData));
}
