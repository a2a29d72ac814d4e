/**
 * Typed contracts (issue 10, item 7): problem codes are a string-literal union derived from the catalogue
 * (a misspelt code fails `tsc --noEmit`, which compiles this file: the `@ts-expect-error` lines below are
 * the type-level test, and fail the type check if the error they expect goes away); every error class is a
 * SmimetrustError with a stable code from ERROR_CODES; the public functions' argument types are exported.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  type ErrorCode,
  MalformedInputError,
  RefusedError,
  SmimetrustError,
} from "../../src/errors.js";
import type * as Lib from "../../src/index.js";
import * as problems from "../../src/problems.js";
import {
  CATALOGUE,
  isKnownProblem,
  PROBLEM_CODES,
  type Problem,
  type ProblemCode,
  problem,
} from "../../src/problems.js";
import { REPO_ROOT } from "../helpers/cli.js";

// ---- type-level checks (tsc) ---------------------------------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

expectType<Equal<ProblemCode, keyof typeof CATALOGUE>>(true);
expectType<Equal<Problem["code"], ProblemCode>>(true);
expectType<Equal<SmimetrustError["code"], ErrorCode>>(true);
expectType<Equal<ErrorCode, keyof typeof ERROR_CODES>>(true);

/** Never called: each line must fail the type check. */
function misspelt(): void {
  // @ts-expect-error: not a problem code
  problem("CERT_EXPRIED");
  // @ts-expect-error: not a problem code
  const p: Problem = { code: "SIGNATURE_INVALD", severity: "error", message: "" };
  void p;
  // @ts-expect-error: a wide string is not a problem code either
  problem("CERT_EXPIRED" as string);
  class Typo extends SmimetrustError {
    // @ts-expect-error: not in ERROR_CODES
    override readonly code = "ERR_MALFORMED_INPTU";
  }
  void Typo;
}
void misspelt;

/** The argument and result types of the public functions are exported by name (compiles = passes). */
type PublicTypes = [
  Lib.VerifySetup,
  Lib.BatchOptions,
  Lib.BatchItem,
  Lib.VerifyContext,
  Lib.ValidationOptions,
  Lib.ReadOptions,
  Lib.AuditOptions,
  Lib.BuildOptions,
  Lib.PlanOptions,
  Lib.DesiredInput,
  Lib.ApplyScriptSpec,
  Lib.ExportScriptSpec,
  Lib.HttpFetcherOptions,
  Lib.MimeLimits,
  Lib.NewSstEntry,
  Lib.RevocationContext,
  Lib.ContentInfo,
  Lib.SignerInfo,
  Lib.SignedAttributes,
  Lib.AttributeFault,
  Lib.ProblemCode,
  Lib.ErrorCode,
];
expectType<PublicTypes extends unknown[] ? true : false>(true);

// ---- problem codes --------------------------------------------------------------------------

/** Codes released so far (DESIGN.md "Stable contracts"): they never go away or change meaning. */
const RELEASED = [
  "NOT_SIGNED",
  "MALFORMED",
  "ENCRYPTED",
  "DIGEST_MISMATCH",
  "SIGNATURE_INVALID",
  "SIGNER_CERT_MISSING",
  "SENDER_MISMATCH",
  "WEAK_ALGORITHM",
  "UNSUPPORTED_ALGORITHM",
  "CHAIN_INCOMPLETE",
  "UNTRUSTED_ROOT",
  "CHAIN_SIGNATURE_INVALID",
  "CERT_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ISSUER_NOT_CA",
  "PATH_LENGTH_EXCEEDED",
  "KEY_USAGE",
  "EKU_NOT_EMAIL",
  "NAME_CONSTRAINTS",
  "POLICY",
  "UNKNOWN_CRITICAL_EXTENSION",
  "CERT_REVOKED",
  "REVOCATION_UNKNOWN",
  "WEAK_KEY",
  "TRUST_EXPIRED",
  "TRUST_EXPIRING",
  "TRUST_NOT_YET_VALID",
  "DUPLICATE",
  "NOT_A_CA",
  "MISSING_ISSUER",
  "SST_TOO_LARGE",
  "NO_EMAIL_PROTECTION",
  "SUPERSEDED",
] as const satisfies readonly ProblemCode[];

