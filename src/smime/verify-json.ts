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
      chain: s.chain.map(linkJson),
      problems: s.problems.map(problemJson),
    })),
  };
}

function linkJson(
  c: VerifyJson["signers"][number]["chain"][number],
): VerifyJson["signers"][number]["chain"][number] {
  return { subject: c.subject, sha1: c.sha1, source: c.source };
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
  const sender = parseAddress(r.from) ?? null;
  return { verdict: r.verdict, fields: recordFields(r), sender, facts: resultFacts(r, sender) };
}

// The JSON text of what many results share: the links of a cached chain (smime/verify.ts shares them) and
// its problems. Kept while the objects live; a message's own problems pass through once.
const textOf = new WeakMap<object, string>();

function problemText(p: Problem): string {
  let t = textOf.get(p);
  if (t === undefined) {
    t = JSON.stringify(problemJson(p));
    textOf.set(p, t);
  }
  return t;
}

function problemsText(list: readonly Problem[]): string {
  if (list.length === 0) return "[]";
  let t = `[${problemText(list[0])}`;
  for (let i = 1; i < list.length; i++) t += `,${problemText(list[i])}`;
  return `${t}]`;
}

function chainText(chain: VerifyResult["signers"][number]["chain"]): string {
  let t = textOf.get(chain);
  if (t === undefined) {
    t = JSON.stringify(chain.map(linkJson));
    textOf.set(chain, t);
  }
  return t;
}

/**
 * `JSON.stringify(verifyJson(file, r))` after its "file" member, without the braces
 * (`"verdict":...,"problems":[...],"signers":[...]`), built from the shared parts' text.
 */
export function recordFields(r: VerifyResult): string {
  let t = `"verdict":${JSON.stringify(r.verdict)},"problems":${problemsText(r.problems)},"signers":[`;
  for (let i = 0; i < r.signers.length; i++) {
    const s = r.signers[i];
    if (i > 0) t += ",";
    t += `{"subject":${JSON.stringify(s.subject)},"emails":${JSON.stringify(s.emails)},"sha1":${JSON.stringify(s.sha1)},"signingTime":${JSON.stringify(s.signingTime)},"chain":${chainText(s.chain)},"problems":${problemsText(s.problems)}}`;
  }
  return `${t}]`;
}
