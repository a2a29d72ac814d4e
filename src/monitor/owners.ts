/**
 * Who owns a certificate the monitor watches: the owner and labels of its source (a trust list or a set
 * of user certificates), as monitor.json gives them.
 */
import type { MonitorConfig } from "./config.js";

export function ownerOf(
  cfg: MonitorConfig,
  source: string,
  _sha1: string | undefined,
): { owner?: string; labels: Record<string, string> } {
  const s =
    cfg.trustLists.find((t) => t.name === source) ?? cfg.userCertificates.find((u) => u.name === source);
  return { ...(s?.owner !== undefined ? { owner: s.owner } : {}), labels: { ...(s?.labels ?? {}) } };
}
