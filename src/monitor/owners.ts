/**
 * Who answers for a finding: the owner and labels of the certificate it is about. A certificate's own entry
 * under its source wins, then a top-level `certificates` entry (for that source or for every source), then
 * the source's `owner` and `labels` (an Exchange Online source's for each of its tenants). Labels merge the
 * same way (the more specific value of a key wins).
 * Pure.
 */
import type { CertificateOverride, MonitorConfig } from "./config.js";

export interface Ownership {
  owner?: string;
  labels: Record<string, string>;
}

export function ownerOf(cfg: MonitorConfig, source: string, sha1: string | undefined): Ownership {
  const src:
    | { owner?: string; labels?: Record<string, string>; certificates?: CertificateOverride[] }
    | undefined =
    cfg.trustLists.find((t) => t.name === source) ??
    cfg.userCertificates.find((u) => u.name === source) ??
    // an Exchange Online tenant's live list is watched as "<source name>/<tenant name>"
    cfg.exchangeTenants?.find((x) => source === x.name || source.startsWith(`${x.name}/`));
  const id = sha1?.toUpperCase();
  const matches = (o: CertificateOverride) => id !== undefined && o.sha1 === id;
  // From the least to the most specific.
  const layers: { owner?: string; labels?: Record<string, string> }[] = [];
  if (src) layers.push(src);
  const top = cfg.certificates ?? [];
  const anySource = top.find((o) => matches(o) && o.source === undefined);
  if (anySource) layers.push(anySource);
  const forSource = top.find((o) => matches(o) && o.source === source);
  if (forSource) layers.push(forSource);
  const own = src?.certificates?.find(matches);
  if (own) layers.push(own);
  let owner: string | undefined;
  const labels: Record<string, string> = {};
  for (const l of layers) {
    if (l.owner !== undefined) owner = l.owner;
    Object.assign(labels, l.labels ?? {});
  }
  return owner !== undefined ? { owner, labels } : { labels };
}
