import { closeSync, constants, openSync, readSync, statSync } from "node:fs";
import type { Command } from "commander";
import { MalformedInputError, SmimetrustError, UsageError } from "../../errors.js";
import { isExchangeExport, readExchangeExport } from "../../formats/exchange-export.js";
import {
  checkInputFile,
  expandInput,
  INPUT_LIMITS,
  type LoadOptions,
  loadCertificates,
  readInput,
  readInputFile,
  skippedSummary,
} from "../../io/files.js";
import { createHttpFetcher } from "../../io/http-fetcher.js";
import { isOutlookFile, outlookItems } from "../../io/outlook.js";
import { type BatchItem, defaultJobs, verifyBatch } from "../../io/verify-pool.js";
import { listSome } from "../../lib/list.js";
import { oneLine } from "../../lib/text.js";
import { isMbox, splitMbox } from "../../mime/mbox.js";
import type { Profile } from "../../path/types.js";
import { type Problem, severityRank } from "../../problems.js";
import type { VerifySetup } from "../../smime/verifier.js";
import type { VerifyResult } from "../../smime/verify.js";
import { verifyJson } from "../../smime/verify-json.js";
import type { Certificate } from "../../x509/certificate.js";
import type { RegisterCommand } from "../context.js";
import { fetchOptionsFromEnv } from "../online.js";
import {
  inputOptions,
  PFX_MAX_ITERATIONS_OPTION,
  parseIntOption,
  parseTime,
  repeatable,
} from "../options.js";
import { type Out, paint, truncate, writeControl, writeData } from "../output.js";

interface VerifyOpts {
  trust?: string[];
  crl?: string[];
  untrusted?: string[];
  at?: string;
  online?: boolean;
  requireRevocation?: boolean;
  profile: string;
  ignoreSender?: boolean;
  content?: string;
  jobs?: string;
  strict?: boolean;
  password?: string;
  skipUnreadable?: boolean;
  pfxMaxIterations?: string;
  json?: boolean;
}

/** The DESIGN.md JSON shape of one message, and nothing else (shared with serve: smime/verify-json.ts). */
export const toJson = verifyJson;

/** The problem to show first: errors before warnings before notes; message-level before signer-level. */
export function mainProblem(r: VerifyResult): Problem | undefined {
  const all = [...r.problems, ...r.signers.flatMap((s) => s.problems)];
  let best: Problem | undefined;
  for (const p of all) if (!best || severityRank(p.severity) > severityRank(best.severity)) best = p;
  return best;
}

function headerText(s: string | undefined): string {
  if (!s) return "";
  // Decode RFC 2047 encoded-words for display only.
  return s.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, cs: string, enc: string, text: string) => {
    try {
      const bytes =
        enc.toUpperCase() === "B"
          ? Buffer.from(text, "base64")
          : Buffer.from(
              text
                .replace(/_/g, " ")
                .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) =>
                  String.fromCharCode(Number.parseInt(h, 16)),
                ),
              "latin1",
            );
      return new TextDecoder(cs.toLowerCase()).decode(bytes);
    } catch {
      return text;
    }
  });
}

/** One terminal line (and a hint line) per message. */
export function renderLine(out: Out, file: string, r: VerifyResult): string {
  const p = mainProblem(r);
  const m =
    r.verdict === "valid"
      ? p && p.severity === "warning"
        ? paint(out, "yellow", "! valid  ")
        : paint(out, "green", "✓ valid  ")
      : r.verdict === "error"
        ? paint(out, "red", "✗ error  ")
        : paint(out, "red", "✗ invalid");
  const signer = r.signers[0];
  const who = signer
    ? `${signer.name}${signer.emails.length ? ` <${signer.emails[0]}>` : ""}${r.signers.length > 1 ? ` +${r.signers.length - 1}` : ""}`
    : "";
  const subject = headerText(r.subject);
  let s = `${m} ${oneLine(file)}`;
  if (subject) s += `  "${truncate(oneLine(subject), 50)}"`;
  if (who) s += `  signed by ${paint(out, "bold", truncate(oneLine(who), 70))}`;
  if (signer?.part) s += ` (part ${signer.part})`;
  // One line per message (grep-friendly): the main problem and how to fix it go on the same line.
  if (p && (r.verdict !== "valid" || p.severity !== "info")) {
    s += `  ${p.code}: ${oneLine(p.message)}`;
    if (p.hint && p.severity !== "info") s += ` ${paint(out, "dim", `Fix: ${oneLine(p.hint)}`)}`;
  }
  return `${s}\n`;
}

