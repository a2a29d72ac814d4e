/**
 * The S/MIME purpose by extended key usage (RFC 8550 / 8551 and the Exchange Online profile): a CA whose
 * extended key usage excludes e-mail protection cannot issue for it; the signing certificate must allow
 * e-mail protection (Exchange Online: explicitly, the Secure Email EKU must be present). An empty extended
 * key usage is nonconforming (RFC 5280 4.2.1.12). Key usage is key-usage.ts.
 */
import { OID } from "../../lib/oids.js";
import { type Check, collector } from "./types.js";

export const caPurpose: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  if (pos.isIssuer && state.profile.smime && !c.allowsEmailProtection)
    add("EKU_NOT_EMAIL", {
      detail: `a CA whose extended key usage (${c.extKeyUsageNames.join(", ")}) excludes e-mail protection`,
    });
  return problems;
};

export const leafPurpose: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  const smimeLeaf = pos.isLeaf && state.profile.smime;
  if (smimeLeaf) {
    const eku = c.extKeyUsage;
    if (state.profile.exchange) {
      if (eku === undefined)
        add("EKU_NOT_EMAIL", {
          detail: "no extended key usage extension (Exchange Online requires Secure Email)",
        });
      else if (!eku.includes(OID.emailProtection))
        add("EKU_NOT_EMAIL", { detail: `extended key usage is ${c.extKeyUsageNames.join(", ") || "empty"}` });
    } else if (!c.allowsEmailProtection)
      add("EKU_NOT_EMAIL", { detail: `extended key usage is ${c.extKeyUsageNames.join(", ") || "empty"}` });
  }
  if (c.extKeyUsage !== undefined && c.extKeyUsage.length === 0 && !smimeLeaf)
    add("NONCONFORMING_CERT", { detail: "empty extended key usage" });
  return problems;
};
