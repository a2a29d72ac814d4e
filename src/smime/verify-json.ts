/**
 * The `verify --json` shape of one message (DESIGN.md contract), shared by the CLI and `serve`'s JSON API, and
 * the renderings of a result the archive outputs use (its JSON text, the facts of its text line), made in the
 * thread that verified it.
 */
import { parseAddress } from "../mime/headers.js";
import { type Problem, severityRank } from "../problems.js";
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
 * A result as the archive outputs (`--json`, `--jsonl`, the text lines, the summary) use it, made in the thread
 * that verified the message: a worker sends this rather than the result's objects, which cost more to copy
 * between threads than to render.
 */
export interface RenderedResult {
  verdict: VerifyResult["verdict"];
  /**
   * With `fields`: the `--json` record after its "file" member, as JSON text without the braces:
   * `"verdict":...,"signers":[...]`.
   */
  fields?: string;
  /** With `line`: what the message's text line shows. */
  line?: LineFacts;
  /** The message's From address, when it had one. */
  sender: string | null;
  facts: ResultFacts;
}

/** Which renderings a run's outputs need (each costs the verifying thread time). */
export interface RenderWants {
  /** The JSON text of `--json` and `--jsonl`. */
  fields: boolean;
  /** The facts of the text line. */
  line: boolean;
}

/** What a message's line of text output shows (the CLI lays it out for its terminal). */
export interface LineFacts {
  verdict: VerifyResult["verdict"];
  subject?: string;
  /** The first signer. */
  signer?: { name: string; email?: string; part?: string };
  /** How many signers there are. */
  signers: number;
  /** The problem to show first (mainProblem). */
  problem?: Problem;
}

/** The JSON text alone (`--json`, `--jsonl -`). */
export const JSON_TEXT: RenderWants = { fields: true, line: false };

export function renderResult(r: VerifyResult, wants: RenderWants = JSON_TEXT): RenderedResult {
  const sender = parseAddress(r.from) ?? null;
  const out: RenderedResult = { verdict: r.verdict, sender, facts: resultFacts(r, sender) };
  if (wants.fields) out.fields = recordFields(r);
  if (wants.line) out.line = lineFacts(r);
  return out;
}

/** The problem to show first: errors before warnings before notes; message-level before signer-level. */
export function mainProblem(r: VerifyResult): Problem | undefined {
  let best: Problem | undefined;
  const consider = (p: Problem) => {
    if (!best || severityRank(p.severity) > severityRank(best.severity)) best = p;
  };
  for (const p of r.problems) consider(p);
  for (const s of r.signers) for (const p of s.problems) consider(p);
  return best;
}

export function lineFacts(r: VerifyResult): LineFacts {
  const first = r.signers[0];
  const f: LineFacts = { verdict: r.verdict, signers: r.signers.length };
  if (r.subject !== undefined) f.subject = r.subject;
  if (first) {
    f.signer = { name: first.name };
    if (first.emails.length) f.signer.email = first.emails[0];
    if (first.part) f.signer.part = first.part;
  }
  const p = mainProblem(r);
  if (p) f.problem = p;
  return f;
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
