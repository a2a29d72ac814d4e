/** The README's Quick start: `smimetrust build examples/certs -o trust.sst` works on the bundled certificates. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSst, sstCertificates } from "../../src/formats/sst.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { opensslSha1, tempDir } from "../certs/openssl.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";

const t = tempDir("smimetrust-examples-");
afterAll(() => t.cleanup());

const CONTOSO_ROOT = "9B9D5243F619F1C1C109D2CC3FB54E56F46C00CE";
const CONTOSO_ISSUING = "4328CF7C6077B28FFEFDF1269F755D5E5FAB907E";
const FABRIKAM_ROOT = "F43BE645DF6956A49B428845894F327A88618D3F";
const FABRIKAM_SMIME = "427393149CE7F426DAC348121BB04E2AB0699048";
const ADELE = "1A93500C433A5302F0141414D09766EB5F24110F";

describe("examples/certs", () => {
  it("holds public certificates only (no private keys)", () => {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(resolve(d, e.name)) : [resolve(d, e.name)],
      );
    for (const f of walk(resolve(REPO_ROOT, "examples/certs")))
      expect(readFileSync(f, "latin1"), f).not.toMatch(/PRIVATE KEY/);
  });

  it("builds into an .sst of the four CA certificates, roots first, the user certificate left out", async () => {
    const out = t.path("trust.sst");
    const r = await cli(["build", resolve(REPO_ROOT, "examples/certs"), "-o", out], {
      now: Date.UTC(2026, 10, 28),
    });
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const ders = sstCertificates(readSst(readFileSync(out))).map((e) => e.value);
    expect(ders.map((d) => hexUpper(digest("sha1", d)))).toEqual([
      CONTOSO_ROOT,
      CONTOSO_ISSUING,
      FABRIKAM_ROOT,
      FABRIKAM_SMIME,
    ]);
    expect(ders.map((d) => opensslSha1(d, "DER"))).toEqual([
      CONTOSO_ROOT,
      CONTOSO_ISSUING,
      FABRIKAM_ROOT,
      FABRIKAM_SMIME,
    ]);
    expect(r.stderr).toBe(`warning: left out 'Adele Vance' (${ADELE}): not a CA certificate\n`);
    expect(r.stdout).toContain(`thumbprint ${FABRIKAM_SMIME}`);
    expect(r.stdout).toContain("earliest expiry: 2034-06-01T00:00:00Z");
  });
});
