/** checkRevocation over given CRLs (no network): RFC 5280 6.3 cases built with the test PKI. */
import { describe, expect, it } from "vitest";
import { createHttpFetcher } from "../../src/io/http-fetcher.js";
import { TAG, tlv } from "../../src/lib/der.js";
import { checkRevocation, type RevocationContext } from "../../src/revocation/check.js";
import { parseCrl } from "../../src/revocation/crl.js";
import type { Certificate } from "../../src/x509/certificate.js";
import {
  crl,
  crlDistributionPoints,
  ext,
  type Issued,
  idp,
  intermediate,
  issue,
  leaf,
  makeKey,
  root,
} from "../helpers/pki.js";

const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 10, 12);
const URL_A = "http://crl.example.test/a.crl";
const URL_B = "http://crl.example.test/b.crl";

const rootCA = root("CN=Rev Root,O=Test", { now: T });
const ca = intermediate("CN=Rev CA,O=Test", rootCA, { now: T });
const withCdp = (email: string, issuer: Issued = ca, more: Parameters<typeof leaf>[2] = {}) =>
  leaf(email, issuer, { now: T, extensions: [ext.crlDistributionPoint(URL_A)], ...more });
const user = withCdp("alice@example.test");

interface Calls {
  validated: Certificate[];
}

function ctxWith(
  crls: Uint8Array[],
  opts: { pool?: Issued[]; validate?: boolean; calls?: Calls } = {},
): RevocationContext {
  const pool = [rootCA, ca, ...(opts.pool ?? [])].map((i) => i.cert);
  return {
    time: T,
    crls: crls.map((c) => parseCrl(c)),
    online: false,
    candidateSigners: (key) => pool.filter((c) => c.subject.key === key),
    async validateSigner(c) {
      opts.calls?.validated.push(c);
      return opts.validate ?? true;
    },
  };
}

const check = (subject: Issued, issuer: Issued, ctx: RevocationContext) =>
  checkRevocation(subject.cert, issuer.cert, [subject.cert, issuer.cert, rootCA.cert], 0, ctx);

const cur = { thisUpdate: T - DAY, nextUpdate: T + 7 * DAY };

