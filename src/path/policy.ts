/**
 * Certificate policy processing, RFC 5280 6.1.2 (a)/(d)-(f), 6.1.3 (d)-(f), 6.1.4 (a)-(b), (h)-(j) and
 * 6.1.5 (a)-(b), (g): the valid_policy_tree with policy mappings, inhibitAnyPolicy, requireExplicitPolicy
 * and the user-initial-policy-set. The tree is bounded (MAX_NODES) against exponential growth.
 */

import { SmimetrustError } from "../errors.js";
import { OID } from "../lib/oids.js";
import type { Certificate } from "../x509/certificate.js";
import type { PolicyInputs } from "./types.js";

const ANY = OID.anyPolicy;
export const MAX_NODES = 10_000;

interface PNode {
  policy: string;
  expected: Set<string>;
  parent: PNode | null;
  children: PNode[];
  depth: number;
}

export class PolicyFailure extends SmimetrustError {
  override readonly code = "ERR_POLICY";
}

export class PolicyProcessor {
  private levels: PNode[][];
  private explicitPolicy: number;
  private policyMapping: number;
  private inhibitAny: number;
  private nodes = 1;
  private readonly initial: readonly string[];

  /** `n`: certificates in the path excluding the trust anchor. */
  constructor(
    private readonly n: number,
    inputs: Readonly<Omit<PolicyInputs, "initialPolicySet">> & {
      readonly initialPolicySet?: readonly string[];
    },
  ) {
    const root: PNode = { policy: ANY, expected: new Set([ANY]), parent: null, children: [], depth: 0 };
    this.levels = [[root]];
    this.explicitPolicy = inputs.initialExplicitPolicy ? 0 : n + 1;
    this.policyMapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;
    this.inhibitAny = inputs.initialInhibitAnyPolicy ? 0 : n + 1;
    this.initial =
      inputs.initialPolicySet && inputs.initialPolicySet.length > 0 ? inputs.initialPolicySet : [ANY];
  }

  private get treeNull(): boolean {
    return this.levels[0].length === 0;
  }

  private add(parent: PNode, policy: string, expected: Set<string>): PNode {
    if (++this.nodes > MAX_NODES) throw new PolicyFailure("policy tree too large");
    const node: PNode = { policy, expected, parent, children: [], depth: parent.depth + 1 };
    parent.children.push(node);
    const level = this.levels[node.depth];
    if (level) level.push(node);
    else this.levels[node.depth] = [node];
    return node;
  }

  private remove(node: PNode): void {
    const lvl = this.levels[node.depth];
    const i = lvl.indexOf(node);
    if (i >= 0) lvl.splice(i, 1);
    if (node.parent) {
      const j = node.parent.children.indexOf(node);
      if (j >= 0) node.parent.children.splice(j, 1);
    }
    for (const c of [...node.children]) this.remove(c);
  }

  /** Deletes childless nodes at depths below `depth`, bottom-up. */
  private prune(depth: number): void {
    for (let d = depth - 1; d >= 0; d--) {
      const lvl = this.levels[d] ?? [];
      for (const node of [...lvl]) if (node.children.length === 0) this.remove(node);
    }
  }

  /**
   * Processes certificate i (1-based from the anchor side). Throws PolicyFailure when the path has no
   * acceptable policy after it (6.1.3 (f)).
   */
  processCertificate(cert: Certificate, i: number): void {
    const isLast = i === this.n;
    const pols = cert.certificatePolicies;
    if (pols && !this.treeNull) {
      const prev = this.levels[i - 1] ?? [];
      this.levels[i] ??= [];
      let anyQualifier = false;
      const seen = new Set<string>();
      for (const p of pols) {
        if (p.oid === ANY) {
          anyQualifier = true;
          continue;
        }
        if (seen.has(p.oid)) continue;
        seen.add(p.oid);
        let matched = false;
        for (const node of prev) {
          if (node.expected.has(p.oid)) {
            this.add(node, p.oid, new Set([p.oid]));
            matched = true;
          }
        }
        if (!matched)
          for (const node of prev) if (node.policy === ANY) this.add(node, p.oid, new Set([p.oid]));
      }
      if (anyQualifier && (this.inhibitAny > 0 || (!isLast && cert.isSelfIssued))) {
        for (const node of prev) {
          const have = new Set(node.children.map((c) => c.policy));
          for (const e of node.expected) if (!have.has(e)) this.add(node, e, new Set([e]));
        }
      }
      this.prune(i);
      if ((this.levels[i] ?? []).length === 0) this.levels = [[]];
    } else if (!pols) {
      this.levels = [[]];
    }
    if (this.explicitPolicy <= 0 && this.treeNull)
      throw new PolicyFailure("no acceptable certificate policy (explicit policy required)");
  }

