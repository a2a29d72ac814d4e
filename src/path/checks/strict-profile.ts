/**
 * With `strict`: the RFC 5280 section 4 MUSTs on certificates that the validation algorithm itself does not
 * need (serial numbers, key identifiers, criticality of AKI/SKI/AIA/policyConstraints, empty names, SAN
 * syntax, keyCertSign outside CAs), as strict clients (webpki, x509-limbo) enforce them.
 */
import { OID } from "../../lib/oids.js";
import { validDnsName, validEmail } from "../name-constraints.js";
import { type Check, collector } from "./types.js";

/** Extensions RFC 5280 says conforming CAs MUST mark non-critical. */
const MUST_BE_NONCRITICAL: [string, string][] = [
  [OID.authorityKeyIdentifier, "authorityKeyIdentifier is critical"],
  [OID.subjectKeyIdentifier, "subjectKeyIdentifier is critical"],
  [OID.authorityInfoAccess, "authorityInfoAccess is critical"],
];

export const strictProfile: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  if (!state.profile.strict) return problems;
  const fail = (detail: string) => add("NONCONFORMING_CERT", { detail });
  for (const [oid, why] of MUST_BE_NONCRITICAL) if (c.extension(oid)?.critical) fail(why);
  if (!pos.isAnchor) {
    const s = c.serialNumber;
    if (s.length > 20) fail("serial number longer than 20 octets");
    else if (s[0] & 0x80) fail("negative serial number");
    else if (s.every((b) => b === 0)) fail("serial number zero");
  }
  if (c.issuer.isEmpty) fail("empty issuer name");
  if (c.subject.isEmpty) {
    if (pos.isIssuer || c.isCA) fail("a CA with an empty subject name");
    else if (!c.extension(OID.subjectAltName)) fail("empty subject name and no subjectAltName");
    else if (!c.extension(OID.subjectAltName)?.critical)
      fail("empty subject name with a non-critical subjectAltName");
  }
  // A trust anchor is a name and a key (RFC 5280 6.1.1 (d)); its own AKI is not needed to build to it.
  if (!pos.isAnchor && !c.isSelfSigned && c.authorityKeyIdentifier?.keyId === undefined)
    fail("no authorityKeyIdentifier keyIdentifier");
  else if (
    pos.isAnchor &&
    state.profile.pedantic &&
    !c.isSelfIssued &&
    c.authorityKeyIdentifier?.keyId === undefined
  )
    fail("a trust anchor certified by another CA without authorityKeyIdentifier keyIdentifier");
  if (c.isCA && c.subjectKeyIdentifier === undefined) fail("a CA without subjectKeyIdentifier");
  const pc = c.extension(OID.policyConstraints);
  if (pc && !pc.critical) fail("policyConstraints is not critical");
  const san = c.subjectAltName;
  if (san) {
    if (san.length === 0) fail("empty subjectAltName");
    for (const g of san) {
      if (g.type === "dns" && !validDnsName(g.value)) fail(`invalid DNS name '${g.value}' in subjectAltName`);
      else if (g.type === "email" && !validEmail(g.value))
        fail(`invalid e-mail address '${g.value}' in subjectAltName`);
      else if (g.type === "ip" && g.value.length !== 4 && g.value.length !== 16)
        fail("invalid IP address in subjectAltName");
    }
  }
  if (pos.isLeaf && !c.isCA && c.keyUsage?.includes(5))
    add("KEY_USAGE", { detail: "keyCertSign in a certificate that is not a CA" });
  return problems;
};
