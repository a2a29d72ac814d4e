/**
 * Name constraints (RFC 5280 4.2.1.10, 6.1.3 (b)-(c)): rfc822Name, dNSName, directoryName, iPAddress,
 * URI and otherName subtrees. Each CA's constraints are kept as given and every name below it must satisfy
 * all of them (equivalent to the RFC's intersection of permitted subtrees, as Go and webpki do it).
 * Work is bounded: a certificate whose names times constraints exceed MAX_COMPARISONS is refused, and every
 * comparison is spent from the validation's budget (budget.ts).
 */

import { OID } from "../lib/oids.js";
import type { Certificate } from "../x509/certificate.js";
import type { GeneralSubtree, NameConstraints } from "../x509/extensions.js";
import type { GeneralName } from "../x509/general-name.js";
import type { Name } from "../x509/name.js";
import type { Budget } from "./budget.js";

export const MAX_COMPARISONS = 250_000;

type Kind = "email" | "dns" | "dn" | "ip" | "uri" | "other";

/** A name of the certificate being checked, in the form constraints compare. */
interface SubjectName {
  kind: Kind;
  value: string | Uint8Array | Name;
  /** otherName type-id */
  oid?: string;
  raw?: Uint8Array;
}

/** Checks a constraint set for well-formedness; returns a reason when it is malformed. */
export function malformedConstraints(nc: NameConstraints): string | undefined {
  for (const st of [...(nc.permitted ?? []), ...(nc.excluded ?? [])]) {
    if (st.minimum !== 0 || st.maximum !== undefined) return "minimum/maximum in a subtree";
    const b = st.base;
    switch (b.type) {
      case "dns":
        if (b.value.length > 0 && !validDnsConstraint(b.value)) return `bad dNSName constraint '${b.value}'`;
        break;
      case "ip":
        if (b.value.length !== 8 && b.value.length !== 32) return "iPAddress constraint is not address+mask";
        if (!contiguousMask(b.value.subarray(b.value.length / 2)))
          return "iPAddress constraint mask is not contiguous";
        break;
      case "email":
        if (!validEmailConstraint(b.value)) return `bad rfc822Name constraint '${b.value}'`;
        break;
      default:
        break;
    }
  }
  return undefined;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function validDnsConstraint(s: string): boolean {
  if (s.length > 253) return false;
  return s.split(".").every((l) => LABEL.test(l));
}

/** A dNSName SAN: LDH labels, optionally a leading "*" label. */
export function validDnsName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.split(".");
  for (let i = 0; i < labels.length; i++) {
    if (i === 0 && labels[i] === "*" && labels.length > 1) continue;
    if (!LABEL.test(labels[i])) return false;
  }
  return true;
}

function contiguousMask(m: Uint8Array): boolean {
  let zero = false;
  for (const byte of m) {
    for (let b = 7; b >= 0; b--) {
      const one = (byte >> b) & 1;
      if (one && zero) return false;
      if (!one) zero = true;
    }
  }
  return true;
}

const LOCAL = /^[\x21-\x7e]+$/;

/** An rfc822Name SAN: local@domain, both non-empty, printable, domain LDH. */
export function validEmail(s: string): boolean {
  const at = s.lastIndexOf("@");
  if (at <= 0 || at === s.length - 1) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (!LOCAL.test(local) || local.includes("@")) return false;
  return validDnsConstraint(domain);
}

function validEmailConstraint(s: string): boolean {
  if (s.includes("@")) return validEmail(s);
  const d = s.startsWith(".") ? s.slice(1) : s;
  return d.length > 0 && validDnsConstraint(d);
}

/** The names of `cert` subject to constraints (subject DN, e-mail attributes of the subject, SANs). */
function namesOf(cert: Certificate): SubjectName[] {
  const out: SubjectName[] = [];
  if (!cert.subject.isEmpty) out.push({ kind: "dn", value: cert.subject });
  for (const e of cert.subject.get(OID.emailAddress)) out.push({ kind: "email", value: e });
  for (const g of cert.subjectAltName ?? []) {
    const n = fromGeneralName(g);
    if (n) out.push(n);
  }
  return out;
}

function fromGeneralName(g: GeneralName): SubjectName | undefined {
  switch (g.type) {
    case "email":
      return { kind: "email", value: g.value };
    case "dns":
      return { kind: "dns", value: g.value };
    case "dn":
      return { kind: "dn", value: g.value };
    case "ip":
      return { kind: "ip", value: g.value };
    case "uri":
      return { kind: "uri", value: g.value };
    case "other":
      return { kind: "other", value: g.oid, oid: g.oid, raw: g.raw };
    default:
      return undefined;
  }
}

function kindOf(g: GeneralName): Kind | undefined {
  switch (g.type) {
    case "email":
    case "dns":
    case "dn":
    case "ip":
    case "uri":
    case "other":
      return g.type;
    default:
      return undefined;
  }
}

