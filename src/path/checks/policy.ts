/**
 * RFC 5280 6.1.3 (d)-(f), 6.1.4 (a)-(b), (h)-(j), 6.1.5: certificate policies through the valid_policy_tree
 * (policy.ts). A failure is a problem of the path as a whole (POLICY, in `state.pathProblems`), said once;
 * the anchor's policies are not processed.
 */
import { problem } from "../../problems.js";
import { PolicyFailure } from "../policy.js";
import type { Check } from "./types.js";

export const policy: Check = (c, pos, state) => {
  const p = state.policy;
  if (!p || pos.isAnchor || state.policyFailed) return [];
  const i = state.hasAnchor ? pos.k : pos.k + 1;
  try {
    p.processCertificate(c, i);
    if (!pos.isLeaf) p.prepareNext(c, i);
    else p.finish(c);
  } catch (e) {
    if (!(e instanceof PolicyFailure)) throw e;
    state.policyFailed = true;
    state.pathProblems.push(
      problem("POLICY", { detail: `${e.message} (at '${c.name}')`, sha1: c.sha1, name: c.name }),
    );
  }
  return [];
};