describe("checkRevocation with CRLs", () => {
  it("good when the issuer's current CRL does not list the certificate", async () => {
    const r = await check(
      user,
      ca,
      ctxWith([crl({ issuer: ca, ...cur, revoked: [{ serial: Uint8Array.of(1), reason: 1 }] })]),
    );
    expect(r).toEqual({ status: "good", problems: [] });
  });

  it("revoked, with date and reason, when listed", async () => {
    const when = Date.UTC(2026, 0, 5, 8, 30);
    const r = await check(
      user,
      ca,
      ctxWith([
        crl({ issuer: ca, ...cur, revoked: [{ serial: user.cert.serialNumber, date: when, reason: 1 }] }),
      ]),
    );
    expect(r.status).toBe("revoked");
    expect(r.problems.map((p) => [p.code, p.severity, p.cert])).toEqual([
      ["CERT_REVOKED", "error", user.cert.sha1],
    ]);
    expect(r.problems[0].message).toContain("2026-01-05T08:30:00Z");
    expect(r.problems[0].message).toContain("keyCompromise");
  });

  it("matches serials with a leading zero octet", async () => {
    const hi = withCdp("hi@example.test", ca, { serial: Uint8Array.of(0x80, 1, 2) });
    expect(hi.cert.serialNumber[0]).toBe(0);
    const r = await check(
      hi,
      ca,
      ctxWith([crl({ issuer: ca, ...cur, revoked: [{ serial: hi.cert.serialNumber }] })]),
    );
    expect(r.status).toBe("revoked");
  });

  it("unknown (a warning) when the CRL is stale", async () => {
    const stale = await check(
      user,
      ca,
      ctxWith([crl({ issuer: ca, thisUpdate: T - 10 * DAY, nextUpdate: T - DAY })]),
    );
    expect(stale.status).toBe("unknown");
    expect(stale.problems.map((p) => [p.code, p.severity])).toEqual([["REVOCATION_UNKNOWN", "warning"]]);
    expect(stale.problems[0].message).toContain("stale");
  });

  it("uses a CRL issued after the validation time (historical validation)", async () => {
    const later = crl({ issuer: ca, thisUpdate: T + DAY, nextUpdate: T + 9 * DAY });
    expect((await check(user, ca, ctxWith([later]))).status).toBe("good");
    const revokedLater = crl({
      issuer: ca,
      thisUpdate: T + DAY,
      nextUpdate: T + 9 * DAY,
      revoked: [{ serial: user.cert.serialNumber, date: T + DAY, reason: 1 }],
    });
    const r = await check(user, ca, ctxWith([revokedLater]));
    expect(r.status).toBe("revoked");
    expect(r.problems[0].message).toContain("after the validation time");
  });

  it("accepts a CRL without nextUpdate", async () => {
    const r = await check(user, ca, ctxWith([crl({ issuer: ca, thisUpdate: T - DAY, nextUpdate: null })]));
    expect(r.status).toBe("good");
  });

  it("prefers nothing stale: a current CRL beside a stale one decides", async () => {
    const stale = crl({ issuer: ca, thisUpdate: T - 10 * DAY, nextUpdate: T - DAY });
    const r = await check(user, ca, ctxWith([stale, crl({ issuer: ca, ...cur })]));
    expect(r.status).toBe("good");
  });

  it("unknown when the CRL is signed by the wrong key", async () => {
    const r = await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, signKey: makeKey() })]));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].message).toContain("signature does not verify");
  });

  it("unknown when the CRL's signer lacks cRLSign", async () => {
    const noCrlSign = intermediate("CN=No CRLSign CA,O=Test", rootCA, { now: T, keyUsage: [5] });
    const u = withCdp("bob@example.test", noCrlSign);
    const r = await check(u, noCrlSign, ctxWith([crl({ issuer: noCrlSign, ...cur })], { pool: [noCrlSign] }));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].message).toContain("cRLSign");
  });

  it("unknown when only another CA's CRL is given", async () => {
    const r = await check(user, ca, ctxWith([crl({ issuer: rootCA, ...cur })]));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].message).toContain("no CRL covers");
  });

  it("checks the issuing distribution point against the certificate's", async () => {
    const other = await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ uri: URL_B }) })]));
    expect(other.status).toBe("unknown");
    const same = await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ uri: URL_A }) })]));
    expect(same.status).toBe("good");
    const noCdp = leaf("nocdp@example.test", ca, { now: T });
    const scoped = await check(noCdp, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ uri: URL_A }) })]));
    expect(scoped.status).toBe("unknown");
  });

  it("honours onlyContainsUserCerts / onlyContainsCACerts / onlyContainsAttributeCerts", async () => {
    expect(
      (await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ onlyCA: true }) })]))).status,
    ).toBe("unknown");
    expect(
      (await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ onlyUser: true }) })]))).status,
    ).toBe("good");
    expect(
      (await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, idp: idp({ onlyAttr: true }) })]))).status,
    ).toBe("unknown");
    // The CA itself, against the root's CA-only CRL.
    const r = await checkRevocation(
      ca.cert,
      rootCA.cert,
      [ca.cert, rootCA.cert],
      0,
      ctxWith([crl({ issuer: rootCA, ...cur, idp: idp({ onlyCA: true }) })]),
    );
    expect(r.status).toBe("good");
  });

  it("accumulates onlySomeReasons until every reason is covered", async () => {
    const compromise = crl({ issuer: ca, ...cur, crlNumber: 1, idp: idp({ onlySomeReasons: [1, 2] }) });
    const others = crl({
      issuer: ca,
      ...cur,
      crlNumber: 2,
      idp: idp({ onlySomeReasons: [3, 4, 5, 6, 7, 8] }),
    });
    expect((await check(user, ca, ctxWith([compromise]))).status).toBe("unknown");
    expect((await check(user, ca, ctxWith([compromise, others]))).status).toBe("good");
    const listed = crl({
      issuer: ca,
      ...cur,
      crlNumber: 3,
      idp: idp({ onlySomeReasons: [3, 4, 5, 6, 7, 8] }),
      revoked: [{ serial: user.cert.serialNumber, reason: 4 }],
    });
    expect((await check(user, ca, ctxWith([compromise, listed]))).status).toBe("revoked");
  });

  it("applies a delta CRL to its base", async () => {
    const base = crl({
      issuer: ca,
      ...cur,
      crlNumber: 1,
      revoked: [{ serial: Uint8Array.of(0x33), reason: 6 }],
    });
    const delta = crl({
      issuer: ca,
      ...cur,
      crlNumber: 2,
      deltaBase: 1,
      revoked: [{ serial: user.cert.serialNumber, reason: 1 }],
    });
    const r = await check(user, ca, ctxWith([base, delta]));
    expect(r.status).toBe("revoked");
    expect(r.problems[0].message).toContain("delta CRL");
    // A delta alone is not enough.
    expect((await check(user, ca, ctxWith([delta]))).status).toBe("unknown");
    // A delta for a newer base does not apply.
    const newer = crl({
      issuer: ca,
      ...cur,
      crlNumber: 5,
      deltaBase: 3,
      revoked: [{ serial: user.cert.serialNumber, reason: 1 }],
    });
    expect((await check(user, ca, ctxWith([base, newer]))).status).toBe("good");
  });

  it("removeFromCRL in a delta releases a certificate on hold", async () => {
    const held = crl({
      issuer: ca,
      ...cur,
      crlNumber: 1,
      revoked: [{ serial: user.cert.serialNumber, reason: 6 }],
    });
    expect((await check(user, ca, ctxWith([held]))).status).toBe("revoked");
    const release = crl({
      issuer: ca,
      ...cur,
      crlNumber: 2,
      deltaBase: 1,
      revoked: [{ serial: user.cert.serialNumber, reason: 8 }],
    });
    expect((await check(user, ca, ctxWith([held, release]))).status).toBe("good");
  });

  it("uses indirect CRLs from the distribution point's cRLIssuer, entries by certificateIssuer", async () => {
    const crlIssuer = intermediate("CN=Rev CRL Issuer,O=Test", rootCA, { now: T, keyUsage: [6] });
    const u = leaf("ind@example.test", ca, {
      now: T,
      extensions: [crlDistributionPoints([{ uri: URL_A, crlIssuer: crlIssuer.cert.subject.der }])],
    });
    const list = (revoked: Parameters<typeof crl>[0]["revoked"]) =>
      crl({ issuer: crlIssuer, ...cur, idp: idp({ uri: URL_A, indirect: true }), revoked });
    const calls: Calls = { validated: [] };
    // An entry of the CRL issuer's own certificates (no certificateIssuer) does not match.
    const own = await check(
      u,
      ca,
      ctxWith([list([{ serial: u.cert.serialNumber }])], { pool: [crlIssuer], calls }),
    );
    expect(own.status).toBe("good");
    expect(calls.validated.map((c) => c.sha1)).toEqual([crlIssuer.cert.sha1]);
    // certificateIssuer carries over from a previous entry.
    const entries = [
      { serial: Uint8Array.of(9), certificateIssuer: ca.cert.subject.der },
      { serial: u.cert.serialNumber },
    ];
    expect((await check(u, ca, ctxWith([list(entries)], { pool: [crlIssuer] }))).status).toBe("revoked");
    // The signer's own path must validate.
    expect((await check(u, ca, ctxWith([list([])], { pool: [crlIssuer], validate: false }))).status).toBe(
      "unknown",
    );
    // Without indirectCRL in the IDP the CRL is not the cRLIssuer's for this certificate.
    const direct = crl({ issuer: crlIssuer, ...cur, idp: idp({ uri: URL_A }) });
    expect((await check(u, ca, ctxWith([direct], { pool: [crlIssuer] }))).status).toBe("unknown");
  });

  it("accepts a separate CRL-signing key of the same CA whose path validates", async () => {
    const crlKey = makeKey();
    const signerCert = issue({
      subject: "CN=Rev CA,O=Test",
      issuer: rootCA,
      key: crlKey,
      ca: false,
      keyUsage: [6],
      now: T,
    });
    const list = crl({ issuer: ca, ...cur, signKey: crlKey, akiKeyId: signerCert.ski });
    const calls: Calls = { validated: [] };
    const r = await check(user, ca, ctxWith([list], { pool: [signerCert], calls }));
    expect(r.status).toBe("good");
    expect(calls.validated.map((c) => c.sha1)).toEqual([signerCert.cert.sha1]);
    expect((await check(user, ca, ctxWith([list], { pool: [signerCert], validate: false }))).status).toBe(
      "unknown",
    );
  });

  it("refuses CRLs with unknown critical extensions (CRL or entry), accepts non-critical ones", async () => {
    const unknownExt = (critical: boolean) => ({ oid: "1.2.3.4.5", critical, value: tlv(TAG.NULL) });
    expect(
      (await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, extensions: [unknownExt(true)] })]))).status,
    ).toBe("unknown");
    expect(
      (await check(user, ca, ctxWith([crl({ issuer: ca, ...cur, extensions: [unknownExt(false)] })]))).status,
    ).toBe("good");
    const entryCrit = crl({
      issuer: ca,
      ...cur,
      revoked: [{ serial: Uint8Array.of(7), extensions: [unknownExt(true)] }],
    });
    const r = await check(user, ca, ctxWith([entryCrit]));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].message).toContain("unknown critical");
  });

  it("explains LDAP-only distribution points (Active Directory CAs)", async () => {
    const ldap = leaf("ldap@example.test", ca, {
      now: T,
      extensions: [
        crlDistributionPoints([
          { uri: "ldap:///CN=Rev%20CA,CN=CDP,DC=contoso,DC=com?certificateRevocationList" },
        ]),
      ],
    });
    for (const online of [false, true]) {
      const r = await check(ldap, ca, {
        ...ctxWith([]),
        online,
        fetcher: createHttpFetcher(),
      });
      expect(r.status).toBe("unknown");
      expect(r.problems[0].message).toContain("not HTTP (ldap:///CN=Rev%20CA");
    }
  });

  it("says how to get revocation information when offline", async () => {
    const r = await check(user, ca, ctxWith([]));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].code).toBe("REVOCATION_UNKNOWN");
    expect(r.problems[0].message).toContain("--online");
  });
});
