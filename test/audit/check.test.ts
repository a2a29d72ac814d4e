import { describe, expect, it } from "vitest";
import { auditTrustList, sstSizeOf } from "../../src/audit/check.js";
import { TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import type { Problem } from "../../src/problems.js";
import { intermediate, leaf, makeKey, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const rsa2048 = () => makeKey({ type: "rsa", bits: 2048 }, "audit-rsa");

function codes(findings: Problem[]): string[] {
  return findings.map((f) => `${f.code}:${f.cert ?? "-"}`);
}

describe("auditTrustList", () => {
  it("a clean root and its intermediate draw no finding at all", () => {
    const r = root("CN=Clean Root,O=Test,C=GB", { now: NOW, key: rsa2048() });
    const i = intermediate("CN=Clean Issuing CA,O=Test,C=GB", r, {
      now: NOW,
      eku: [OID.emailProtection, OID.clientAuth],
    });
    expect(auditTrustList([r.cert, i.cert], { now: NOW })).toEqual([]);
  });

  it("expired: TRUST_EXPIRED, an error that says Exchange refuses the upload", () => {
    const r = root("CN=Old Root", { now: NOW, notBefore: NOW - 400 * DAY, notAfter: NOW - 3 * DAY });
    const f = auditTrustList([r.cert], { now: NOW });
    expect(codes(f)).toEqual([`TRUST_EXPIRED:${r.cert.sha1}`]);
    expect(f[0].severity).toBe("error");
    expect(f[0].message).toMatch(/Exchange refuses an upload/);
    expect(f[0].message).toContain(new Date(NOW - 3 * DAY).toISOString().slice(0, 10));
  });

  it("expiring within the window: TRUST_EXPIRING with the days left; outside the window: nothing", () => {
    const r = root("CN=Soon Root", { now: NOW, notAfter: NOW + 10 * DAY + 3600_000 });
    const f = auditTrustList([r.cert], { now: NOW });
    expect(codes(f)).toEqual([`TRUST_EXPIRING:${r.cert.sha1}`]);
    expect(f[0].severity).toBe("warning");
    expect(f[0].message).toContain("(10 days left)");
    expect(auditTrustList([r.cert], { now: NOW, warnDays: 9 })).toEqual([]);
  });

  it("not yet valid: TRUST_NOT_YET_VALID", () => {
    const r = root("CN=Future Root", { now: NOW, notBefore: NOW + 5 * DAY, notAfter: NOW + 900 * DAY });
    expect(codes(auditTrustList([r.cert], { now: NOW }))).toEqual([`TRUST_NOT_YET_VALID:${r.cert.sha1}`]);
  });

  it("the same certificate twice: one DUPLICATE with the count", () => {
    const r = root("CN=Twice Root", { now: NOW });
    const f = auditTrustList([r.cert, r.cert, r.cert], { now: NOW });
    expect(codes(f)).toEqual([`DUPLICATE:${r.cert.sha1}`]);
    expect(f[0].message).toContain("3 times");
  });

  it("a user certificate inside the list: NOT_A_CA naming it", () => {
    const r = root("CN=Root For Leaf", { now: NOW });
    const l = leaf("alice@example.com", r, { now: NOW });
    const f = auditTrustList([r.cert, l.cert], { now: NOW });
    expect(codes(f)).toEqual([`NOT_A_CA:${l.cert.sha1}`]);
    expect(f[0].message).toContain("alice@example.com");
  });

  it("an intermediate whose issuer is absent: MISSING_ISSUER naming the intermediate and the issuer", () => {
    const r = root("CN=Absent Root", { now: NOW });
    const i = intermediate("CN=Orphan CA", r, { now: NOW });
    const f = auditTrustList([i.cert], { now: NOW });
    expect(codes(f)).toEqual([`MISSING_ISSUER:${i.cert.sha1}`]);
    expect(f[0].message).toContain("'Absent Root'");
    expect(f[0].severity).toBe("error");
  });

  it("an issuer with the right name and the wrong key: MISSING_ISSUER that says so", () => {
    const real = root("CN=Rekeyed Root", { now: NOW });
    const impostor = root("CN=Rekeyed Root", { now: NOW });
    const i = intermediate("CN=Issued By Old Key", real, { now: NOW });
    const f = auditTrustList([impostor.cert, i.cert], { now: NOW });
    expect(codes(f)).toEqual([`MISSING_ISSUER:${i.cert.sha1}`]);
    expect(f[0].message).toContain(
      `thumbprint ${impostor.cert.sha1}) in the list has that name, but a different key: it did not sign`,
    );
  });

  it("a list larger than 70,000 bytes as .sst: SST_TOO_LARGE with the size", () => {
    const big = root("CN=Big Root", {
      now: NOW,
      extensions: [{ oid: "1.3.6.1.4.1.99999.1", value: tlv(TAG.OCTET_STRING, new Uint8Array(70_100)) }],
    });
    const size = sstSizeOf([big.cert]);
    expect(size).toBeGreaterThan(70_000);
    const f = auditTrustList([big.cert], { now: NOW });
    expect(codes(f)).toEqual(["SST_TOO_LARGE:-"]);
    expect(f[0].message).toContain(`${size} bytes`);
    // The size of the file as given wins over the computed one.
    expect(auditTrustList([big.cert], { now: NOW, sstBytes: 69_000 })).toEqual([]);
    const small = root("CN=Small Root", { now: NOW });
    expect(codes(auditTrustList([small.cert], { now: NOW, sstBytes: 70_001 }))).toEqual(["SST_TOO_LARGE:-"]);
  });

  it("a SHA-1-signed intermediate: WEAK_ALGORITHM; a SHA-1 self-signed root: nothing (its signature protects nothing)", () => {
    const r = root("CN=Sha1 Root", { now: NOW, hash: "sha1" });
    const i = intermediate("CN=Sha1 Issuing CA", r, { now: NOW, hash: "sha1" });
    const f = auditTrustList([r.cert, i.cert], { now: NOW });
    expect(codes(f)).toEqual([`WEAK_ALGORITHM:${i.cert.sha1}`]);
    expect(f[0].message).toContain("SHA1");
  });

  it("an RSA-1024 CA: WEAK_KEY; EC P-256 and RSA 2048 are fine", () => {
    const r = root("CN=Small Key Root", {
      now: NOW,
      key: makeKey({ type: "rsa", bits: 1024 }, "audit-1024"),
    });
    const f = auditTrustList([r.cert], { now: NOW });
    expect(codes(f)).toEqual([`WEAK_KEY:${r.cert.sha1}`]);
    expect(f[0].message).toContain("RSA 1024");
  });

  it("a TLS-only CA: NO_EMAIL_PROTECTION; anyExtendedKeyUsage is fine", () => {
    const r = root("CN=Mixed Root", { now: NOW });
    const tls = intermediate("CN=TLS Only CA", r, { now: NOW, eku: [OID.serverAuth, OID.clientAuth] });
    const any = intermediate("CN=Any CA", r, { now: NOW, eku: [OID.anyExtendedKeyUsage] });
    const f = auditTrustList([r.cert, tls.cert, any.cert], { now: NOW });
    expect(codes(f)).toEqual([`NO_EMAIL_PROTECTION:${tls.cert.sha1}`]);
    expect(f[0].message).toContain("serverAuth, clientAuth");
  });

  it("an older certificate with the same subject and key as a newer one: SUPERSEDED on the older", () => {
    const key = makeKey({ type: "ec" });
    const older = root("CN=Renewed Root", {
      now: NOW,
      key,
      notBefore: NOW - 800 * DAY,
      notAfter: NOW + 200 * DAY,
    });
    const newer = root("CN=Renewed Root", {
      now: NOW,
      key,
      notBefore: NOW - 10 * DAY,
      notAfter: NOW + 3000 * DAY,
    });
    const f = auditTrustList([newer.cert, older.cert], { now: NOW });
    expect(codes(f)).toEqual([`SUPERSEDED:${older.cert.sha1}`]);
    expect(f[0].severity).toBe("info");
    expect(f[0].message).toContain(newer.cert.sha1);
  });

  it("orders findings by severity, errors first", () => {
    const expired = root("CN=E", { now: NOW, notBefore: NOW - 10 * DAY, notAfter: NOW - DAY });
    const dup = root("CN=D", { now: NOW });
    const f = auditTrustList([dup.cert, dup.cert, expired.cert], { now: NOW });
    expect(f.map((x) => x.severity)).toEqual(["error", "warning"]);
  });
});
