/** Option values shared by the commands: times (--at) are parsed strictly, never guessed at. */
import { describe, expect, it } from "vitest";
import { fetchOptionsFromEnv } from "../../src/cli/online.js";
import { parseTime } from "../../src/cli/options.js";
import { UsageError } from "../../src/errors.js";

describe("parseTime (--at)", () => {
  it("reads ISO 8601 dates and times, UTC unless an offset is given, and Unix seconds", () => {
    const cases: [string, string][] = [
      ["2026-06-01", "2026-06-01T00:00:00.000Z"],
      ["2026-06-01T12:00:00Z", "2026-06-01T12:00:00.000Z"],
      ["2026-06-01T12:00:00.250Z", "2026-06-01T12:00:00.250Z"],
      ["2026-06-01T12:00", "2026-06-01T12:00:00.000Z"],
      ["2026-06-01 12:00:00", "2026-06-01T12:00:00.000Z"],
      ["2026-06-01T12:00:00+02:00", "2026-06-01T10:00:00.000Z"],
      ["2026-06-01T12:00:00-0530", "2026-06-01T17:30:00.000Z"],
      ["2024-02-29T00:00:00z", "2024-02-29T00:00:00.000Z"],
      ["1780315200", "2026-06-01T12:00:00.000Z"],
      [" 2026-06-01 ", "2026-06-01T00:00:00.000Z"],
    ];
    for (const [input, iso] of cases) expect(new Date(parseTime(input)).toISOString(), input).toBe(iso);
  });

  it("refuses what is not a date instead of guessing (Date.parse reads '0' as 2000, '2026-02-30' as March 2)", () => {
    for (const bad of [
      "",
      "yesterday",
      "0",
      "1",
      "-5",
      "2026",
      "12345",
      "2026-02-30",
      "2025-02-29",
      "2026-13-01",
      "2026-06-01T24:00:00Z",
      "2026-06-01T12:60Z",
      "2026-06-01T12:00:00+25:00",
      "Mon, 01 Jun 2026 12:00:00 GMT",
      "1e10",
    ]) {
      let err: unknown;
      try {
        parseTime(bad, "--at");
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).code).toBe("ERR_USAGE");
    }
  });
});

describe("--online settings from the environment (chain and verify alike)", () => {
  it("takes positive whole milliseconds and the proxy, and ignores anything else", () => {
    expect(
      fetchOptionsFromEnv({
        SMIMETRUST_CONNECT_TIMEOUT_MS: "5000",
        SMIMETRUST_TIMEOUT_MS: "2500",
        HTTP_PROXY: "http://127.0.0.1:3128",
      }),
    ).toEqual({ connectTimeoutMs: 5000, timeoutMs: 2500, proxy: "http://127.0.0.1:3128" });
    for (const bad of ["-5", "1e3", "0", "soon", ""]) {
      const o = fetchOptionsFromEnv({ SMIMETRUST_CONNECT_TIMEOUT_MS: bad, SMIMETRUST_TIMEOUT_MS: bad });
      expect([o.connectTimeoutMs, o.timeoutMs]).toEqual([undefined, undefined]);
    }
  });
});
