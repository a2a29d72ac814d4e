/** Codes verify adds to the catalogue (registered once, through problems.ts's extension point). */
import { isKnownProblem, registerProblem } from "../problems.js";

if (!isKnownProblem("CONTENT_CANONICALISED")) {
  registerProblem("CONTENT_CANONICALISED", {
    severity: "info",
    message: (p) =>
      `The signed part matched its signature only after its line ends were converted to CRLF${p.detail ? `: ${p.detail}` : ""}.`,
    hint: () =>
      "The message was stored with LF line ends (common in mail stores); the signature itself is intact.",
  });
}
if (!isKnownProblem("SIGNED_PART")) {
  registerProblem("SIGNED_PART", {
    severity: "info",
    message: (p) => `A signature sits in part ${p.detail ?? "?"} of the message, not at its top.`,
    hint: () =>
      "Mail clients may show such inner signatures (e.g. in forwarded messages) differently from a signature on the whole message.",
  });
}
