/**
 * RFC 5280 6.1.4 (l)-(m): max_path_length counts the CAs below each pathLenConstraint (self-issued
 * intermediates do not count); a CA one too many is PATH_LENGTH_EXCEEDED, named after the CA whose
 * constraint it exceeds.
 */
import { problem } from "../../problems.js";
import type { Check } from "./types.js";

export const pathLength: Check = (c, pos, state) => {
  if (!pos.isIssuer) return [];
  const problems = [];
  if (!pos.isAnchor && !c.isSelfIssued) {
    if (state.maxPath <= 0 && state.constrainer) {
      // Named after the CA whose pathLenConstraint is exceeded; listed on the CA one too many.
      problems.push(
        problem("PATH_LENGTH_EXCEEDED", {
          name: state.constrainer.name,
          sha1: state.constrainer.sha1,
          detail: `'${c.name}' is one CA more than its pathLenConstraint allows`,
        }),
      );
    }
    state.maxPath--;
  }
  const len = c.basicConstraints?.pathLen;
  if (len !== undefined && len < state.maxPath) {
    state.maxPath = len;
    state.constrainer = c;
  }
  return problems;
};
