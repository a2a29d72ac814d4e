/**
 * Windows' distrust properties in a .sst (ids 104, 126, 127, 83: shared/fixtures/sst/README.md) and the
 * Exchange profile's key-size floor: inspect shows them, check reports them, build says what it drops;
 * RSA under 1024 bits is an error under `--profile exchange`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DISTRUST_PROP, filetimeToMs, msToFiletime, sstDistrust } from "../../src/formats/distrust.js";
import { ELEMENT, PROP, readSst, writeSst } from "../../src/formats/sst.js";
import { tmp, write } from "../exchange/helpers.js";
import { cli } from "../helpers/cli.js";
import { intermediate, leaf, makeKey, root } from "../helpers/pki.js";
import { FIXTURES, fixture } from "./fixtures.js";

const NOW = Date.UTC(2026, 5, 1);
const ekuDer = (oids: string[]) => {
  // SEQUENCE OF OBJECT IDENTIFIER, written by hand for the two OIDs used here.
  const enc: Record<string, number[]> = {
    "1.3.6.1.5.5.7.3.4": [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04],
    "1.3.6.1.5.5.7.3.3": [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03],
  };
  const body = oids.flatMap((o) => enc[o]);
  return Uint8Array.from([0x30, body.length, ...body]);
};

/** A store like Windows Update's: the distrusted CA carries 104 (a date), 126 + 127, and 83; the other empty 104/126. */
function windowsStore() {
  const distrusted = root("CN=Distrusted Root CA", { now: NOW, days: 3000 });
  const partial = root("CN=Partly Distrusted Root CA", { now: NOW, days: 3000 });
  const fine = root("CN=Fine Root CA", { now: NOW, days: 3000 });
  const disallowedAt = Date.UTC(2025, 8, 15);
  const notBeforeAt = Date.UTC(2022, 10, 1);
  const el = (der: Uint8Array, properties: { id: number; value: Uint8Array }[]) => ({
    kind: "certificate" as const,
    id: ELEMENT.certificate,
    encoding: 1,
    value: der,
    offset: 0,
    properties: properties.map((p) => ({ ...p, encoding: 1 })),
  });
  const bytes = writeSst({
    elements: [
      el(distrusted.der, [
        { id: PROP.sha1Hash, value: Buffer.from(distrusted.cert.sha1, "hex") },
        { id: PROP.friendlyName, value: Buffer.from("Distrusted\0", "utf16le") },
        { id: DISTRUST_PROP.rootProgramCertPolicies, value: Uint8Array.of(0x30, 0x00) },
        { id: DISTRUST_PROP.disallowedFiletime, value: msToFiletime(disallowedAt) },
      ]),
      el(partial.der, [
        { id: DISTRUST_PROP.notBeforeFiletime, value: msToFiletime(notBeforeAt) },
        { id: DISTRUST_PROP.notBeforeEnhkeyUsage, value: ekuDer(["1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.3"]) },
      ]),
      el(fine.der, [
        { id: DISTRUST_PROP.disallowedFiletime, value: new Uint8Array(0) },
        { id: DISTRUST_PROP.notBeforeFiletime, value: new Uint8Array(0) },
      ]),
    ],
    trailingProperties: [],
    hasEndRecord: true,
  });
  return { bytes, distrusted, partial, fine, disallowedAt, notBeforeAt };
}

