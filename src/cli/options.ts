/** Option parsers shared by the commands (kept apart from program.ts, which imports every command). */

import { UsageError } from "../errors.js";
import type { LoadOptions } from "../io/files.js";
import type { CliContext } from "./context.js";

export const VERSION = "0.1.0";

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses a time option: ISO 8601 (a date, or a date and time; UTC unless an offset is given) or Unix
 * seconds (9 to 11 digits). Anything else, and dates that do not exist (2026-02-30), are refused rather
 * than guessed at, as Date.parse would ("0" as the year 2000, "2026-02-30" as March 2).
 */
export function parseTime(value: string, option = "--at"): number {
  const v = value.trim();
  if (/^\d{9,11}$/.test(v)) return Number(v) * 1000;
  const m = ISO_TIME.exec(v);
  if (m) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    let t = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(t);
    const real =
      back.getUTCFullYear() === y &&
      back.getUTCMonth() === mo - 1 &&
      back.getUTCDate() === d &&
      h < 24 &&
      mi < 60 &&
      s < 60;
    if (real) {
      const zone = m[8];
      if (zone && zone.toUpperCase() !== "Z") {
        const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
        const minutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
        if (Number(z[2]) < 24 && Number(z[3] ?? 0) < 60) {
          t -= (z[1] === "-" ? -1 : 1) * minutes * 60_000;
          return t + Math.floor(frac);
        }
      } else return t + Math.floor(frac);
    }
  }
  throw new UsageError(
    `${option}: '${value}' is not a date (use ISO 8601, e.g. 2026-01-31T12:00:00Z, UTC unless an offset is given; or Unix seconds)`,
  );
}

export function parseIntOption(value: string, option: string, min = 0): number {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`${option}: '${value}' is not a whole number >= ${min}`);
  return Number(value);
}

/**
 * Commander argument parser of options that take one value each time and may be given again
 * (`--trust a.pem --trust b.pem`), as curl, git and openssl take them; the values are kept in order.
 */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--pfx-max-iterations <n>`: the PKCS#12 key-derivation work budget of one file (every command that reads PFX). */
export const PFX_MAX_ITERATIONS_OPTION = [
  "--pfx-max-iterations <n>",
  "PKCS#12 key-derivation work allowed for one file, in iterations over all its key derivations (default 5000000)",
] as const;

/** The value of --pfx-max-iterations, checked (undefined when not given). */
export function pfxMaxIterations(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = parseIntOption(value, "--pfx-max-iterations", 1);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--pfx-max-iterations: '${value}' is too large`);
  return n;
}

/**
 * How a command reads its certificate inputs, from the options every reading command shares: the PKCS#12
 * password (or SMIMETRUST_PFX_PASSWORD), --skip-unreadable, --pfx-max-iterations, and the process's stdin for '-'.
 */
export function inputOptions(
  opts: { password?: string; skipUnreadable?: boolean; pfxMaxIterations?: string },
  ctx: CliContext,
): LoadOptions & { password?: string; skipUnreadable: boolean } {
  return {
    password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
    skipUnreadable: opts.skipUnreadable === true,
    pfxMaxIterations: pfxMaxIterations(opts.pfxMaxIterations),
    stdin: ctx.stdin,
  };
}
