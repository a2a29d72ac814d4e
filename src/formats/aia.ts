/**
 * The reader for what an AIA caIssuers URL serves (RFC 5280 4.2.2.1): one DER certificate, or a DER
 * "certs-only" CMS SignedData (no signers, no content). Nothing else: a download is not a place for PEM,
 * PFX, .sst or mail, and path building must not pull the general reader (PFX decryption, MIME) in.
 */
import { parseSignedData } from "../cms/signed-data.js";
import { MalformedInputError, SmimetrustError } from "../errors.js";
import { DerReader, decodeOidEl, TAG } from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { Certificate } from "../x509/certificate.js";

/** At most this many certificates are taken from one download. */
export const AIA_MAX_CERTIFICATES = 100;

/** The certificates a caIssuers download holds; throws MalformedInputError (naming `url`) for anything else. */
export function readAiaCertificates(bytes: Uint8Array, url: string): Certificate[] {
  let first: number | undefined;
  try {
    const top = new DerReader(bytes, 0, true);
    const outer = top.read();
    if (outer.tag === TAG.SEQUENCE && top.done) {
      const r = top.child(outer);
      const el = r.read();
      first =
        el.tag === TAG.OID ? (decodeOidEl(el) === OID.signedData ? 1 : 0) : el.tag === TAG.SEQUENCE ? 2 : 0;
    }
  } catch {
    first = undefined;
  }
  if (first === 2) return [certificate(bytes, url)];
  if (first === 1) {
    const sd = parseSignedData(bytes, url);
    if (sd.signerInfos.length > 0 || sd.encapContent !== undefined)
      throw new MalformedInputError(
        "a caIssuers answer must be certs-only PKCS#7 (it has signers or content)",
        {
          file: url,
        },
      );
    if (sd.certificates.length > AIA_MAX_CERTIFICATES)
      throw new MalformedInputError(`more than ${AIA_MAX_CERTIFICATES} certificates in a caIssuers answer`, {
        file: url,
      });
    return sd.certificates.map((der) => certificate(der, url));
  }
  throw new MalformedInputError("a caIssuers answer must be one DER certificate or a certs-only PKCS#7", {
    file: url,
  });
}

function certificate(der: Uint8Array, url: string): Certificate {
  try {
    return new Certificate(der);
  } catch (e) {
    if (e instanceof SmimetrustError) throw new MalformedInputError(e.message, { file: url });
    throw e;
  }
}