describe("FILETIME and the distrust properties", () => {
  it("decodes the FILETIMEs Windows writes (the real root.sst's 104 value is 2025-09-15)", () => {
    expect(filetimeToMs(Buffer.from("0000e4add325dc01", "hex"))).toBe(Date.UTC(2025, 8, 15));
    expect(filetimeToMs(Buffer.from("004090e284edd801", "hex"))).toBe(Date.UTC(2022, 10, 1));
    expect(filetimeToMs(msToFiletime(Date.UTC(2030, 0, 2, 3, 4, 5)))).toBe(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(filetimeToMs(new Uint8Array(0))).toBeUndefined();
  });

  it("reads them from a store our codec wrote, and marks nothing for empty values", () => {
    const s = windowsStore();
    const els = readSst(s.bytes).elements;
    expect(sstDistrust(els[0].properties)).toEqual({
      disallowedAfter: s.disallowedAt,
      rootProgramPolicies: 2,
    });
    expect(sstDistrust(els[1].properties)).toEqual({
      notBefore: s.notBeforeAt,
      notBeforeEku: ["1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.3"],
    });
    expect(sstDistrust(els[2].properties)).toBeUndefined();
  });
});

describe("inspect, check and build on a Windows-made store with distrust marks", () => {
  const s = windowsStore();
  const dir = tmp("smimetrust-distrust-");
  const file = write(dir, "windows.sst", s.bytes);

  it("inspect shows them (JSON and text)", async () => {
    const j = await cli(["inspect", file, "--json"], { now: NOW });
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc[0].distrust).toMatchObject({
      disallowedAfter: "2025-09-15T00:00:00.000Z",
      notBefore: null,
      rootProgramPolicies: true,
    });
    expect(doc[1].distrust).toMatchObject({
      disallowedAfter: null,
      notBefore: "2022-11-01T00:00:00.000Z",
      notBeforeEku: ["1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.3"],
    });
    expect(doc[2].distrust).toBeUndefined();
    const t = await cli(["inspect", file], { now: NOW });
    expect(t.stdout).toContain(
      `distrusted: 'Distrusted Root CA' (${s.distrusted.cert.sha1}): Windows trusts it for nothing after 2025-09-15 (property 104)`,
    );
    expect(t.stdout).toContain(
      `distrusted: 'Partly Distrusted Root CA' (${s.partial.cert.sha1}): certificates it issued after 2022-11-01 are not trusted for emailProtection, codeSigning (properties 126 and 127)`,
    );
    expect(t.stdout).not.toContain("distrusted: 'Fine Root CA'");
  });

  it("check reports SST_DISTRUSTED for each marked certificate (an error once the disallowed date has passed)", async () => {
    const r = await cli(["check", file, "--json"], { now: NOW });
    const doc = JSON.parse(r.stdout);
    const found = doc.findings.filter((f: { code: string }) => f.code === "SST_DISTRUSTED");
    expect(found.map((f: { cert: string; severity: string }) => [f.cert, f.severity])).toEqual([
      [s.distrusted.cert.sha1, "error"],
      [s.partial.cert.sha1, "warning"],
    ]);
    expect(found[0].message).toContain("is marked distrusted by Windows in the .sst it came from");
    expect(found[0].hint).toContain("take it out of the trust list");
    expect(r.code).toBe(1);
    // Before the disallowed date it is a warning.
    const early = JSON.parse((await cli(["check", file, "--json"], { now: Date.UTC(2025, 0, 1) })).stdout);
    expect(early.findings.find((f: { code: string }) => f.code === "SST_DISTRUSTED").severity).toBe(
      "warning",
    );
  });

  it("build says what it drops when it rewrites such a store", async () => {
    const out = join(dir, "rebuilt.sst");
    const r = await cli(["build", file, "-o", out], { now: NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: 'Distrusted Root CA' (${s.distrusted.cert.sha1}) is marked distrusted in ${file}#1 (Windows trusts it for nothing after 2025-09-15 (property 104)); the new list leaves those properties out`,
    );
    expect(r.stderr).toContain(
      `warning: 'Partly Distrusted Root CA' (${s.partial.cert.sha1}) is marked distrusted`,
    );
    expect(r.stderr).toContain(
      "note: left out the Windows properties of 3 certificates read from .sst files (id 11 x1, id 83 x1, id 104 x2, id 126 x2, id 127 x1)",
    );
    const rebuilt = readSst(readFileSync(out));
    for (const e of rebuilt.elements) expect(e.properties.map((p) => p.id)).toEqual([PROP.sha1Hash]);
  });
});

describe("--profile exchange: RSA keys under 1024 bits are errors", () => {
  it("a 768-bit RSA signing certificate is a warning in the standard profile and an error in the Exchange one", async () => {
    const dir = tmp("smimetrust-rsa-");
    const r = root("CN=Key Size Root", {
      now: NOW,
      days: 3000,
      key: makeKey({ type: "rsa", bits: 2048 }, "ks-root"),
    });
    const ca = intermediate("CN=Key Size CA", r, { now: NOW, days: 2000 });
    const small = leaf("small@contoso.com", ca, {
      now: NOW,
      days: 300,
      key: makeKey({ type: "rsa", bits: 768 }, "ks-768"),
    });
    write(dir, "root.pem", r.pem);
    write(dir, "ca.pem", ca.pem);
    write(dir, "leaf.pem", small.pem);
    const at = new Date(NOW).toISOString();
    const args = [
      "chain",
      join(dir, "leaf.pem"),
      "--trust",
      join(dir, "root.pem"),
      "--untrusted",
      join(dir, "ca.pem"),
      "--at",
      at,
      "--json",
    ];
    const weak = (doc: { path: { problems: { code: string; severity: string; message: string }[] }[] }) =>
      doc.path.flatMap((p) => p.problems).find((p) => p.code === "WEAK_KEY");
    const std = JSON.parse((await cli(args, { now: NOW })).stdout);
    expect(weak(std)?.severity).toBe("warning");
    const ex = await cli([...args, "--profile", "exchange"], { now: NOW });
    const doc = JSON.parse(ex.stdout);
    expect(weak(doc)?.severity).toBe("error");
    expect(weak(doc)?.message).toContain("RSA 768");
    expect(weak(doc)?.message).toContain("Windows refuses keys under 1024 bits");
    expect(doc.verdict).toBe("invalid");
  });
});

describe("the real Windows Update root store (shared/fixtures/sst)", () => {
  it("inspect marks exactly the certificates whose 104 or 126 carries a date, and reads every 127 purpose list", async () => {
    const file = resolve(FIXTURES, "GeekDuanLian_windows-cert-sync_root.sst");
    const els = readSst(fixture("GeekDuanLian_windows-cert-sync_root.sst")).elements;
    const dated = (e: (typeof els)[number], id: number) =>
      e.properties.some((p) => p.id === id && p.value.length === 8);
    const expected = els.filter((e) => dated(e, 104) || dated(e, 126)).map((e) => e.properties);
    expect(expected.length).toBeGreaterThan(200);
    const r = await cli(["inspect", file, "--json"], { now: NOW });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      sha1: string;
      distrust?: { disallowedAfter: string | null; notBeforeEku: string[] | null };
    }[];
    expect(doc.filter((c) => c.distrust)).toHaveLength(expected.length);
    // Every certificate with a non-empty 127 next to a dated 126 has its purposes read.
    const withEku = els.filter(
      (e) => dated(e, 126) && e.properties.some((p) => p.id === 127 && p.value.length > 0),
    );
    expect(doc.filter((c) => c.distrust?.notBeforeEku?.length)).toHaveLength(withEku.length);
    expect(doc.some((c) => c.distrust?.disallowedAfter === "2025-09-15T00:00:00.000Z")).toBe(true);
  });
});
