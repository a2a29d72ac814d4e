/**
 * The summary of a verification run (or of several merged): counts by verdict and by problem code, and the
 * signers, issuers and sender domains that fail most. Built from the `verify --jsonl` records (so `summary`
 * merges results files exactly as `verify` summarises its own run), through the few facts each record gives.
 */
import type { Verdict } from "./verify.js";

/** The part of a results record (verify --jsonl) a summary reads. */
export interface ResultRecord {
  verdict: Verdict;
  problems?: { code: string; severity?: string; message?: string }[];
  signers?: {
    subject?: string;
    emails?: string[];
    sha1?: string;
    chain?: readonly { subject?: string }[];
    problems?: { code: string; severity?: string; message?: string }[];
  }[];
  /** The sender's address (From), when the message had one. */
  sender?: string | null;
}

/** What one message adds to a summary (kept per message by resumed runs: small). */
export interface ResultFacts {
  verdict: Verdict;
  codes: string[];
  /** For a message that is not valid: its signers, their issuers and the sender's domain. */
  signers?: { subject: string; sha1: string; email?: string }[];
  issuers?: string[];
  domain?: string;
}

export interface Ranked {
  count: number;
}

export interface RunSummary {
  messages: number;
  verdicts: Record<Verdict, number>;
  /** Messages with each error or warning code (once per message), most frequent first. */
  problems: Record<string, number>;
  topFailingSigners: ({ subject: string; sha1: string; email?: string } & Ranked)[];
  topFailingIssuers: ({ subject: string } & Ranked)[];
  topFailingSenderDomains: ({ domain: string } & Ranked)[];
}

/** The domain of a sender address ("Alice <alice@Contoso.com>" -> "contoso.com"). */
export function senderDomain(sender: string | null | undefined): string | undefined {
  if (!sender) return undefined;
  const angle = /<([^<>]*)>/.exec(sender);
  const addr = (angle ? angle[1] : sender).trim();
  const at = addr.lastIndexOf("@");
  if (at < 0 || at === addr.length - 1) return undefined;
  return addr
    .slice(at + 1)
    .replace(/[>\s]+$/, "")
    .toLowerCase();
}

const MISSING_ISSUER = /its issuer '(.+?)' is not in the trust list/;

/** The facts of one record. */
/** `sender` defaults to the record's own (the CLI passes it beside the record, saving a copy per message). */
export function resultFacts(r: ResultRecord, sender = r.sender): ResultFacts {
  // Errors and warnings (notes such as CONTENT_CANONICALISED are not problems to count).
  const codes = new Set<string>();
  const add = (list: ResultRecord["problems"]) => {
    if (list) for (const p of list) if (p.severity !== "info") codes.add(p.code);
  };
  add(r.problems);
  if (r.signers) for (const s of r.signers) add(s.problems);
  const f: ResultFacts = { verdict: r.verdict, codes: [...codes] };
  if (r.verdict === "valid") return f;
  const signers: NonNullable<ResultFacts["signers"]> = [];
  const issuers = new Set<string>();
  for (const s of r.signers ?? []) {
    if (s.sha1 || s.subject)
      signers.push({
        subject: s.subject ?? "",
        sha1: s.sha1 ?? "",
        ...(s.emails?.[0] ? { email: s.emails[0] } : {}),
      });
    // The signer certificate's issuer: the next link of its path, or the one its path stopped at.
    const next = s.chain && s.chain.length > 1 ? s.chain[1].subject : undefined;
    const missing = (s.problems ?? [])
      .filter((p) => p.code === "CHAIN_INCOMPLETE")
      .map((p) => MISSING_ISSUER.exec(p.message ?? "")?.[1])
      .find((x) => x);
    const issuer = next ?? missing;
    if (issuer) issuers.add(issuer);
  }
  if (signers.length) f.signers = signers;
  if (issuers.size) f.issuers = [...issuers];
  const domain = senderDomain(sender);
  if (domain) f.domain = domain;
  return f;
}

