/**
 * How long a downloaded CRL or OCSP answer stays fresh, from its own content. The HTTP edge takes this as
 * its freshness function, so the transport never parses revocation data itself.
 */
import { readCrls } from "./crl.js";
import { parseOcspResponse } from "./ocsp.js";

/** When a CRL (DER/PEM) or an OCSP response stops being fresh: its (earliest) nextUpdate; undefined when unknown. */
export function revocationFreshUntil(body: Uint8Array, contentType: string | undefined): number | undefined {
  if (contentType?.includes("ocsp") || (body.length > 4 && body[0] === 0x30 && !looksLikeCertList(body))) {
    try {
      const r = parseOcspResponse(body);
      const times = (r.basic?.responses ?? [])
        .map((s) => s.nextUpdate)
        .filter((x): x is number => x !== undefined);
      return times.length ? Math.min(...times) : undefined;
    } catch {
      /* not OCSP */
    }
  }
  try {
    const times = readCrls(body)
      .map((c) => c.nextUpdate)
      .filter((x): x is number => x !== undefined);
    return times.length ? Math.min(...times) : undefined;
  } catch {
    return undefined;
  }
}

/** A DER CertificateList starts SEQUENCE { SEQUENCE (TBSCertList) ...; an OCSPResponse starts SEQUENCE { ENUMERATED. */
function looksLikeCertList(b: Uint8Array): boolean {
  let i = 1;
  const l = b[i++];
  if (l & 0x80) i += l & 0x7f;
  return b[i] === 0x30;
}
