/**
 * Problem codes the monitor adds to the catalogue (through registerProblem, never by changing a meaning).
 */
import { isKnownProblem, registerProblem } from "../problems.js";

const n = (p: { name?: string }) => (p.name ? `'${p.name}'` : "the certificate");
const tp = (p: { sha1?: string }) => (p.sha1 ? ` (thumbprint ${p.sha1})` : "");

function reg(code: string, entry: Parameters<typeof registerProblem>[1]): void {
  if (!isKnownProblem(code)) registerProblem(code, entry);
}

/** A user certificate watched by the monitor is close to its expiry. */
reg("CERT_EXPIRING", {
  severity: "warning",
  message: (p) => `${n(p)}${tp(p)} expires on ${p.date ?? "?"} (${p.days ?? "?"} days left).`,
  hint: (p) => `Renew ${n(p)} and have its owner install the new certificate before ${p.date ?? "then"}.`,
});

/** The monitor could not run a check (file unreadable, malformed, missing). */
reg("CHECK_FAILED", {
  severity: "error",
  message: (p) =>
    `The check of ${p.name ? `'${p.name}'` : "a source"} failed${p.detail ? `: ${p.detail}` : ""}.`,
  hint: () => "Fix the file or its permissions; until then nothing in it is being watched.",
});

/** An Exchange export (or other watched file) is older than its configured maximum age. */
reg("EXPORT_STALE", {
  severity: "warning",
  message: (p) =>
    `${p.name ? `'${p.name}'` : "The export"} was last updated ${p.date ?? "?"}, ${p.detail ?? "longer ago than allowed"}.`,
  hint: () =>
    "The scheduled Get-SmimeConfig export has stopped: check the task that runs it (and its credentials); the monitor is judging an old copy.",
});

export const MONITOR_CODES = ["CERT_EXPIRING", "CHECK_FAILED", "EXPORT_STALE"] as const;
