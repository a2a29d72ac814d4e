import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OID } from "../../src/lib/oids.js";
import { intermediate, leaf, makeKey, root } from "./pki.js";

describe("test certificate factory", () => {
  it("makes chains that openssl verifies", () => {
    const r = root("CN=Factory Root,O=Test,C=GB", { key: makeKey({ type: "rsa", bits: 2048 }, "root") });
    const i = intermediate("CN=Factory Issuing CA,O=Test,C=GB", r);
    const l = leaf("alice@example.com", i);
    expect(r.cert.isSelfSigned).toBe(true);
    expect(r.cert.role).toBe("root");
    expect(i.cert.role).toBe("intermediate");
    expect(l.cert.role).toBe("leaf");
    expect(l.cert.emails).toEqual(["alice@example.com"]);
    expect(l.cert.extKeyUsage).toEqual([OID.emailProtection]);
    expect(l.cert.isSignedBy(i.cert)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "pki-"));
    writeFileSync(join(dir, "r.pem"), r.pem);
    writeFileSync(join(dir, "i.pem"), i.pem);
    writeFileSync(join(dir, "l.pem"), l.pem);
    const out = execFileSync(
      "openssl",
      [
        "verify",
        "-CAfile",
        join(dir, "r.pem"),
        "-untrusted",
        join(dir, "i.pem"),
        "-purpose",
        "smimesign",
        join(dir, "l.pem"),
      ],
      { encoding: "utf8" },
    );
    expect(out.trim()).toBe(`${join(dir, "l.pem")}: OK`);
  });
});