  /** Preparation for the next certificate (6.1.4), for every certificate but the last. */
  prepareNext(cert: Certificate, i: number): void {
    const maps = cert.policyMappings;
    if (maps) {
      for (const m of maps)
        if (m.issuerDomainPolicy === ANY || m.subjectDomainPolicy === ANY)
          throw new PolicyFailure("policy mapping to or from anyPolicy");
      const byIssuer = new Map<string, Set<string>>();
      for (const m of maps) {
        let s = byIssuer.get(m.issuerDomainPolicy);
        if (!s) {
          s = new Set();
          byIssuer.set(m.issuerDomainPolicy, s);
        }
        s.add(m.subjectDomainPolicy);
      }
      if (!this.treeNull) {
        const lvl = this.levels[i] ?? [];
        for (const [idp, sdps] of byIssuer) {
          if (this.policyMapping > 0) {
            const hits = lvl.filter((nd) => nd.policy === idp);
            if (hits.length > 0) for (const h of hits) h.expected = new Set(sdps);
            else {
              const any = lvl.find((nd) => nd.policy === ANY);
              if (any?.parent) this.add(any.parent, idp, new Set(sdps));
            }
          } else {
            for (const h of lvl.filter((nd) => nd.policy === idp)) this.remove(h);
          }
        }
        if (this.policyMapping <= 0) {
          this.prune(i);
          if ((this.levels[i] ?? []).length === 0) this.levels = [[]];
        }
      }
    }
    if (!cert.isSelfIssued) {
      if (this.explicitPolicy > 0) this.explicitPolicy--;
      if (this.policyMapping > 0) this.policyMapping--;
      if (this.inhibitAny > 0) this.inhibitAny--;
    }
    const pc = cert.policyConstraints;
    if (pc) {
      if (pc.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < this.explicitPolicy)
        this.explicitPolicy = pc.requireExplicitPolicy;
      if (pc.inhibitPolicyMapping !== undefined && pc.inhibitPolicyMapping < this.policyMapping)
        this.policyMapping = pc.inhibitPolicyMapping;
    }
    const iap = cert.inhibitAnyPolicy;
    if (iap !== undefined && iap < this.inhibitAny) this.inhibitAny = iap;
  }

  /** Wrap-up (6.1.5); returns the user-constrained policy set (OIDs), throws PolicyFailure when none is acceptable. */
  finish(leaf: Certificate): string[] {
    if (this.explicitPolicy > 0) this.explicitPolicy--;
    const pc = leaf.policyConstraints;
    if (pc && pc.requireExplicitPolicy === 0) this.explicitPolicy = 0;
    const n = this.n;
    if (!this.treeNull && !this.initial.includes(ANY)) {
      // (g)(iii): nodes whose parent is anyPolicy form the valid_policy_node_set.
      const nodeSet: PNode[] = [];
      for (const lvl of this.levels)
        for (const nd of lvl) if (nd.parent && nd.parent.policy === ANY) nodeSet.push(nd);
      for (const nd of nodeSet) if (nd.policy !== ANY && !this.initial.includes(nd.policy)) this.remove(nd);
      const leafAny = (this.levels[n] ?? []).find((nd) => nd.policy === ANY);
      if (leafAny?.parent) {
        const have = new Set(nodeSet.map((nd) => nd.policy));
        for (const p of this.initial) if (!have.has(p)) this.add(leafAny.parent, p, new Set([p]));
        this.remove(leafAny);
      }
      this.prune(n);
      if ((this.levels[n] ?? []).length === 0) this.levels = [[]];
    }
    if (this.explicitPolicy <= 0 && this.treeNull)
      throw new PolicyFailure("no acceptable certificate policy");
    if (this.treeNull) return [];
    return [...new Set((this.levels[n] ?? []).map((nd) => nd.policy))];
  }
}
