/**
 * Name constraints of every kind issue 3 names (rfc822Name, directoryName, dNSName, iPAddress, URI),
 * permitted and excluded, through validateChain: a CA with the constraint, a leaf with the names.
 */
import { describe, expect, it } from "vitest";
import { TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import type { ChainResult } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { type ExtensionSpec, encodeName, intermediate, issue, root } from "../helpers/pki.js";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };

/** A GeneralName, DER. */
const gn = {
  email: (s: string) => tlv(0x81, Buffer.from(s)),
  dns: (s: string) => tlv(0x82, Buffer.from(s)),
  dn: (s: string) => tlv(0xa4, encodeName(s)),
  uri: (s: string) => tlv(0x86, Buffer.from(s)),
  ip: (...bytes: number[]) => tlv(0x87, Uint8Array.from(bytes)),
};

function nc(permitted: Uint8Array[], excluded: Uint8Array[] = []): ExtensionSpec {
  const subtrees = (names: Uint8Array[]) => names.map((n) => tlv(TAG.SEQUENCE, n));
  const parts: Uint8Array[] = [];
  if (permitted.length) parts.push(tlv(0xa0, ...subtrees(permitted)));
  if (excluded.length) parts.push(tlv(0xa1, ...subtrees(excluded)));
  return { oid: OID.nameConstraints, critical: true, value: tlv(TAG.SEQUENCE, ...parts) };
}

const r = root("CN=NC Kinds Root", at);
const trust = new TrustList([r.cert]);

async function check(constraint: ExtensionSpec, subject: string, san: Uint8Array[]): Promise<ChainResult> {
  const ca = intermediate("CN=Constrained CA", r, { ...at, extensions: [constraint] });
  const l = issue({
    subject,
    issuer: ca,
    eku: [OID.emailProtection],
    extensions: san.length ? [{ oid: OID.subjectAltName, value: tlv(TAG.SEQUENCE, ...san) }] : [],
    ...at,
  });
  return validateChain(l.cert, trust, {
    time: NOW,
    checkRevocation: false,
    untrusted: [{ cert: ca.cert, source: "message" }],
  });
}

const verdictOf = (res: ChainResult) =>
  res.verdict === "valid" ? "valid" : res.problems.map((p) => p.code).join(",");

type Row = [string, ExtensionSpec, string, Uint8Array[], "valid" | "NAME_CONSTRAINTS"];

