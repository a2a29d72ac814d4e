/**
 * Outlook inputs for verify: a .msg file (one item; read by @kenjiuno/msgreader) and a PST data file (every
 * message in every folder; read by pst-extractor, through its file descriptor, so a PST of any size is never
 * read whole). Each item goes to formats/outlook-item.ts, which gives back the RFC 5322 bytes of the signed
 * mail it was; unsigned items are reported through `onUnsigned` and skipped.
 *
 * Item names: `<file>.msg` for a .msg; `<file>.pst#/<folder>/<folder>/<n>` for a message in a PST, where the
 * folders are the display names from the top of the data file ("/" in a name written "%2F") and n is the
 * message's 1-based position in its folder's contents table (stable for a given file).
 *
 * The readers are loaded on first use (require), so a run without Outlook files never pays for them.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { LimitExceededError, MalformedInputError, SmimetrustError } from "../errors.js";
import { checkCompoundFile } from "../formats/cfb.js";
import { type OutlookAttachment, type OutlookItem, outlookItemToMail } from "../formats/outlook-item.js";
import { checkPstStructure, PST_LAYOUTS, readPstHeader } from "../formats/pst.js";
import { checkInputFile, INPUT_LIMITS, openForReading, readInputFile } from "./files.js";
import type { ArchiveMessage, ArchiveReader } from "./message-stream.js";
import { loadPstExtractor } from "./pst-reader.js";

type MsgReaderModule = typeof import("@kenjiuno/msgreader");
type PstModule = typeof import("pst-extractor");
type PSTFolder = import("pst-extractor").PSTFolder;
type PSTMessage = import("pst-extractor").PSTMessage;

const require = createRequire(import.meta.url);

/**
 * One signed item (its mail bytes), or one that could not be read (verified as an error with this reason).
 * `item` is where it sits in a PST (the part of `name` after `#`: folder path and position), for results that
 * key messages inside an archive; absent for a .msg (the file is the item).
 */
export type OutlookEntry = { name: string; item?: string } & ({ bytes: Uint8Array } | { error: string });

export interface OutlookOptions {
  /** Called for each item that is not S/MIME (a plain note, a meeting request, a contact): skipped. */
  onUnsigned?: (name: string) => void;
  /** The largest item (its smime.p7m) read; default INPUT_LIMITS.maxMessageBytes. */
  maxItemBytes?: number;
  /** The file's first bytes (at least 8), when the caller has read them already. */
  head?: Uint8Array;
}

/** Compound File Binary (OLE2) signature: every .msg starts with it. */
const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
/** "!BDN": every PST (and OST) starts with it. */
const PST_MAGIC = [0x21, 0x42, 0x44, 0x4e];

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** The Outlook kind of a file, by its first bytes, else by its extension; undefined for anything else. */
export function outlookKind(file: string, head?: Uint8Array): "msg" | "pst" | undefined {
  if (head && startsWith(head, PST_MAGIC)) return "pst";
  if (head && startsWith(head, CFB_MAGIC)) return "msg";
  if (/\.(pst|ost)$/i.test(file)) return "pst";
  if (/\.msg$/i.test(file)) return "msg";
  return undefined;
}

/**
 * True for a file to read as Outlook data, given its first bytes (at least 16): one that starts like a .msg
 * (CFB) or a PST, or one named .msg, .pst or .ost that does not hold Internet mail instead (some tools save an
 * .eml under a .msg name): a damaged or cut Outlook file is then reported as such, not as a message without a
 * signature. Named as Internet mail or CMS, never.
 */
export function isOutlookHead(file: string, head: Uint8Array): boolean {
  if (/\.(eml|mbox|p7m|p7s)$/i.test(file)) return false;
  if (startsWith(head, PST_MAGIC) || startsWith(head, CFB_MAGIC)) return true;
  if (!/\.(msg|pst|ost)$/i.test(file)) return false;
  const text = Buffer.from(head).toString("latin1");
  return !(/^[!-9;-~]+:/.test(text) || text.startsWith("From "));
}