/** "[###############---------------] 50/100" */
export function progressBar(n: number, total: number, width = 30): string {
  const filled = Math.round((n / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${n}/${total} `;
}

function looksLikeMbox(file: string): boolean {
  let fd: number | undefined;
  try {
    // Never blocks: callers have checked that the file is a regular one, and a pipe swapped in since would
    // not hold up the open.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const head = Buffer.alloc(5);
    const n = readSync(fd, head, 0, 5, 0);
    return n === 5 && isMbox(head) && !/\.(eml|msg|txt)$/i.test(file);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Files found in folders that are certificates, CRLs, keys or other non-mail files (a CA certificate kept
 * beside the mail): skipped, not reported as unreadable messages. A file named directly is always verified.
 */
const NOT_MAIL = /\.(pem|cer|crt|der|crl|sst|p7b|p7c|pfx|p12|key|csr|json|md|ts|js|mjs|cjs|ps1|sh|py)$/i;

/**
 * Outlook .msg and PST files (io/outlook.ts): each signed item as the mail it was; unsigned items counted. A bad
 * file named directly fails the run (exit 2); one found in a folder, or one bad item in a PST, is an error result.
 */
function addOutlookItems(items: BatchItem[], file: string, fromFolder: boolean, onUnsigned: () => void) {
  const failed = (e: SmimetrustError) => () => {
    throw e;
  };
  try {
    for (const e of outlookItems(file, { onUnsigned }))
      items.push(
        "error" in e
          ? { name: e.name, load: failed(new MalformedInputError(e.error)) }
          : { name: e.name, bytes: e.bytes },
      );
  } catch (e) {
    if (fromFolder && e instanceof SmimetrustError) items.push({ name: file, load: failed(e) });
    else throw e;
  }
}

/** Expands the message arguments into batch items: files, folders (recursive), mbox archives, Outlook, '-'. */
async function expandMessages(
  inputs: readonly string[],
  onSkip: () => void,
  stdin: NodeJS.ReadableStream | undefined,
  onUnsigned: () => void = () => {},
): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  const addBytes = (name: string, bytes: Uint8Array) => {
    if (isMbox(bytes)) {
      const msgs = splitMbox(bytes);
      if (msgs.length > 1) {
        for (const m of msgs) items.push({ name: `${name}#${m.index}`, bytes: m.bytes });
        return;
      }
      if (msgs.length === 1) {
        items.push({ name, bytes: msgs[0].bytes });
        return;
      }
    }
    items.push({ name, bytes });
  };
  for (const input of inputs) {
    if (input === "-") {
      addBytes("<stdin>", await readInput("-", stdin, INPUT_LIMITS.maxMessageBytes));
      continue;
    }
    for (const f of expandInput(input)) {
      if (f.fromFolder && NOT_MAIL.test(f.name)) {
        onSkip();
        continue;
      }
      const load = () => readInputFile(f.name, INPUT_LIMITS.maxMessageBytes);
      // A file named directly must be a readable regular file (not a device such as /dev/zero, not a named
      // pipe): fail the run (exit 2) now rather than later. Its bytes are read when it is verified, so a
      // long list of files is never all in memory. Folders list regular files only.
      if (!f.fromFolder) checkInputFile(f.name);
      if (isOutlookFile(f.name)) addOutlookItems(items, f.name, f.fromFolder, onUnsigned);
      else if (looksLikeMbox(f.name)) addBytes(f.name, load());
      else items.push({ name: f.name, load });
    }
  }
  return items;
}

/**
 * The --trust inputs: certificate files and folders, and the Exchange export JSON of DESIGN.md (the trust list
 * Exchange holds, as check and diff read it).
 */