function top<T>(m: Map<string, { value: T; count: number }>, n: number): (T & Ranked)[] {
  return [...m.entries()]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([, v]) => ({ ...v.value, count: v.count }));
}

function bump<T>(m: Map<string, { value: T; count: number }>, key: string, value: T): void {
  const e = m.get(key);
  if (e) e.count++;
  else m.set(key, { value, count: 1 });
}

/** Accumulates facts into a RunSummary. */
export class SummaryBuilder {
  private readonly verdicts: Record<Verdict, number> = { valid: 0, invalid: 0, error: 0 };
  private readonly codes = new Map<string, number>();
  private readonly signers = new Map<
    string,
    { value: { subject: string; sha1: string; email?: string }; count: number }
  >();
  private readonly issuers = new Map<string, { value: { subject: string }; count: number }>();
  private readonly domains = new Map<string, { value: { domain: string }; count: number }>();

  constructor(private readonly topN = 10) {}

  get messages(): number {
    return this.verdicts.valid + this.verdicts.invalid + this.verdicts.error;
  }

  count(v: Verdict): number {
    return this.verdicts[v];
  }

  add(f: ResultFacts): void {
    this.verdicts[f.verdict]++;
    for (const c of f.codes) this.codes.set(c, (this.codes.get(c) ?? 0) + 1);
    const seen = new Set<string>();
    for (const s of f.signers ?? []) {
      const k = s.sha1 || s.subject;
      if (seen.has(k)) continue;
      seen.add(k);
      bump(this.signers, k, s);
    }
    for (const i of f.issuers ?? []) bump(this.issuers, i, { subject: i });
    if (f.domain) bump(this.domains, f.domain, { domain: f.domain });
  }

  toJson(): RunSummary {
    const problems: Record<string, number> = {};
    for (const [c, n] of [...this.codes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)))
      problems[c] = n;
    return {
      messages: this.messages,
      verdicts: { ...this.verdicts },
      problems,
      topFailingSigners: top(this.signers, this.topN),
      topFailingIssuers: top(this.issuers, this.topN),
      topFailingSenderDomains: top(this.domains, this.topN),
    };
  }
}

/** "N messages: a valid, b invalid, c unreadable" (the line scripts and the README rely on). */
export function countsLine(s: Pick<RunSummary, "messages" | "verdicts">): string {
  return `${s.messages} message${s.messages === 1 ? "" : "s"}: ${s.verdicts.valid} valid, ${s.verdicts.invalid} invalid, ${s.verdicts.error} unreadable`;
}

/** The summary as text: problems by code, then the top failing signers, issuers and sender domains. */
export function summaryDetails(s: RunSummary): string {
  const lines: string[] = [];
  const codes = Object.entries(s.problems);
  if (codes.length) {
    lines.push("problems (messages):");
    for (const [c, n] of codes) lines.push(`  ${String(n).padStart(7)}  ${c}`);
  }
  const section = (title: string, rows: { label: string; count: number }[]) => {
    if (!rows.length) return;
    lines.push(`${title}:`);
    for (const r of rows) lines.push(`  ${String(r.count).padStart(7)}  ${r.label}`);
  };
  section(
    "top failing signers",
    s.topFailingSigners.map((x) => ({
      label: `${x.subject}${x.email && !x.subject.includes(x.email) ? ` <${x.email}>` : ""}${x.sha1 ? ` (thumbprint ${x.sha1})` : ""}`,
      count: x.count,
    })),
  );
  section(
    "top failing issuers",
    s.topFailingIssuers.map((x) => ({ label: x.subject, count: x.count })),
  );
  section(
    "top failing sender domains",
    s.topFailingSenderDomains.map((x) => ({ label: x.domain, count: x.count })),
  );
  return lines.length ? `${lines.join("\n")}\n` : "";
}