describe("problem codes", () => {
  it("come from the catalogue alone: every code is upper-case and makes a problem with its own code", () => {
    expect(PROBLEM_CODES).toEqual(Object.keys(CATALOGUE));
    for (const code of PROBLEM_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      const p = problem(code, { name: "X", sha1: "AB" });
      expect(p.code).toBe(code);
      expect(["error", "warning", "info"]).toContain(p.severity);
      expect(p.message.length).toBeGreaterThan(10);
    }
  });

  it("keep every released code", () => {
    for (const code of RELEASED) expect(PROBLEM_CODES).toContain(code);
  });

  it("an unknown code is refused at run time too, and isKnownProblem tells codes read back from files", () => {
    expect(() => problem("CERT_EXPRIED" as ProblemCode)).toThrow(/unknown problem code CERT_EXPRIED/);
    expect(isKnownProblem("CERT_EXPIRED")).toBe(true);
    expect(isKnownProblem("CERT_EXPRIED")).toBe(false);
    expect(isKnownProblem("toString")).toBe(false);
    expect(() => problem("toString" as ProblemCode)).toThrow(/unknown problem code toString/);
  });

  it("the catalogue cannot be extended at run time (no registerProblem)", () => {
    expect("registerProblem" in problems).toBe(false);
    expect("registerProblem" in (problems as Record<string, unknown>)).toBe(false);
  });
});

// ---- error classes --------------------------------------------------------------------------

/** Every error class in src/, how to make one, and its stable code(s). */
type Ctor = new (...args: unknown[]) => SmimetrustError;
const ERRORS: Record<string, { module: string; make: (C: Ctor) => SmimetrustError; codes: ErrorCode[] }> = {
  SmimetrustError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_SMIMETRUST"] },
  MalformedInputError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_MALFORMED_INPUT"] },
  UnknownFormatError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_UNKNOWN_FORMAT"] },
  EmptyInputError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_EMPTY_INPUT"] },
  PasswordError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_PFX_PASSWORD"] },
  UnsupportedError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_UNSUPPORTED"] },
  LimitExceededError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_LIMIT_EXCEEDED"] },
  FileAccessError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_FILE_ACCESS"] },
  UsageError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_USAGE"] },
  RefusedError: { module: "errors.ts", make: (C) => new C("m"), codes: ["ERR_REFUSED"] },
  MimeError: { module: "mime/errors.ts", make: (C) => new C("m"), codes: ["ERR_MIME"] },
  NotMailError: { module: "mime/errors.ts", make: (C) => new C("m"), codes: ["ERR_NOT_MAIL"] },
  UnreadableFilesError: {
    module: "errors.ts",
    make: (C) => new C([new SmimetrustError("m", { file: "a.pfx" })]),
    codes: ["ERR_UNREADABLE_FILES"],
  },
  DatabaseBusyError: {
    module: "monitor/store.ts",
    make: (C) => new C("monitor.sqlite", [], 5000),
    codes: ["ERR_DATABASE_BUSY"],
  },
  ConfigError: { module: "exchange/config.ts", make: (C) => new C("m", { key: "k" }), codes: ["ERR_CONFIG"] },
  ExchangeRefusalError: {
    module: "trust/build-store.ts",
    make: (C) => new C("ERR_SST_TOO_LARGE", "m"),
    codes: ["ERR_EXPIRED_IN_LIST", "ERR_SST_TOO_LARGE", "ERR_EMPTY_LIST"],
  },
  DerError: { module: "lib/der.ts", make: (C) => new C("m", 7), codes: ["ERR_DER"] },
  FetchError: {
    module: "io/http-fetcher.ts",
    make: (C) => new C("m", "ERR_FETCH_TIMEOUT", "http://127.0.0.1/x.crl"),
    codes: [
      "ERR_FETCH_TIMEOUT",
      "ERR_FETCH_CONNECT_TIMEOUT",
      "ERR_FETCH_TOO_LARGE",
      "ERR_FETCH_REDIRECTS",
      "ERR_FETCH_SCHEME",
      "ERR_FETCH_NETWORK",
    ],
  },
  PolicyFailure: { module: "path/policy.ts", make: (C) => new C("m"), codes: ["ERR_POLICY"] },
  SignInError: { module: "exchange-api/errors.ts", make: (C) => new C("m"), codes: ["ERR_SIGN_IN"] },
  ExchangeApiError: {
    module: "exchange-api/errors.ts",
    make: (C) => new C("m"),
    codes: ["ERR_EXCHANGE_API"],
  },
};

