import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { psBase64Block, psBool, psComment, psString, psValue } from "../../src/exchange/powershell.js";
import { PS_QUOTES, readPsLiteral } from "./helpers.js";

/** Strings that lean towards what breaks quoting: every PowerShell quote, $(), backticks, line breaks. */
const hostileChar = fc.constantFrom(
  "'",
  "\u2018",
  "\u2019",
  "\u201A",
  "\u201B",
  '"',
  "\u201C",
  "\u201D",
  "$",
  "(",
  ")",
  "`",
  "\n",
  "\r",
  " ",
  "#",
  ";",
  "@",
  "{",
  "}",
  "é",
  "\u2028",
  "\uD83D\uDE00",
);
const hostile = fc
  .array(fc.oneof(hostileChar, fc.string({ unit: "binary", maxLength: 3 })), { maxLength: 30 })
  .map((a) => a.join("").replace(/\0/g, ""));

describe("psString (PowerShell single-quoted literals)", () => {
  it("reads back to the same string and ends exactly where the generator ended it", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile,
          fc.string({ unit: "binary" }).map((s) => s.replace(/\0/g, "")),
        ),
        (s) => {
          const lit = psString(s);
          // In context: a script line with something after the literal that is not a quote.
          const script = `$path = ${lit}; Remove-Item -Recurse -Force 'C:\\'`;
          const start = "$path = ".length;
          const r = readPsLiteral(script, start);
          expect(r.value).toBe(s);
          expect(r.end).toBe(start + lit.length);
          expect(script.slice(r.end)).toBe("; Remove-Item -Recurse -Force 'C:\\'");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("doubles the Unicode single quotes too, not only the apostrophe", () => {
    for (const q of PS_QUOTES) expect(psString(`a${q}b`)).toBe(`'a${q}${q}b'`);
    expect(psString("it's")).toBe("'it''s'");
    // Double quotes and $() need nothing inside single quotes: they stay as they are.
    expect(psString('$(Remove-Item C:\\) "x" `n')).toBe("'$(Remove-Item C:\\) \"x\" `n'");
  });

  it("keeps line breaks inside the literal", () => {
    const s = "C:\\Temp\\a\nb\r\n$(evil).sst";
    expect(readPsLiteral(psString(s), 0)).toEqual({ value: s, end: psString(s).length });
  });

  it("refuses NUL", () => {
    expect(() => psString("a\0b")).toThrow(/NUL/);
  });
});

describe("psValue and friends", () => {
  it("writes booleans, UInt32 numbers, strings and null as PowerShell literals", () => {
    expect(psBool(true)).toBe("$true");
    expect(psValue(false)).toBe("$false");
    expect(psValue(60000)).toBe("[uint32]60000");
    expect(psValue(4294967295)).toBe("[uint32]4294967295");
    expect(psValue("800C")).toBe("'800C'");
    expect(psValue(null)).toBe("$null");
    expect(() => psValue(-1)).toThrow();
    expect(() => psValue(1.5)).toThrow();
  });

  it("splits base64 into quoted lines that join back to the bytes", () => {
    const bytes = Uint8Array.from({ length: 500 }, (_, i) => (i * 37) % 256);
    const block = psBase64Block(bytes, "  ", 40);
    const joined = [...block.matchAll(/'([A-Za-z0-9+/=]*)'/g)].map((m) => m[1]).join("");
    expect(new Uint8Array(Buffer.from(joined, "base64"))).toEqual(bytes);
    expect(block.startsWith("@(\n")).toBe(true);
    expect(block.endsWith(") -join ''")).toBe(true);
  });

  it("makes comments that cannot break out onto a new line or close a block comment", () => {
    const c = psComment("Evil CA\nRemove-Item C:\\ #> \u2028x");
    expect(c.split("\n")).toHaveLength(1);
    expect(c).not.toContain("#>");
    expect(c.startsWith("# ")).toBe(true);
  });
});

describe("psComment and bidi controls", () => {
  it("replaces every bidirectional formatting control, so a comment cannot reorder what a reviewer sees", () => {
    const bidi = ["\u061C", "\u200E", "\u200F", "\u202A", "\u202B", "\u202C", "\u202D", "\u202E"];
    bidi.push("\u2066", "\u2067", "\u2068", "\u2069");
    for (const ch of bidi) {
      const c = psComment(`Evil ${ch}CA`);
      expect(c, `U+${ch.codePointAt(0)!.toString(16)}`).toBe("# Evil  CA");
    }
    expect(psComment("\u202Eexe.sst\u202C ok")).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  });
});