/**
 * Checks `cert`'s names against each constraint set. Returns undefined when all pass, else a reason.
 * `leaf` tells whether the certificate is the end of the path (self-issued CAs in the middle are exempt,
 * which the caller handles).
 */
export function checkNameConstraints(
  cert: Certificate,
  sets: readonly NameConstraints[],
  budget?: Budget,
): string | undefined {
  if (sets.length === 0) return undefined;
  const names = namesOf(cert);
  let work = 0;
  for (const nc of sets) work += names.length * ((nc.permitted?.length ?? 0) + (nc.excluded?.length ?? 0));
  if (work > MAX_COMPARISONS) return `too many names and constraints to compare (${work})`;
  if (budget && !budget.spend("nameComparisons", work))
    return `the validation's budget of ${budget.limits.nameComparisons} name-constraint comparisons is spent`;
  for (const nc of sets) {
    for (const n of names) {
      if (nc.excluded) {
        for (const st of nc.excluded) {
          if (kindOf(st.base) !== n.kind) continue;
          if (matches(n, st, true)) return `${describe(n)} is in an excluded subtree`;
        }
      }
      if (nc.permitted) {
        let constrained = false;
        let ok = false;
        for (const st of nc.permitted) {
          if (kindOf(st.base) !== n.kind) continue;
          constrained = true;
          if (matches(n, st, false)) {
            ok = true;
            break;
          }
        }
        if (constrained && !ok) return `${describe(n)} is outside the permitted subtrees`;
      }
    }
  }
  return undefined;
}

function describe(n: SubjectName): string {
  switch (n.kind) {
    case "dn":
      return `directory name '${(n.value as Name).toString()}'`;
    case "ip":
      return `IP address ${Array.from(n.value as Uint8Array).join(".")}`;
    case "other":
      return `otherName ${n.oid}`;
    default:
      return `${n.kind === "email" ? "e-mail address" : n.kind === "dns" ? "DNS name" : "URI"} '${String(n.value)}'`;
  }
}

function matches(n: SubjectName, st: GeneralSubtree, excluded: boolean): boolean {
  const b = st.base;
  switch (n.kind) {
    case "dn":
      return (n.value as Name).isWithin((b as { value: Name }).value);
    case "email":
      return emailMatches(n.value as string, (b as { value: string }).value);
    case "dns":
      return dnsMatches(n.value as string, (b as { value: string }).value, excluded);
    case "ip":
      return ipMatches(n.value as Uint8Array, (b as { value: Uint8Array }).value);
    case "uri": {
      const host = uriHost(n.value as string);
      // A URI without a host cannot be inside a subtree: refused where URIs are permitted, never excluded.
      if (host === undefined) return false;
      return hostMatchesDomain(host, (b as { value: string }).value);
    }
    case "other": {
      const bo = b as { oid: string; raw: Uint8Array };
      if (bo.oid !== n.oid) return false;
      // Same type-id: an excluded subtree of that type covers every name of that type (values are opaque).
      return excluded || Buffer.compare(Buffer.from(bo.raw), Buffer.from(n.raw!)) === 0;
    }
  }
}

function emailMatches(name: string, c: string): boolean {
  const at = name.lastIndexOf("@");
  if (at < 0) return false;
  const local = name.slice(0, at);
  const domain = name.slice(at + 1).toLowerCase();
  if (c.includes("@")) {
    const cat = c.lastIndexOf("@");
    return c.slice(0, cat) === local && c.slice(cat + 1).toLowerCase() === domain;
  }
  const cl = c.toLowerCase();
  if (cl.startsWith(".")) return domain.endsWith(cl) && domain.length > cl.length;
  return domain === cl;
}

function dnsMatches(name: string, c: string, excluded: boolean): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  const cl = c.toLowerCase().replace(/\.$/, "");
  if (cl.length === 0) return true;
  if (n === cl || n.endsWith(`.${cl}`)) return true;
  // A wildcard name *.D might stand for a name inside an excluded subtree below D.
  if (excluded && n.startsWith("*.")) {
    const d = n.slice(2);
    if (cl === d || cl.endsWith(`.${d}`)) return true;
  }
  return false;
}

function hostMatchesDomain(host: string, c: string): boolean {
  const h = host.toLowerCase();
  const cl = c.toLowerCase();
  if (cl.startsWith(".")) return h.endsWith(cl) && h.length > cl.length;
  return h === cl;
}

function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  if (!m?.[1]) return undefined;
  return m[1];
}

function ipMatches(ip: Uint8Array, c: Uint8Array): boolean {
  const half = c.length / 2;
  if (ip.length !== half) return false;
  for (let i = 0; i < half; i++) if ((ip[i] & c[half + i]) !== (c[i] & c[half + i])) return false;
  return true;
}