/** `class X extends Y` declarations in src/, by class name. */
function classesInSrc(): Map<string, { base: string; file: string; exported: boolean }> {
  const out = new Map<string, { base: string; file: string; exported: boolean }>();
  const src = path.join(REPO_ROOT, "src");
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        const text = readFileSync(p, "utf8");
        for (const m of text.matchAll(/^(export )?(?:abstract )?class (\w+)(?:<[^>]*>)? extends (\w+)/gm))
          out.set(m[2], { base: m[3], file: path.relative(src, p), exported: m[1] !== undefined });
      }
    }
  };
  walk(src);
  return out;
}

describe("error classes", () => {
  const classes = classesInSrc();
  const chain = (name: string): string[] => {
    const out = [name];
    for (let c = classes.get(name); c && out.length < 20; c = classes.get(c.base)) out.push(c.base);
    return out;
  };
  const errorClasses = [...classes.keys()].filter((n) => chain(n).at(-1) === "Error");

  it("every class that is an Error descends from SmimetrustError and is listed here with its code", () => {
    expect(errorClasses.length).toBeGreaterThanOrEqual(Object.keys(ERRORS).length);
    for (const name of errorClasses) {
      if (name === "SmimetrustError") continue;
      expect({ name, chain: chain(name) }).toEqual({
        name,
        chain: expect.arrayContaining(["SmimetrustError"]),
      });
      expect(Object.keys(ERRORS), `${name} (${classes.get(name)!.file}) is not in the list`).toContain(name);
    }
  });

  for (const [name, spec] of Object.entries(ERRORS)) {
    it(`${name}: a SmimetrustError with a stable code, its own name and one line for the user`, async () => {
      const info = classes.get(name);
      if (name !== "SmimetrustError") expect(info?.file).toBe(spec.module);
      const mod = (await import(pathToFileURL(path.join(REPO_ROOT, "src", spec.module)).href)) as Record<
        string,
        unknown
      >;
      expect(typeof mod[name]).toBe("function");
      const e = spec.make(mod[name] as Ctor);
      expect(e).toBeInstanceOf(SmimetrustError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(spec.codes).toContain(e.code);
      for (const code of spec.codes) expect(Object.keys(ERROR_CODES)).toContain(code);
      expect(e.describe()).not.toMatch(/\n/);
      expect(e.describe()).toContain("m");
    });
  }

  it("DerError keeps its offset and names the byte once", async () => {
    const { DerError } = await import("../../src/lib/der.js");
    const e = new DerError("truncated length", 12);
    expect(e.offset).toBe(12);
    expect(e.message).toBe("truncated length at byte 12");
    expect(e.describe()).toBe("truncated length at byte 12");
    expect(e.withFile("a.der").describe()).toBe("a.der: truncated length at byte 12");
    // The parsers still wrap it in their own kind.
    expect(new MalformedInputError("x", { offset: 3 }).describe()).toBe("x (at byte 3)");
  });

  it("subclass codes stay within the catalogue of error codes", () => {
    expect(new RefusedError("m").code).toBe("ERR_REFUSED");
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
    for (const text of Object.values(ERROR_CODES)) expect(text.length).toBeGreaterThan(10);
  });
});
