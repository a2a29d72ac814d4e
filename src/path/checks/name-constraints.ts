/**
 * RFC 5280 6.1.3 (b)-(c) and 6.1.4 (g): the names of every certificate below a CA with name constraints
 * (self-issued intermediates are exempt) must satisfy them; a CA's own constraints must be well formed
 * (and, with `strict`, critical and in a CA) before they apply below it. Comparisons are spent from the
 * validation's budget.
 */
import { OID } from "../../lib/oids.js";
import { checkNameConstraints, malformedConstraints } from "../name-constraints.js";
import { type Check, collector } from "./types.js";

export const nameConstraints: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  if (!pos.isAnchor && state.ncSets.length > 0 && (pos.isLeaf || !c.isSelfIssued)) {
    const why = checkNameConstraints(c, state.ncSets, state.budget);
    if (why) add("NAME_CONSTRAINTS", { detail: why });
  }
  const nc = c.nameConstraints;
  if (nc) {
    const bad = malformedConstraints(nc);
    if (bad) add("NAME_CONSTRAINTS", { detail: `malformed name constraints: ${bad}` });
    else if (state.profile.strict && !c.extension(OID.nameConstraints)?.critical)
      add("NAME_CONSTRAINTS", { detail: "the nameConstraints extension is not critical" });
    else if (!pos.isIssuer && state.profile.strict && !c.isCA)
      add("NAME_CONSTRAINTS", { detail: "name constraints in a certificate that is not a CA" });
    else if (pos.isIssuer) state.ncSets.push(nc);
  }
  return problems;
};
