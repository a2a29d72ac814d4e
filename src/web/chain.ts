/**
 * The trust list as a tree: roots, the intermediates under them and the known user certificates, with the
 * faults that break a chain marked on the node: a missing issuer, an expired parent, a non-CA in the list, and
 * an issuer named but whose key no longer verifies the child (a re-keyed CA that breaks its children).
 */
import type { Certificate } from "../x509/certificate.js";
import type { Dashboard } from "./model.js";

export type Mark = "missing-issuer" | "expired-parent" | "not-a-ca" | "rekeyed-parent" | "expired";

export interface ChainNode {
  cert: Certificate;
  /** A user certificate (from --leaf or the monitor config), not a member of the list. */
  user: boolean;
  marks: Mark[];
  children: ChainNode[];
}

function signedBy(c: Certificate, issuer: Certificate): boolean {
  try {
    return c.isSignedBy(issuer);
  } catch {
    return false;
  }
}

/** Roots (and orphans) at the top, each with its subtree; cycles and duplicates cannot occur (one parent each). */
export function chainTree(d: Dashboard): { roots: ChainNode[]; orphans: ChainNode[] } {
  const nodes = new Map<string, ChainNode>();
  const members = [...d.certificates];
  const users = d.leaves.filter((l) => !d.list.has(l));
  for (const c of members) nodes.set(c.sha1, { cert: c, user: false, marks: [], children: [] });
  for (const c of users)
    if (!nodes.has(c.sha1)) nodes.set(c.sha1, { cert: c, user: true, marks: [], children: [] });
  const roots: ChainNode[] = [];
  const orphans: ChainNode[] = [];
  for (const node of nodes.values()) {
    const c = node.cert;
    if (c.notAfter < d.now) node.marks.push("expired");
    if (!node.user && !c.isCA) node.marks.push("not-a-ca");
    if (c.isSelfSigned) {
      roots.push(node);
      continue;
    }
    const named = d.list.issuersOf(c).filter((x) => x.sha1 !== c.sha1);
    const parent = named.find((x) => signedBy(c, x));
    if (!parent) {
      node.marks.push(named.length ? "rekeyed-parent" : "missing-issuer");
      orphans.push(node);
      continue;
    }
    if (parent.notAfter < d.now) node.marks.push("expired-parent");
    nodes.get(parent.sha1)!.children.push(node);
  }
  const order = (a: ChainNode, b: ChainNode) =>
    Number(a.user) - Number(b.user) || (a.cert.name < b.cert.name ? -1 : a.cert.name > b.cert.name ? 1 : 0);
  const sortDeep = (ns: ChainNode[]) => {
    ns.sort(order);
    for (const n of ns) sortDeep(n.children);
  };
  sortDeep(roots);
  sortDeep(orphans);
  return { roots, orphans };
}

export const MARK_TEXT: Record<Mark, string> = {
  "missing-issuer": "issuer not in the list",
  "expired-parent": "its issuer has expired",
  "not-a-ca": "not a CA: Exchange refuses it in the list",
  "rekeyed-parent": "issuer re-keyed: its key no longer verifies this certificate",
  expired: "expired",
};