/** The first bytes of a file (empty when it cannot be read: the caller's own read reports that). */
export function fileHead(file: string, n = 8): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openForReading(file);
    const head = Buffer.alloc(n);
    return head.subarray(0, readSync(fd, head, 0, n, 0));
  } catch {
    return new Uint8Array(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The signed items of an Outlook file (.msg or PST), in order, as mail bytes. A file that is not a readable
 * .msg or PST throws a MalformedInputError naming it (one line; the CLI exits 2); an item inside a PST that
 * cannot be read is an entry with `error` instead, so the rest of the archive is still verified.
 */
export function* outlookItems(file: string, opts: OutlookOptions = {}): Generator<OutlookEntry> {
  const kind = outlookKind(file, opts.head ?? fileHead(file));
  if (kind === "pst") yield* pstItems(file, opts);
  else yield* msgItems(file, opts);
}

/** A reader's value when it is text (a damaged item may hold a number or bytes where text belongs). */
function text(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function malformed(file: string, what: string, e?: unknown, offset?: number): MalformedInputError {
  // A reader's own message says what it found; a JavaScript fault inside it (reading past the end) says only
  // that the structure is damaged.
  const plain = e instanceof Error && !(e instanceof TypeError || e instanceof RangeError) && e.message;
  const why = plain ? `: ${e.message.split("\n")[0].slice(0, 200)}` : " (damaged or truncated)";
  return new MalformedInputError(`${what}${why}`, { file, offset, cause: e });
}

/** Runs a reader call with console output silenced (pst-extractor logs its errors to stdout/stderr). */
function quiet<T>(fn: () => T): T {
  const c = console as unknown as Record<string, unknown>;
  const saved = ["log", "error", "warn", "info", "debug"].map((k) => [k, c[k]] as const);
  for (const [k] of saved) c[k] = () => {};
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) c[k] = v;
  }
}

function* msgItems(file: string, opts: OutlookOptions): Generator<OutlookEntry> {
  const max = opts.maxItemBytes ?? INPUT_LIMITS.maxMessageBytes;
  const buf = readInputFile(file, max);
  if (!startsWith(buf, CFB_MAGIC))
    throw new MalformedInputError(
      "is not an Outlook .msg file (no Compound File signature D0 CF 11 E0 at its start)",
      { file, offset: 0 },
    );
  try {
    checkCompoundFile(buf);
  } catch (e) {
    throw e instanceof SmimetrustError ? e.withFile(file) : e;
  }
  const item = quiet(() => {
    try {
      const mod = require("@kenjiuno/msgreader") as MsgReaderModule;
      const MsgReader = (mod as unknown as { default: MsgReaderModule["default"] }).default;
      const reader = new MsgReader(new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
      const data = reader.getFileData();
      if (data.error) throw new Error(data.error);
      const attachments: OutlookAttachment[] = [];
      for (const a of data.attachments ?? []) {
        if (a.innerMsgContent) continue; // an attached Outlook item is not the S/MIME part
        const content = reader.getAttachment(a).content;
        attachments.push({
          fileName: text(a.fileName) ?? text(a.fileNameShort),
          mimeTag: text(a.attachMimeTag),
          bytes: content instanceof Uint8Array ? content : undefined,
        });
      }
      const out: OutlookItem = {
        messageClass: text(data.messageClass),
        transportHeaders: text(data.headers),
        senderEmail: text(data.senderSmtpAddress) || text(data.senderEmail),
        senderName: text(data.senderName),
        subject: text(data.subject),
        attachments,
      };
      return out;
    } catch (e) {
      throw malformed(file, "cannot read the Outlook .msg file", e);
    }
  });
  const mail = outlookItemToMail(item);
  if (mail.kind === "unsigned") opts.onUnsigned?.(file);
  else if (mail.kind === "broken") yield { name: file, error: mail.reason };
  else yield { name: file, bytes: mail.bytes };
}

/** The PST's header and B-trees checked (formats/pst.ts) before pst-extractor walks them. */
function checkPst(file: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const size = fstatSync(fd).size;
    const read = (at: number, n: number) => {
      const buf = Buffer.alloc(n);
      return buf.subarray(0, readSync(fd!, buf, 0, n, at));
    };
    const header = readPstHeader(read(0, 564));
    const page = PST_LAYOUTS[header.format].size;
    checkPstStructure(header, size, (ib) => read(ib, page));
  } catch (e) {
    if (e instanceof SmimetrustError) throw e.withFile(file);
    throw malformed(file, "cannot read the Outlook PST file", e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const segment = (s: string) => (s || "(no name)").replace(/%/g, "%25").replace(/\//g, "%2F");

function* pstItems(file: string, opts: OutlookOptions): Generator<OutlookEntry> {
  checkInputFile(file);
  checkPst(file);
  const max = opts.maxItemBytes ?? INPUT_LIMITS.maxMessageBytes;
  const { PSTFile } = loadPstExtractor();
  let pst: InstanceType<PstModule["PSTFile"]>;
  let root: PSTFolder;
  try {
    pst = quiet(() => new PSTFile(file));
    root = quiet(() => pst.getRootFolder());
  } catch (e) {
    throw malformed(file, "cannot read the Outlook PST file", e);
  }
  try {
    // Depth-first, folders in the order of their hierarchy table; a folder's messages before its subfolders.
    const stack: { folder: PSTFolder; path: string; depth: number }[] = [
      { folder: root, path: "", depth: 0 },
    ];
    // Folders by node id: a hierarchy table that lists a folder twice, or an ancestor (a damaged file), is walked
    // once.
    const visited = new Set<number>();
    while (stack.length) {
      const { folder, path, depth } = stack.pop()!;
      const nid = folder.descriptorNodeId?.toNumber?.();
      if (typeof nid === "number") {
        if (visited.has(nid)) {
          yield { name: `${file}#${path}/`, item: `${path}/`, error: "a folder listed more than once" };
          continue;
        }
        visited.add(nid);
      }
      yield* folderItems(file, folder, path, max, opts);
      if (depth >= 64) continue;
      let subs: PSTFolder[];
      try {
        subs = folder.hasSubfolders ? quiet(() => folder.getSubFolders()) : [];
      } catch (e) {
        if (path === "") throw malformed(file, "cannot read the PST's folder hierarchy", e);
        yield { name: `${file}#${path}/`, item: `${path}/`, error: `cannot read the subfolders of ${path}` };
        continue;
      }
      for (let i = subs.length - 1; i >= 0; i--)
        stack.push({
          folder: subs[i],
          path: `${path}/${segment(text(subs[i].displayName) ?? "")}`,
          depth: depth + 1,
        });
    }
  } finally {
    quiet(() => pst.close());
  }
}

function* folderItems(
  file: string,
  folder: PSTFolder,
  path: string,
  max: number,
  opts: OutlookOptions,
): Generator<OutlookEntry> {
  // How many messages: the rows of the folder's contents table (what pst-extractor reads them from), not the
  // folder's own count, which a damaged file may give as billions.
  const cursor = folder as unknown as {
    currentEmailIndex: number;
    emailsTable?: { rowCount: number } | null;
    fallbackEmailsTable?: unknown[] | null;
  };
  let count = 0;
  try {
    count = quiet(() => {
      if (folder.contentCount <= 0) return 0;
      folder.moveChildCursorTo(0); // reads the contents table
      const rows = cursor.emailsTable?.rowCount ?? cursor.fallbackEmailsTable?.length ?? 0;
      return Number.isFinite(rows) ? rows : 0;
    });
  } catch {
    yield { name: `${file}#${path}/`, item: `${path}/`, error: "the folder's contents table cannot be read" };
    return;
  }
  for (let i = 0; i < count; i++) {
    const item = `${path}/${i + 1}`;
    const name = `${file}#${item}`;
    let msg: PSTMessage;
    try {
      msg = quiet(() => {
        folder.moveChildCursorTo(i);
        const child = folder.getNextChild() as PSTMessage | null;
        // pst-extractor steps over a message it cannot load (and logs it), returning the next one, or nothing
        // when it was the folder's last: either way that one is an error here, never silently left out.
        if (!child || (typeof cursor.currentEmailIndex === "number" && cursor.currentEmailIndex > i + 1))
          throw new Error("damaged or missing");
        return child;
      });
    } catch (e) {
      yield { name, item, error: `the PST item cannot be loaded (${(e as Error).message.split("\n")[0]})` };
      continue;
    }
    let outlook: OutlookItem;
    try {
      outlook = quiet(() => pstItem(msg, max, name));
    } catch (e) {
      if (e instanceof LimitExceededError) {
        yield { name, item, error: e.message };
        continue;
      }
      const why = e instanceof SmimetrustError ? e.message : (e as Error).message.split("\n")[0];
      yield { name, item, error: `the PST item cannot be read (${why})` };
      continue;
    }
    const mail = outlookItemToMail(outlook);
    if (mail.kind === "unsigned") opts.onUnsigned?.(name);
    else if (mail.kind === "broken") yield { name, item, error: mail.reason };
    else yield { name, item, bytes: mail.bytes };
  }
}

function pstItem(msg: PSTMessage, max: number, name: string): OutlookItem {
  const messageClass = msg.messageClass;
  const attachments: OutlookAttachment[] = [];
  // Only an S/MIME item's attachments are read: the others are skipped unread.
  if (/^ipm\.note\.smime/i.test(text(messageClass) ?? "")) {
    const n = msg.numberOfAttachments;
    for (let i = 0; i < n; i++) {
      const a = msg.getAttachment(i);
      const stream = a.fileInputStream;
      let bytes: Uint8Array | undefined;
      if (stream) {
        const len = stream.length.toNumber();
        if (len > max)
          throw new LimitExceededError(
            `attachment ${a.longFilename || a.filename} is larger than the limit of ${max.toLocaleString("en-US")} bytes`,
            { file: name },
          );
        const b = Buffer.alloc(len);
        stream.readCompletely(b);
        bytes = b;
      }
      attachments.push({
        fileName: text(a.longFilename) || text(a.filename),
        mimeTag: text(a.mimeTag),
        bytes,
      });
    }
  }
  return {
    messageClass: text(messageClass),
    transportHeaders: text(msg.transportMessageHeaders),
    senderEmail: text(msg.senderEmailAddress),
    senderName: text(msg.senderName),
    subject: text(msg.subject),
    attachments,
  };
}

/**
 * The Outlook reader of the message stream (io/message-stream.ts): each signed item of a .msg or PST with its
 * own name (`archive.pst#/Folder/3`) and key (its place in the PST); unsigned items are counted as skipped. A
 * file that is not a readable .msg or PST stops the run when it was named directly (exit 2, one line) and is an
 * error result when it was found in a folder.
 */
export const outlookArchive: ArchiveReader = (file, head, fromFolder) => {
  if (!isOutlookHead(file, head)) return undefined;
  return (function* (): Generator<ArchiveMessage> {
    let unsigned = 0;
    const skips = function* (): Generator<ArchiveMessage> {
      for (; unsigned > 0; unsigned--) yield { id: "unsigned", skip: "unsigned Outlook item" };
    };
    try {
      for (const e of outlookItems(file, { head, onUnsigned: () => unsigned++ })) {
        yield* skips();
        const id = e.item ?? 0;
        yield "error" in e
          ? { id, name: e.name, error: new MalformedInputError(e.error, { file: e.name }) }
          : { id, name: e.name, bytes: e.bytes };
      }
    } catch (err) {
      if (!(fromFolder && err instanceof SmimetrustError)) throw err;
      yield { id: 0, name: file, error: err };
      return;
    }
    yield* skips();
  })();
};
