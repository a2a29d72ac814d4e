/**
 * Key usage (RFC 5280 4.2.1.3, 6.1.4 (n)): an issuer with a key usage extension must have keyCertSign; the
 * S/MIME signing certificate, when it has one, digitalSignature or nonRepudiation (RFC 8550 4.4.2, and what
 * Exchange Online requires). No key usage extension allows every use.
 */
import { KU } from "../../x509/extensions.js";
import { type Check, collector } from "./types.js";

export const issuerKeyUsage: Check = (c, pos) => {
  const { problems, add } = collector(c);
  if (pos.isIssuer && c.keyUsage !== undefined && !c.keyUsage.includes(KU.keyCertSign))
    add("KEY_USAGE", { detail: "a CA certificate without keyCertSign" });
  return problems;
};

export const leafKeyUsage: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  const ku = c.keyUsage;
  if (
    pos.isLeaf &&
    state.profile.smime &&
    ku !== undefined &&
    !ku.includes(KU.digitalSignature) &&
    !ku.includes(KU.nonRepudiation)
  )
    add("KEY_USAGE", { detail: "the signing certificate has neither digitalSignature nor nonRepudiation" });
  return problems;
};
