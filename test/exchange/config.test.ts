import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertNoIssues, ConfigError, parseConfig } from "../../src/exchange/config.js";
import { SETTING_NAMES, SETTINGS, type SettingName, settingValueFault } from "../../src/exchange/settings.js";
import { REPO } from "./helpers.js";

const schema = JSON.parse(readFileSync(join(REPO, "schema/smime.config.schema.json"), "utf8"));
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
const validate = ajv.compile(schema);

const cfg = (obj: unknown, file = "conf/smime.config.json") => parseConfig(JSON.stringify(obj), file);

function thrown(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("parseConfig", () => {
  it("reads trust paths relative to the config file and keeps valid settings", () => {
    const s = cfg({
      trust: ["ca/root.pem", "/abs/int.cer"],
      settings: { OWASigningAlgorithms: "800C", OWACRLConnectionTimeout: 30000, OWADisableCRLCheck: false },
    });
    expect(s.trust).toEqual(["ca/root.pem", "/abs/int.cer"]);
    expect(s.trustPaths).toEqual(["conf/ca/root.pem", "/abs/int.cer"]);
    expect(s.settings).toEqual({
      OWASigningAlgorithms: "800C",
      OWACRLConnectionTimeout: 30000,
      OWADisableCRLCheck: false,
    });
    expect(s.issues).toEqual([]);
  });

  it("allows leaving trust out (settings only) but not an empty list or an empty file", () => {
    expect(cfg({ settings: { OWAAlwaysSign: true } }).trustPaths).toBeUndefined();
    expect(thrown(() => cfg({ trust: [] })).key).toBe("trust");
    expect(thrown(() => cfg({})).message).toMatch(/sets nothing/);
  });

  it("names the file and key of structural faults", () => {
    const e = thrown(() => parseConfig("{ not json", "my.json"));
    expect(e.describe()).toMatch(/^my\.json: not valid JSON/);
    expect(thrown(() => cfg({ trust: "ca" })).describe()).toBe(
      "conf/smime.config.json: trust: must be a list of paths to CA certificates (files or folders)",
    );
    expect(thrown(() => cfg({ trust: ["a", 3] })).key).toBe("trust[1]");
    expect(thrown(() => cfg({ OWAAlwaysSign: true })).message).toMatch(
      /^OWAAlwaysSign: unknown key \(put Set-SmimeConfig parameters under "settings"\)/,
    );
    expect(thrown(() => cfg({ trust: ["a"], settings: [] })).key).toBe("settings");
  });

  it("reports every unknown key, wrong type and bad value by name", () => {
    const s = cfg({
      trust: ["a"],
      settings: {
        OWASigningAlgorithm: "800C",
        SMIMECertificateIssuingCA: "AAAA",
        OWAAlwaysSign: "yes",
        OWACRLConnectionTimeout: -5,
        OWADLExpansionTimeout: 4294967296,
        OWABCCEncryptedEmailForking: 3,
        OWASigningAlgorithms: "8005",
        OWAEncryptionAlgorithms: "6602:100",
        OWASenderCertificateAttributesToDisplay: "2.5.4.3, 2.5.4.10",
      },
    });
    const byKey = Object.fromEntries(s.issues.map((i) => [i.key, i.message]));
    expect(Object.keys(byKey)).toEqual([
      "settings.OWASigningAlgorithm",
      "settings.SMIMECertificateIssuingCA",
      "settings.OWAAlwaysSign",
      "settings.OWACRLConnectionTimeout",
      "settings.OWADLExpansionTimeout",
      "settings.OWABCCEncryptedEmailForking",
      "settings.OWASigningAlgorithms",
      "settings.OWAEncryptionAlgorithms",
      "settings.OWASenderCertificateAttributesToDisplay",
    ]);
    expect(byKey["settings.OWASigningAlgorithm"]).toBe(
      "not a Set-SmimeConfig parameter (did you mean OWASigningAlgorithms?)",
    );
    expect(byKey["settings.SMIMECertificateIssuingCA"]).toMatch(/set through "trust"/);
    expect(byKey["settings.OWAAlwaysSign"]).toBe("must be true or false, not 'yes'");
    expect(byKey["settings.OWACRLConnectionTimeout"]).toBe("-5 is outside 0-4294967295 (UInt32)");
    expect(byKey["settings.OWADLExpansionTimeout"]).toBe("4294967296 is outside 0-4294967295 (UInt32)");
    expect(byKey["settings.OWABCCEncryptedEmailForking"]).toBe("must be one of 0, 1, 2, not 3");
    expect(byKey["settings.OWASigningAlgorithms"]).toMatch(
      /'8005' is not a signing algorithm id \(8003 MD5, 8004 SHA-1, 800C SHA-256/,
    );
    expect(byKey["settings.OWAEncryptionAlgorithms"]).toMatch(/RC2 key length must be 40, 56, 64 or 128/);
    expect(byKey["settings.OWASenderCertificateAttributesToDisplay"]).toMatch(
      /not a comma-separated list of dotted OIDs/,
    );
    expect(s.settings).toEqual({});
    const e = thrown(() => assertNoIssues(s));
    expect(e.describe()).toMatch(
      /^conf\/smime\.config\.json: settings\.OWASigningAlgorithm: not a Set-SmimeConfig parameter .*\(and 8 more: settings\.SMIMECertificateIssuingCA, /,
    );
  });

  it("accepts the documented algorithm forms", () => {
    const ok: [SettingName, string][] = [
      ["OWASigningAlgorithms", "8003"],
      ["OWASigningAlgorithms", "800C;800D;800E"],
      ["OWASigningAlgorithms", "800c"],
      ["OWASigningAlgorithms", "8004:160"],
      ["OWASigningAlgorithms", "800E,2.16.840.1.101.3.4.2.3"],
      ["OWAEncryptionAlgorithms", "6610"],
      ["OWAEncryptionAlgorithms", "6601;6602:128;6603;660E;660F;6610"],
      ["OWAEncryptionAlgorithms", "6602:40"],
      ["OWAEncryptionAlgorithms", "6610,2.16.840.1.101.3.4.1.42"],
    ];
    for (const [k, v] of ok) expect(settingValueFault(k, v), `${k}=${v}`).toBeUndefined();
    const bad: [SettingName, string, RegExp][] = [
      ["OWASigningAlgorithms", "", /empty/],
      ["OWASigningAlgorithms", "800C;", /empty entry/],
      ["OWASigningAlgorithms", "6610", /not a signing algorithm id/],
      ["OWASigningAlgorithms", "8804,1.2.3", /'8804' is not a signing algorithm id/],
      ["OWAEncryptionAlgorithms", "800C", /'800C' is not an encryption algorithm id \(6601 DES, 6602 RC2/],
      ["OWAEncryptionAlgorithms", "6610:256", /only RC2 \(6602\) takes a key length/],
      ["OWAEncryptionAlgorithms", "6610,aes", /'aes' is not a dotted OID/],
      ["OWAEncryptionAlgorithms", "6610; 660E", /' 660E' is not an encryption algorithm id/],
    ];
    for (const [k, v, re] of bad) expect(settingValueFault(k, v), `${k}=${v}`).toMatch(re);
  });
});

describe("schema/smime.config.schema.json", () => {
  const props = schema.properties.settings.properties as Record<string, Record<string, unknown>>;

  it("is a draft 2020-12 schema that compiles in strict mode", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(typeof validate).toBe("function");
  });

  it("lists exactly the parameters of the code's table, with the same types, limits and defaults", () => {
    expect(Object.keys(props).sort()).toEqual([...SETTING_NAMES].sort());
    expect(SETTING_NAMES).toHaveLength(25); // 24 OWA* parameters and NoSignOnReply
    for (const name of SETTING_NAMES) {
      const spec = SETTINGS[name];
      const p = props[name];
      expect(p.default, name).toEqual(spec.default);
      const expectedType = {
        boolean: "boolean",
        uint32: "integer",
        enum: "integer",
        signingAlgorithms: "string",
        encryptionAlgorithms: "string",
        oidList: ["string", "null"],
      }[spec.type];
      expect(p.type, name).toEqual(expectedType);
      if (spec.type === "uint32") expect([p.minimum, p.maximum], name).toEqual([0, 4294967295]);
      if (spec.type === "enum") expect(p.enum, name).toEqual(spec.values);
    }
  });

  it("agrees with the code on every example and on random values", () => {
    const samples: [SettingName, unknown][] = [];
    for (const name of SETTING_NAMES) {
      for (const v of [
        SETTINGS[name].default,
        true,
        false,
        0,
        1,
        2,
        3,
        -1,
        60000,
        4294967295,
        4294967296,
        1.5,
        "",
        "800C",
        "8004;800C",
        "6610",
        "6602:128",
        "6602:129",
        "2.5.4.3",
        "2.5.4.3,2.5.4.10",
        "2.5.4.3 ",
        null,
        "x",
        [],
        {},
      ])
        samples.push([name, v]);
      for (const ex of (props[name].examples as unknown[] | undefined) ?? []) samples.push([name, ex]);
    }
    const check = (name: SettingName, value: unknown) => {
      const doc = { trust: ["ca"], settings: { [name]: value } };
      const bySchema = validate(doc);
      const byCode = settingValueFault(name, value) === undefined;
      expect(bySchema, `${name}=${JSON.stringify(value)}: schema ${bySchema}, code ${byCode}`).toBe(byCode);
    };
    for (const [n, v] of samples) check(n, v);
    const algText = fc
      .array(
        fc.constantFrom(
          "800",
          "C",
          "c",
          "8",
          "4",
          "66",
          "10",
          "0E",
          "02",
          ":",
          "128",
          ",",
          "1.2.3",
          ";",
          "2.5",
          ".",
          "0",
          "",
          " ",
        ),
        { maxLength: 8 },
      )
      .map((a) => a.join(""));
    fc.assert(
      fc.property(
        fc.constantFrom<SettingName>(
          "OWASigningAlgorithms",
          "OWAEncryptionAlgorithms",
          "OWASenderCertificateAttributesToDisplay",
        ),
        algText,
        (n, v) => check(n, v),
      ),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom<SettingName>("OWACRLConnectionTimeout", "OWABCCEncryptedEmailForking"),
        fc.integer({ min: -10, max: 2 ** 33 }),
        (n, v) => check(n, v),
      ),
    );
  });

  it("rejects what parseConfig rejects at the top level", () => {
    expect(validate({ trust: ["ca"], settings: { OWAAlwaysSign: true } })).toBe(true);
    expect(validate({ settings: { OWAAlwaysSign: true } })).toBe(true);
    expect(validate({})).toBe(false);
    expect(validate({ trust: [] })).toBe(false);
    expect(validate({ trust: ["ca"], OWAAlwaysSign: true })).toBe(false);
    expect(validate({ trust: ["ca"], settings: { Bogus: 1 } })).toBe(false);
  });

  it("validates examples/smime.config.json, which parseConfig also accepts", () => {
    const text = readFileSync(join(REPO, "examples/smime.config.json"), "utf8");
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
    const s = parseConfig(text, join(REPO, "examples/smime.config.json"));
    expect(s.issues).toEqual([]);
    expect(s.trustPaths!.every((p) => p.startsWith(join(REPO, "examples")))).toBe(true);
  });
});
