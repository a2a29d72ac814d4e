/**
 * The `verify --json` shape of one message (DESIGN.md contract), shared by the CLI and `serve`'s JSON API.
 */
import { parseAddress } from "../mime/headers.js";
import type { Problem } from "../problems.js";
import { type ResultFacts, resultFacts } from "./summary.js";
import type { VerifyResult } from "./verify.js";

export interface VerifyJson {
  file: string;
  verdict: VerifyResult["verdict"];
  problems: Problem[];
  signers: {
    subject: string;
    emails: string[];
    sha1: string;
    signingTime: VerifyResult["signers"][number]["signingTime"];
    chain: {
      subject: string;
      sha1: string;
      source: VerifyResult["signers"][number]["chain"][number]["source"];
    }[];
    problems: Problem[];
  }[];
}

/** The DESIGN.md JSON shape of one message, and nothing else. */
export function verifyJson(file: string, r: VerifyResult): VerifyJson {
  return {
    file,
    verdict: r.verdict,
    problems: r.problems.map(problemJson),
    signers: r.signers.map((s) => ({
      subject: s.subject,
      emails: s.emails,
      sha1: s.sha1,
      signingTime: s.signingTime,
      chain: s.chain.map((c) => ({ subject: c.subject, sha1: c.sha1, source: c.source })),
      problems: s.problems.map(problemJson),
    })),
  };
}

export function problemJson(p: Problem): Problem {
  const o: Problem = { code: p.code, severity: p.severity, message: p.message };
  if (p.hint !== undefined) o.hint = p.hint;
  if (p.cert !== undefined) o.cert = p.cert;
  return o;
}

/**
 * A result as the archive outputs (`--json`, `--jsonl`, the summary) use it, made in the thread that verified
 * the message: a worker sends this text rather than the result's objects, which cost more to copy between
 * threads than to turn into JSON.
 */
export interface RenderedResult {
  verdict: VerifyResult["verdict"];
  /** The `--json` record after its "file" member, as JSON text without the braces: `"verdict":...,"signers":[...]`. */
  fields: string;
  /** The message's From address, when it had one. */
  sender: string | null;
  facts: ResultFacts;
}

export function renderResult(r: VerifyResult): RenderedResult {
  const rec = verifyJson("", r);
  const sender = parseAddress(r.from) ?? null;
  const fields = JSON.stringify({ verdict: rec.verdict, problems: rec.problems, signers: rec.signers });
  return { verdict: r.verdict, fields: fields.slice(1, -1), sender, facts: resultFacts(rec, sender) };
}
