/**
 * RFC 5280 6.1.4 (k): every issuer in the path is a CA (basicConstraints cA). With `strict`, the anchor's
 * basicConstraints must be critical (4.2.1.9).
 */
import { OID } from "../../lib/oids.js";
import { type Check, collector } from "./types.js";

export const caRole: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  if (!pos.isIssuer) return problems;
  const bc = c.basicConstraints;
  if (!bc?.ca)
    add("ISSUER_NOT_CA", { detail: bc ? "basicConstraints cA is false" : "no basicConstraints extension" });
  else if (pos.isAnchor && state.profile.strict && !c.extension(OID.basicConstraints)?.critical)
    add("NONCONFORMING_CERT", { detail: "basicConstraints of a CA is not critical" });
  return problems;
};
