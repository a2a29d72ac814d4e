import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { isExchangeExport, readExchangeExport } from "../../formats/exchange-export.js";
import {
  checkOutputPath,
  INPUT_LIMITS,
  type LoadOptions,
  loadCertificates,
  readInputFile,
  skippedSummary,
  writeFileAtomic,
} from "../../io/files.js";
import {
  checkMessageInputs,
  type MessageItem,
  measureInputs,
  messageItems,
  shardOf,
} from "../../io/message-stream.js";
import { openResults, type ResultsWriter, readResults } from "../../io/results-file.js";
import { ResumeIndex } from "../../io/resume-index.js";
import { contentHash, defaultJobs, verifyBatch } from "../../io/verify-pool.js";
import { listSome } from "../../lib/list.js";
import { oneLine } from "../../lib/text.js";
import type { Profile } from "../../path/types.js";
import {
  countsLine,
  type ResultFacts,
  resultFacts,
  SummaryBuilder,
  summaryDetails,
} from "../../smime/summary.js";
import type { VerifySetup } from "../../smime/verifier.js";
import { type LineFacts, verifyJson } from "../../smime/verify-json.js";
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
  jsonl?: string;
  summaryJson?: string;
  resume?: string;
  shard?: string;
}

/** The DESIGN.md JSON shape of one message, and nothing else (shared with serve: smime/verify-json.ts). */
export const toJson = verifyJson;

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
export function renderLine(out: Out, file: string, f: LineFacts): string {
  const p = f.problem;
  const m =
    f.verdict === "valid"
      ? p && p.severity === "warning"
        ? paint(out, "yellow", "! valid  ")
        : paint(out, "green", "✓ valid  ")
      : f.verdict === "error"
        ? paint(out, "red", "✗ error  ")
        : paint(out, "red", "✗ invalid");
  const signer = f.signer;
  const who = signer
    ? `${signer.name}${signer.email !== undefined ? ` <${signer.email}>` : ""}${f.signers > 1 ? ` +${f.signers - 1}` : ""}`
    : "";
  const subject = headerText(f.subject);
  let s = `${m} ${oneLine(file)}`;
  if (subject) s += `  "${truncate(oneLine(subject), 50)}"`;
  if (who) s += `  signed by ${paint(out, "bold", truncate(oneLine(who), 70))}`;
  if (signer?.part) s += ` (part ${signer.part})`;
  // One line per message (grep-friendly): the main problem and how to fix it go on the same line.
  if (p && (f.verdict !== "valid" || p.severity !== "info")) {
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

/** `--shard i/n`: 1-based, 1 <= i <= n. */
export function parseShard(v: string): { i: number; n: number } {
  const m = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(v);
  const i = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    const k = m && n >= 1 ? n : 4;
    throw new UsageError(
      `--shard: '${oneLine(v)}' is not i/n with 1 <= i <= n (shards count from 1: --shard 1/${k} ... --shard ${k}/${k})`,
    );
  }
  return { i, n };
}

/**
 * Runs `cleanUp` when the process is told to stop (SIGINT, SIGTERM, SIGHUP) and then stops it by that signal
 * again, with the signal's default action: the shell and a job runner see a run that was interrupted, as
 * without the handler (a script's loop stops on Ctrl-C). Returns the function that stops watching.
 */
function onInterrupt(cleanUp: (signal: NodeJS.Signals) => Promise<void>): () => void {
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const stop = () => {
    for (const s of signals) process.off(s, handler);
  };
  const handler = (signal: NodeJS.Signals) => {
    stop();
    void cleanUp(signal)
      .catch(() => {})
      .finally(() => process.kill(process.pid, signal));
  };
  for (const s of signals) process.on(s, handler);
  return stop;
}

interface ArchiveRun {
  shard?: { i: number; n: number };
  /** Messages already done (--resume): key -> content hash and what they add to the summary. */
  done?: ResumeIndex;
  jsonl?: ResultsWriter;
  jsonlTo?: "stdout" | "file";
}

/**
 * Checks --shard, --resume, --jsonl and --summary-json before anything is verified (exit 2 for a bad value, a
 * results file that cannot be read, an output that may not be written), reads the results to resume, and
 * opens the results stream: appended to the --resume file when it is the same file, a new file otherwise.
 */
async function openArchiveRun(opts: VerifyOpts, out: Out): Promise<ArchiveRun> {
  const run: ArchiveRun = {};
  if (opts.shard !== undefined) run.shard = parseShard(opts.shard);
  if (opts.json && opts.jsonl === "-")
    throw new UsageError("--json and --jsonl - both print on stdout: give --jsonl a file name");
  if (opts.summaryJson) checkOutputPath(opts.summaryJson, true);
  const same =
    opts.jsonl && opts.resume && opts.jsonl !== "-" && resolve(opts.jsonl) === resolve(opts.resume);
  let complete: number | undefined;
  if (opts.resume) {
    run.done = new ResumeIndex();
    // A missing file is the first run of a job that will be resumed.
    if (existsSync(opts.resume))
      complete = readResults(opts.resume, (r) => {
        run.done!.add(r.name, r.hash, resultFacts(r));
      }).complete;
    else complete = same ? undefined : 0;
  }
  if (opts.jsonl === "-") {
    run.jsonlTo = "stdout";
    run.jsonl = { write: (line) => writeData(out, line), close: () => {} };
  } else if (opts.jsonl) {
    run.jsonlTo = "file";
    if (same && complete !== undefined) {
      checkOutputPath(opts.jsonl, true);
      run.jsonl = openResults(opts.jsonl, complete);
    } else {
      if (existsSync(opts.jsonl))
        throw new UsageError(
          `--jsonl: '${oneLine(opts.jsonl)}' exists already; to go on with that run give --resume ${oneLine(opts.jsonl)} as well, or remove it`,
        );
      checkOutputPath(opts.jsonl);
      run.jsonl = openResults(opts.jsonl);
    }
  }
  return run;
}

/**
 * Leaves out the messages a results file already holds with the same content (--resume); they still count in
 * the summary and the exit status, through `onResumed`. A message whose bytes changed is verified again.
 */
async function* resumeFilter(
  items: AsyncIterable<MessageItem>,
  done: ArchiveRun["done"],
  onResumed: (facts: ResultFacts) => void,
): AsyncGenerator<MessageItem> {
  for await (const item of items) {
    const prev = done?.get(item.key);
    if (prev?.hash && item.bytes && contentHash(item.bytes) === prev.hash) {
      onResumed(prev.facts);
      continue;
    }
    yield item;
  }
}

/**
 * Reads up to `n` items ahead (to see whether a run is small), and the whole stream again with them first. It
 * waits for the first item (or the end), then for more only `moreWithinMs`: a stream that arrives slowly (stdin
 * from another program) is verified as it comes, not once `n` messages are in.
 */
async function prefetch<T>(
  items: AsyncIterable<T>,
  n: number,
  moreWithinMs: number,
): Promise<{ items: T[]; ended: boolean; all: AsyncIterable<T> }> {
  const it = items[Symbol.asyncIterator]();
  const got: T[] = [];
  let ended = false;
  /** A read still on its way when the time ran out: the stream goes on with it. */
  let pending: Promise<IteratorResult<T>> | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  while (got.length < n) {
    const next = it.next();
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r =
      left === Number.POSITIVE_INFINITY
        ? await next
        : await Promise.race([
            next,
            new Promise<"late">((resolve) => {
              timer = setTimeout(() => resolve("late"), Math.max(0, left));
            }),
          ]);
    clearTimeout(timer);
    if (r === "late") {
      pending = next;
      // Read later by `all`; until then a failure is not an unhandled rejection.
      next.catch(() => {});
      break;
    }
    if (r.done) {
      ended = true;
      break;
    }
    got.push(r.value);
    if (got.length === 1) deadline = Date.now() + moreWithinMs;
  }
  const all = async function* () {
    while (got.length) yield got.shift()!;
    if (ended) return;
    if (pending) {
      const r = await pending;
      if (r.done) return;
      yield r.value;
    }
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  };
  return { items: [...got], ended, all: all() };
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`
    : `${m}:${String(sec).padStart(2, "0")}`;
}

function mb(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

/**
 * The progress line on a terminal (stderr): messages done, rate and time left; the bar and the time left go by
 * bytes read of the inputs' total (one big mbox included); a stream on stdin shows the count and the rate.
 */
class Progress {
  /** From the first result (the rate leaves out start-up: reading the trust list, starting workers). */
  private start = 0;
  private bytesRead = 0;
  private bytesDone = 0;
  private last = 0;
  private shown = false;
  constructor(
    private readonly out: Out,
    private readonly inputs: { files: number; bytes: number; stdin: boolean },
  ) {}

  read(n: number): void {
    this.bytesRead += n;
  }

  private line(n: number, end: boolean): string {
    const secs = (Date.now() - this.start) / 1000;
    const rate = secs > 0 ? n / secs : 0;
    const known = !this.inputs.stdin && this.inputs.bytes > 0;
    const frac = end ? 1 : known ? Math.min(1, this.bytesDone / this.inputs.bytes) : 0;
    const parts: string[] = [];
    if (known) parts.push(progressBar(Math.round(frac * 1000), 1000).replace(/ \d+\/1000 $/, ""));
    parts.push(`${n.toLocaleString("en-US")} messages`);
    parts.push(`${Math.round(rate).toLocaleString("en-US")} msg/s`);
    if (known && this.inputs.files === 1) parts.push(`${mb(this.bytesRead)} of ${mb(this.inputs.bytes)}`);
    if (known && !end && frac > 0) parts.push(`ETA ${duration((secs * (1 - frac)) / frac)}`);
    if (end) parts.push(`in ${duration(secs)}`);
    return parts.join("  ");
  }

  /** Large runs only: many files, a big file, or a stream of more than a few messages. */
  private wanted(n: number): boolean {
    return this.inputs.files >= 50 || this.inputs.bytes >= 32 * 1024 * 1024 || n >= 50;
  }

  done(n: number, bytes: number): void {
    if (this.start === 0) this.start = Date.now();
    this.bytesDone += bytes;
    const t = Date.now();
    if (t - this.last < 100 || !this.wanted(n)) return;
    this.last = t;
    this.shown = true;
    writeControl(this.out, `\r\u001b[K${this.line(n, false)}`);
  }

  clear(): void {
    if (this.shown) writeControl(this.out, "\r\u001b[K");
    this.shown = false;
  }

  finish(n: number): void {
    if (!this.wanted(n)) return;
    writeControl(this.out, `\r\u001b[K${this.line(n, true)}\n`);
  }
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
      ".eml files, folders (recursive), Maildir, mbox files, Outlook .msg and .pst files, .p7m/.p7s, or - for stdin",
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
    .option(
      "--jobs <n>",
      "threads verifying (default: one per core): n - 1 worker threads, and the main thread helps; 1 = no workers",
    )
    .option("--strict", "also reject certificates that break RFC 5280 profile rules mail clients tolerate")
    .option("--password <password>", "PKCS#12 password for --trust/--untrusted (or SMIMETRUST_PFX_PASSWORD)")
    .option(
      "--skip-unreadable",
      "leave out certificate files in --trust/--untrusted/--crl folders that cannot be read instead of stopping",
    )
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print JSON (an array, one object per message)")
    .option(
      "--jsonl <file>",
      "write one JSON object per message to FILE as each is known (- for stdout); with --resume FILE, appended to it",
    )
    .option("--summary-json <file>", "write the run's summary (counts, top failures) as JSON to FILE")
    .option(
      "--resume <file>",
      "skip messages already in this --jsonl results file (same key and content hash); a missing file is an empty one",
    )
    .option(
      "--shard <i/n>",
      "verify only share i of n (1-based) of the messages, chosen by a hash of each message's key",
    )
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
      checkMessageInputs(inputs);
      const archive = await openArchiveRun(opts, ctx.out);

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

      const summary = new SummaryBuilder();
      const stderrTTY = ctx.out.stderrIsTTY ?? Boolean(process.stderr.isTTY);
      const progress =
        !opts.json && archive.jsonlTo !== "stdout" && stderrTTY
          ? new Progress(ctx.out, measureInputs(inputs))
          : undefined;
      let skipped = 0;
      /** Items archive readers left out (unsigned ones), by reason. */
      const skippedItems = new Map<string, number>();
      let resumed = 0;
      const stream = resumeFilter(
        messageItems(inputs, {
          stdin: ctx.stdin,
          want: archive.shard ? (key) => shardOf(key, archive.shard!.n) === archive.shard!.i - 1 : undefined,
          onSkip: () => skipped++,
          onSkipItem: (_name, why) => skippedItems.set(why, (skippedItems.get(why) ?? 0) + 1),
          onRead: (n) => progress?.read(n),
        }),
        archive.done,
        (facts) => {
          resumed++;
          summary.add(facts);
        },
      );
      // Starting workers costs more than a small batch takes: by default they are used from 64 messages on (or
      // when more keep coming after 200 ms). With --jobs, the first message is enough (is there any?).
      let head: Awaited<ReturnType<typeof prefetch<MessageItem>>>;
      try {
        head = await prefetch(stream, jobsOpt === undefined ? 64 : 1, 200);
      } catch (e) {
        archive.jsonl?.discard?.();
        throw e;
      }
      const jobs = jobsOpt ?? (head.ended ? 1 : defaultJobs());
      const noteSkipped = () => {
        if (skipped > 0)
          ctx.out.stderr(
            `note: skipped ${skipped} file${skipped === 1 ? "" : "s"} in folders that ${skipped === 1 ? "is" : "are"} not mail (certificates, CRLs, keys, scripts)\n`,
          );
      };
      // "2 unsigned Outlook items skipped": on the counts line, else (--json, nothing to verify) a note.
      const skippedItemsText = () =>
        [...skippedItems].map(([why, n]) => `${n} ${oneLine(why)}${n === 1 ? "" : "s"} skipped`).join("; ");
      if (head.items.length === 0 && resumed === 0 && !archive.shard) {
        noteSkipped();
        archive.jsonl?.discard?.();
        const items = skippedItemsText();
        throw new UsageError(`no messages to verify${items ? ` (${items})` : ""}`);
      }

      // JSON: the array opens with the first result, and closes even when the run stops part-way (exit 2, the
      // reason on stderr), so stdout always holds one JSON document.
      let first = true;
      // A run stopped by a signal (Ctrl-C; a Kubernetes pod stopped) writes the results its file holds back, so
      // that --resume goes on after the last message verified.
      const stopWatching =
        archive.jsonlTo === "file"
          ? onInterrupt(async (signal) => {
              archive.jsonl!.close();
              const n = summary.messages - resumed;
              ctx.out.stderr(
                `smimetrust: interrupted (${signal}): the results of ${n} message${n === 1 ? "" : "s"} verified are in ${oneLine(opts.jsonl!)}; give --resume ${oneLine(opts.jsonl!)} to go on\n`,
              );
              await ctx.out.flush?.();
            })
          : undefined;
      try {
        /**
         * A results line (--jsonl) around the record's members as JSON text (`"file":...,"verdict":...`): index,
         * name, item, hash, the --json members, sender.
         */
        const jsonlLine = (
          item: MessageItem,
          hash: string | undefined,
          members: string,
          sender: string | null,
        ) => {
          const item_ = item.item !== undefined ? `,"item":${JSON.stringify(item.item)}` : "";
          return `{"index":${item.position},"name":${JSON.stringify(item.key)}${item_},"hash":${JSON.stringify(hash ?? null)},${members},"sender":${JSON.stringify(sender)}}\n`;
        };
        /** The --json record's members as JSON text: its file, then the verdict, problems and signers. */
        const membersOf = (item: MessageItem, fields: string) =>
          `"file":${JSON.stringify(item.name)},${fields}`;
        const jsonRecord = (recJson: string) => {
          writeData(ctx.out, `${first ? "[\n" : ",\n"}${recJson}`);
          first = false;
        };
        // The HTTP client (and Node's http, https and tls with it) loads only for a run that fetches.
        const createHttpFetcher = setup.online
          ? (await import("../../io/http-fetcher.js")).createHttpFetcher
          : undefined;
        const common = {
          jobs,
          // Files are read in runs of 32 before they are verified (cheaper: the caches stay warm for each); a
          // stream on stdin is verified message by message, as it arrives.
          readRun: inputs.includes("-") ? 1 : 32,
          hash: archive.jsonl !== undefined,
          fetcherFactory: createHttpFetcher && (() => createHttpFetcher(setup.fetchOptions ?? {})),
        };
        // Each result arrives rendered by the thread that verified it, as the outputs need it: the JSON text
        // (--json, --jsonl), the facts of the text line (text output), both (text output and --jsonl FILE).
        const textLines = !(opts.json === true || archive.jsonlTo === "stdout");
        await verifyBatch(head.all, setup, {
          ...common,
          render: { fields: opts.json === true || archive.jsonl !== undefined, line: textLines },
          onRendered: (_i, item: MessageItem, x, info) => {
            summary.add(x.facts);
            const members = x.fields !== undefined ? membersOf(item, x.fields) : "";
            archive.jsonl?.write(jsonlLine(item, info.hash, members, x.sender));
            if (opts.json) jsonRecord(`{${members}}`);
            if (textLines) {
              progress?.clear();
              ctx.out.stdout(renderLine(ctx.out, item.name, x.line!));
            }
            progress?.done(summary.messages - resumed, info.size);
            return ctx.out.caughtUp?.();
          },
        });
      } catch (e) {
        if (opts.json && !first) writeData(ctx.out, "\n]\n");
        archive.jsonl?.discard?.();
        throw e;
      } finally {
        stopWatching?.();
        archive.jsonl?.close();
      }
      progress?.finish(summary.messages - resumed);
      if (opts.json) writeData(ctx.out, first ? "[]\n" : "\n]\n");
      const result = summary.toJson();
      if (opts.summaryJson)
        writeFileAtomic(opts.summaryJson, `${JSON.stringify(result, null, 2)}\n`, { force: true });
      noteSkipped();
      if (opts.json && skippedItems.size) ctx.out.stderr(`note: ${skippedItemsText()}\n`);
      if (!opts.json) {
        if (resumed > 0)
          ctx.out.stderr(
            `resumed: ${resumed} message${resumed === 1 ? "" : "s"} already in ${oneLine(opts.resume!)}\n`,
          );
        const detailed = result.messages >= 50 || opts.jsonl || opts.resume || opts.shard;
        if (detailed && result.verdicts.valid < result.messages) ctx.out.stderr(summaryDetails(result));
        ctx.out.stderr(
          `${countsLine(result)}${skippedItems.size ? `; ${skippedItemsText()}` : ""}${at === "signing" ? " (validated at each signing time)" : ""}${archive.shard ? ` (shard ${archive.shard.i}/${archive.shard.n})` : ""}\n`,
        );
      }
      done(summary.count("valid") === summary.messages ? 0 : 1);
    });
};