async function loadTrust(inputs: readonly string[], lo: LoadOptions) {
  const fromExports: Certificate[] = [];
  const warnings: string[] = [];
  const rest: string[] = [];
  for (const input of inputs) {
    let file = false;
    try {
      file = input !== "-" && statSync(input).isFile();
    } catch {
      file = false; // loadCertificates reports it
    }
    if (file) {
      const bytes = readInputFile(input);
      if (isExchangeExport(bytes)) {
        const x = readExchangeExport(bytes, input);
        if (!x.trustListBytes)
          warnings.push(
            `${input}: the Exchange export has no trust list (SMIMECertificateIssuingCA is null)`,
          );
        fromExports.push(...x.certificates);
        continue;
      }
    }
    rest.push(input);
  }
  const loaded = rest.length
    ? await loadCertificates(rest, lo)
    : { certificates: [], crls: [], warnings: [], skipped: [] };
  return {
    certificates: [...fromExports, ...loaded.certificates],
    crls: loaded.crls,
    warnings: [...warnings, ...loaded.warnings],
    skipped: loaded.skipped,
  };
}

export const registerVerify: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("verify")
    .description(
      "verify signed mail as Exchange Online would: signature, certificate path to the trust list, revocation, sender",
    )
    .argument(
      "<messages...>",
      ".eml files, folders (recursive), mbox files, Outlook .msg and .pst files, .p7m/.p7s, or - for stdin",
    )
    .option(
      "--trust <list>",
      "the trust list: .sst, P7B, PEM, a folder, or an Exchange export JSON (repeat for more: --trust a.pem --trust b.pem)",
      repeatable,
    )
    .option("--crl <file>", "CRLs (DER or PEM), a file or folder (repeatable)", repeatable)
    .option(
      "--untrusted <file>",
      "extra intermediate certificates (untrusted, like those a message carries); a file or folder, repeatable",
      repeatable,
    )
    .option(
      "--at <time>",
      "validation time: ISO 8601, Unix seconds, or 'signing' (each signature's signingTime); default now",
    )
    .option("--online", "fetch AIA issuers, CRL distribution points and OCSP over HTTP")
    .option("--require-revocation", "an undeterminable revocation status is an error")
    .option(
      "--profile <profile>",
      "standard (RFC 5280 + S/MIME) or exchange (what Exchange Online does)",
      "standard",
    )
    .option("--ignore-sender", "do not compare the From address with the signer certificate's addresses")
    .option("--content <file>", "the signed content, for a detached signature (.p7s) given on its own")
    .option("--jobs <n>", "worker threads (default: one per core; 1 = no workers)")
    .option("--strict", "also reject certificates that break RFC 5280 profile rules mail clients tolerate")
    .option("--password <password>", "PKCS#12 password for --trust/--untrusted (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out certificate files in --trust/--untrusted/--crl folders that cannot be read instead of stopping",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print JSON (an array, one object per message)")
    .action(async (inputs: string[], opts: VerifyOpts) => {
      if (!opts.trust?.length)
        throw new UsageError(
          "--trust is required: the trust list to verify against (e.g. the .sst uploaded to Exchange)",
        );
      if (opts.profile !== "standard" && opts.profile !== "exchange")
        throw new UsageError(`--profile: '${opts.profile}' is not standard or exchange`);
      const jobsOpt = opts.jobs !== undefined ? parseIntOption(opts.jobs, "--jobs", 1) : undefined;
      const now = ctx.now();
      const at: number | "signing" =
        opts.at === undefined ? now : opts.at.toLowerCase() === "signing" ? "signing" : parseTime(opts.at);
      const lo = inputOptions(opts, ctx);
      const trustIn = await loadTrust(opts.trust, lo);
      if (trustIn.certificates.length === 0)
        throw new UsageError(
          `--trust: no certificates found${trustIn.warnings.length ? ` (${trustIn.warnings[0]})` : ""}`,
        );
      const extra = opts.untrusted?.length ? await loadCertificates(opts.untrusted, lo) : undefined;
      const crlIn = opts.crl?.length ? await loadCertificates(opts.crl, lo) : undefined;
      for (const w of [...trustIn.warnings, ...(extra?.warnings ?? []), ...(crlIn?.warnings ?? [])])
        ctx.out.stderr(`warning: ${oneLine(w)}\n`);
      // A --crl input that holds no CRL is a mistake (a certificate given in its place): refused, as chain does.
      if (crlIn && crlIn.crls.length === 0)
        throw new UsageError(`--crl: no CRL found in ${listSome(opts.crl!.map((c) => `'${c}'`))}`);
      const skippedFiles = [...trustIn.skipped, ...(extra?.skipped ?? []), ...(crlIn?.skipped ?? [])];
      if (skippedFiles.length) ctx.out.stderr(`skipped ${oneLine(skippedSummary(skippedFiles))}\n`);
      const content = opts.content ? readInputFile(opts.content, INPUT_LIMITS.maxMessageBytes) : undefined;
      let skipped = 0;
      let unsigned = 0;
      const items = await expandMessages(
        inputs,
        () => skipped++,
        ctx.stdin,
        () => unsigned++,
      );
      const unsignedNote = unsigned
        ? `${unsigned} unsigned Outlook item${unsigned === 1 ? "" : "s"} skipped`
        : "";
      if (skipped > 0)
        ctx.out.stderr(
          `note: skipped ${skipped} file${skipped === 1 ? "" : "s"} in folders that ${skipped === 1 ? "is" : "are"} not mail (certificates, CRLs, keys, scripts)\n`,
        );
      if (items.length === 0)
        throw new UsageError(`no messages to verify${unsignedNote ? ` (${unsignedNote})` : ""}`);
      if (unsignedNote && opts.json) ctx.out.stderr(`note: ${unsignedNote}\n`);
      // Starting workers costs more than a small batch takes: by default they are used from 64 messages on.
      const jobs = jobsOpt ?? (items.length < 64 ? 1 : defaultJobs());

      const setup: VerifySetup = {
        trust: trustIn.certificates.map((c) => c.der),
        extra: extra?.certificates.map((c) => c.der),
        crls: [...trustIn.crls, ...(extra?.crls ?? []), ...(crlIn?.crls ?? [])].map((c) => c.der),
        at,
        now,
        profile: opts.profile as Profile,
        ignoreSender: opts.ignoreSender === true,
        online: opts.online === true,
        requireRevocation: opts.requireRevocation === true,
        strict: opts.strict === true,
        detachedContent: content,
        fetchOptions: fetchOptionsFromEnv(ctx.env),
      };

      const counts = { valid: 0, invalid: 0, error: 0 };
      const showProgress =
        !opts.json && items.length >= 50 && (ctx.out.stderrIsTTY ?? Boolean(process.stderr.isTTY));
      let lastDraw = 0;
      const progress = (n: number) => {
        if (!showProgress) return;
        const t = Date.now();
        if (n < items.length && t - lastDraw < 100) return;
        lastDraw = t;
        writeControl(ctx.out, `\r${progressBar(n, items.length)}${n === items.length ? "\n" : ""}`);
      };
      // JSON: the array opens with the first result, and closes even when the run stops part-way (exit 2, the
      // reason on stderr), so stdout always holds one JSON document.
      let first = true;
      try {
        await verifyBatch(items, setup, {
          jobs,
          fetcherFactory: () => createHttpFetcher(setup.fetchOptions ?? {}),
          onResult: (i, item, r) => {
            counts[r.verdict]++;
            if (opts.json) {
              writeData(ctx.out, `${first ? "[\n" : ",\n"}${JSON.stringify(toJson(item.name, r))}`);
              first = false;
            } else {
              if (showProgress) writeControl(ctx.out, "\r\u001b[K");
              ctx.out.stdout(renderLine(ctx.out, item.name, r));
            }
            progress(i + 1);
          },
        });
      } catch (e) {
        if (opts.json && !first) writeData(ctx.out, "\n]\n");
        throw e;
      }
      if (opts.json) writeData(ctx.out, first ? "[]\n" : "\n]\n");
      else {
        const total = items.length;
        ctx.out.stderr(
          `${total} message${total === 1 ? "" : "s"}: ${counts.valid} valid, ${counts.invalid} invalid, ${counts.error} unreadable${unsignedNote ? `; ${unsignedNote}` : ""}${at === "signing" ? " (validated at each signing time)" : ""}\n`,
        );
      }
      done(counts.valid === items.length ? 0 : 1);
    });
};
