/** RFC 5280 6.1.3 (a)(2): the certificate is within its validity at the validation time (second granularity, both ends inclusive). */
import { isoTime } from "../format.js";
import { type Check, collector } from "./types.js";

export const validity: Check = (c, _pos, state) => {
  const { problems, add } = collector(c);
  if (state.time < c.notBefore) add("CERT_NOT_YET_VALID", { date: isoTime(c.notBefore) });
  else if (state.time > c.notAfter) add("CERT_EXPIRED", { date: isoTime(c.notAfter) });
  return problems;
};