const ROWS: Row[] = [
  // rfc822Name
  [
    "rfc822 host permits its mailboxes",
    nc([gn.email("contoso.com")]),
    "CN=a",
    [gn.email("a@contoso.com")],
    "valid",
  ],
  [
    "rfc822 host is case-insensitive",
    nc([gn.email("contoso.com")]),
    "CN=a",
    [gn.email("a@CONTOSO.com")],
    "valid",
  ],
  [
    "rfc822 host does not permit subdomains",
    nc([gn.email("contoso.com")]),
    "CN=a",
    [gn.email("a@eu.contoso.com")],
    "NAME_CONSTRAINTS",
  ],
  [
    "rfc822 .domain permits subdomains",
    nc([gn.email(".contoso.com")]),
    "CN=a",
    [gn.email("a@eu.contoso.com")],
    "valid",
  ],
  [
    "rfc822 .domain does not permit the domain itself",
    nc([gn.email(".contoso.com")]),
    "CN=a",
    [gn.email("a@contoso.com")],
    "NAME_CONSTRAINTS",
  ],
  [
    "rfc822 mailbox permits exactly it",
    nc([gn.email("ceo@contoso.com")]),
    "CN=a",
    [gn.email("ceo@contoso.com")],
    "valid",
  ],
  [
    "rfc822 mailbox refuses another",
    nc([gn.email("ceo@contoso.com")]),
    "CN=a",
    [gn.email("cfo@contoso.com")],
    "NAME_CONSTRAINTS",
  ],
  [
    "rfc822 excluded",
    nc([], [gn.email("fabrikam.com")]),
    "CN=a",
    [gn.email("x@contoso.com"), gn.email("y@fabrikam.com")],
    "NAME_CONSTRAINTS",
  ],
  [
    "rfc822 applies to the subject's emailAddress too",
    nc([gn.email("contoso.com")]),
    "CN=a,E=a@fabrikam.com",
    [gn.email("a@contoso.com")],
    "NAME_CONSTRAINTS",
  ],
  // dNSName
  [
    "dNS permits the domain and below",
    nc([gn.dns("contoso.com")]),
    "CN=a",
    [gn.dns("contoso.com"), gn.dns("www.contoso.com")],
    "valid",
  ],
  [
    "dNS is label-wise, not a suffix",
    nc([gn.dns("contoso.com")]),
    "CN=a",
    [gn.dns("evilcontoso.com")],
    "NAME_CONSTRAINTS",
  ],
  [
    "dNS excluded",
    nc([], [gn.dns("secret.contoso.com")]),
    "CN=a",
    [gn.dns("x.secret.contoso.com")],
    "NAME_CONSTRAINTS",
  ],
  // directoryName
  [
    "directoryName permits names below it",
    nc([gn.dn("O=Contoso,C=GB")]),
    "CN=Alice,OU=Sales,O=Contoso,C=GB",
    [],
    "valid",
  ],
  [
    "directoryName refuses others",
    nc([gn.dn("O=Contoso,C=GB")]),
    "CN=Mallory,O=Fabrikam,C=GB",
    [],
    "NAME_CONSTRAINTS",
  ],
  [
    "directoryName excluded",
    nc([], [gn.dn("OU=Contractors,O=Contoso,C=GB")]),
    "CN=Bob,OU=Contractors,O=Contoso,C=GB",
    [],
    "NAME_CONSTRAINTS",
  ],
  [
    "directoryName applies to a SAN directoryName",
    nc([gn.dn("O=Contoso,C=GB")]),
    "CN=Alice,O=Contoso,C=GB",
    [gn.dn("CN=Alice,O=Fabrikam,C=GB")],
    "NAME_CONSTRAINTS",
  ],
  // iPAddress (address + mask)
  ["IPv4 permitted subnet", nc([gn.ip(10, 0, 0, 0, 255, 0, 0, 0)]), "CN=a", [gn.ip(10, 1, 2, 3)], "valid"],
  [
    "IPv4 outside the subnet",
    nc([gn.ip(10, 0, 0, 0, 255, 0, 0, 0)]),
    "CN=a",
    [gn.ip(192, 168, 0, 1)],
    "NAME_CONSTRAINTS",
  ],
  [
    "IPv4 excluded subnet",
    nc([gn.ip(10, 0, 0, 0, 255, 0, 0, 0)], [gn.ip(10, 9, 0, 0, 255, 255, 0, 0)]),
    "CN=a",
    [gn.ip(10, 9, 1, 1)],
    "NAME_CONSTRAINTS",
  ],
  [
    "IPv6 permitted 2001:db8::/32",
    nc([
      gn.ip(0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0), 255, 255, 255, 255, ...new Array(12).fill(0)),
    ]),
    "CN=a",
    [gn.ip(0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1)],
    "valid",
  ],
  [
    "an IPv4 address is outside an IPv6-only permitted set",
    nc([
      gn.ip(0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0), 255, 255, 255, 255, ...new Array(12).fill(0)),
    ]),
    "CN=a",
    [gn.ip(10, 0, 0, 1)],
    "NAME_CONSTRAINTS",
  ],
  [
    "a non-contiguous mask is malformed",
    nc([gn.ip(10, 0, 0, 0, 255, 0, 255, 0)]),
    "CN=a",
    [gn.ip(10, 0, 0, 1)],
    "NAME_CONSTRAINTS",
  ],
  // URI (host part against the constraint)
  [
    "URI .domain permits hosts below",
    nc([gn.uri(".contoso.com")]),
    "CN=a",
    [gn.uri("https://www.contoso.com/a")],
    "valid",
  ],
  [
    "URI .domain does not permit the domain itself",
    nc([gn.uri(".contoso.com")]),
    "CN=a",
    [gn.uri("https://contoso.com/a")],
    "NAME_CONSTRAINTS",
  ],
  [
    "URI host permits exactly that host",
    nc([gn.uri("contoso.com")]),
    "CN=a",
    [gn.uri("ldap://contoso.com:389/x")],
    "valid",
  ],
  [
    "URI without a host where URIs are permitted",
    nc([gn.uri("contoso.com")]),
    "CN=a",
    [gn.uri("urn:uuid:1234")],
    "NAME_CONSTRAINTS",
  ],
  [
    "URI excluded",
    nc([], [gn.uri(".fabrikam.com")]),
    "CN=a",
    [gn.uri("http://x.fabrikam.com/")],
    "NAME_CONSTRAINTS",
  ],
  // Kinds are independent: a constraint on one kind does not touch names of another.
  [
    "a dNS constraint leaves e-mail addresses alone",
    nc([gn.dns("contoso.com")]),
    "CN=a",
    [gn.email("a@fabrikam.com")],
    "valid",
  ],
  [
    "an IP constraint leaves DNS names alone",
    nc([gn.ip(10, 0, 0, 0, 255, 0, 0, 0)]),
    "CN=a",
    [gn.dns("fabrikam.com")],
    "valid",
  ],
];

describe("name constraints, every kind, permitted and excluded", () => {
  for (const [label, constraint, subject, san, expected] of ROWS) {
    it(`${label} -> ${expected}`, async () => {
      const res = await check(constraint, subject, san);
      expect(verdictOf(res)).toBe(expected);
      if (expected === "NAME_CONSTRAINTS") expect(res.problems).toHaveLength(1);
    });
  }

  it("constraints of a CA two levels up still apply below an unconstrained CA", async () => {
    const top = intermediate("CN=Top Constrained CA", r, {
      ...at,
      extensions: [nc([gn.email("contoso.com")])],
    });
    const mid = intermediate("CN=Unconstrained Sub CA", top, at);
    const mk = (e: string) =>
      issue({ subject: "CN=z", issuer: mid, eku: [OID.emailProtection], emails: [e], ...at }).cert;
    const o = {
      time: NOW,
      checkRevocation: false,
      untrusted: [top, mid].map((c) => ({ cert: c.cert, source: "message" as const })),
    };
    expect((await validateChain(mk("z@contoso.com"), trust, o)).verdict).toBe("valid");
    const bad = await validateChain(mk("z@fabrikam.com"), trust, o);
    expect(bad.problems.map((p) => p.code)).toEqual(["NAME_CONSTRAINTS"]);
  });
});
