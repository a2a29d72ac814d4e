/**
 * The messages `verify` reads, as a stream: files, folders (recursive, Maildir by layout), mbox archives of
 * any size (read through a fixed buffer, one message at a time), and '-' (stdin: an mbox stream, or a single
 * message). Nothing is read before it is asked for, so a consumer that pulls slowly (verify-pool's window)
 * bounds the memory: the largest message plus a constant.
 *
 * Every message has a display name (`file` in --json: the path, or `archive#N` for a message of an mbox that
 * holds several), a stable key that results are stored by (the path; `archive@offset` in an mbox; the Maildir
 * folder plus the unique name), and its position in the whole input (0-based), which shards and resumed runs
 * keep.
 */
import { createHash } from "node:crypto";
import { closeSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { Readable } from "node:stream";
import { FileAccessError, LimitExceededError, SmimetrustError } from "../errors.js";
import { isMbox, MboxSplitter, type MboxStreamMessage } from "../mime/mbox.js";
import {
  checkInputFile,
  checkOpenFile,
  type FolderEntry,
  fileError,
  folderEntries,
  INPUT_LIMITS,
  openForReading,
  openInputFile,
  readStdin,
} from "./files.js";
import { isMaildir, maildirMessages, maildirSubfolders } from "./maildir.js";
import { outlookArchive } from "./outlook.js";
import type { BatchItem } from "./verify-pool.js";

export interface MessageItem extends BatchItem {
  /** Display name: the path, `archive#N` (an mbox of several messages), `<stdin>`. */
  name: string;
  /** The stable key results are stored and sharded by. */
  key: string;
  /** Position in the whole input, 0-based (counting messages a shard or a resumed run leaves out). */
  position: number;
  /** For a message inside an archive: its byte offset (mbox). */
  item?: number;
}

export interface StreamOptions {
  /** What '-' reads. */
  stdin?: NodeJS.ReadableStream;
  /** The read buffer for archives (default 1 MiB; tests pass a tiny one). */
  bufferSize?: number;
  /** The cap on one message (default INPUT_LIMITS.maxMessageBytes); a larger one is an error result. */
  maxMessageBytes?: number;
  /** Only messages whose key this accepts are read and yielded (a shard); the others still count positions. */
  want?: (key: string) => boolean;
  /** A file in a folder that is not mail (a certificate, a script): skipped. */
  onSkip?: (name: string) => void;
  /** An item an archive reader says is not to be verified (unsigned), and why. */
  onSkipItem?: (name: string, why: string) => void;
  /** Bytes read from the inputs (progress). */
  onRead?: (bytes: number) => void;
}

/**
 * Files found in folders that are certificates, CRLs, keys or other non-mail files (a CA certificate kept
 * beside the mail): skipped, not reported as unreadable messages. A file named directly is always verified.
 */
export const NOT_MAIL =
  /\.(pem|cer|crt|der|crl|sst|p7b|p7c|pfx|p12|key|csr|json|jsonl|md|ts|js|mjs|cjs|ps1|sh|py)$/i;

/** Files read whole in one go (mbox detection included); larger ones are looked at first. */
const SMALL_FILE = 1024 * 1024;

/** The shard (0-based) a key falls in, out of n: the first 32 bits of SHA-256(key), modulo n. */
export function shardOf(key: string, n: number): number {
  return createHash("sha256").update(key, "utf8").digest().readUInt32BE(0) % n;
}

/**
 * Refuses, before anything is read, inputs that cannot be read: a missing path, a device or pipe named as a
 * message (exit 2 at once rather than part-way through a long run).
 */
export function checkMessageInputs(inputs: readonly string[]): void {
  for (const input of inputs) {
    if (input === "-") continue;
    let st: Stats;
    try {
      st = statSync(input);
    } catch {
      checkInputFile(input); // throws the one-line reason
      continue;
    }
    if (!st.isDirectory()) checkInputFile(input);
  }
}

/** What the inputs hold, for progress: regular files and their bytes (stdin unknown). */
export function measureInputs(inputs: readonly string[]): { files: number; bytes: number; stdin: boolean } {
  const m = { files: 0, bytes: 0, stdin: false };
  for (const input of inputs) {
    if (input === "-") {
      m.stdin = true;
      continue;
    }
    for (const f of walk(input)) {
      if (f.fromFolder && !f.maildir && NOT_MAIL.test(f.path)) continue;
      m.files++;
      try {
        m.bytes += statSync(f.path).size;
      } catch {
        /* counted as unreadable later */
      }
    }
  }
  return m;
}

interface Walked {
  path: string;
  fromFolder: boolean;
  /** The key of a Maildir message. */
  maildir?: string;
  /** The folder listing said it is a regular file. */
  listedRegular?: boolean;
}

/**
 * The files an input names, lazily: the file itself, or every file under a folder (sorted, recursive, hidden
 * entries skipped; a Maildir by its layout). Links are followed; a folder reached twice is walked once.
 */
function* walk(path: string): Generator<Walked> {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  if (!st.isDirectory()) {
    yield { path, fromFolder: false };
    return;
  }
  const visited = new Set<string>();
  function* dir(d: string): Generator<Walked> {
    let real: string;
    try {
      real = realpathSync(d);
    } catch {
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    if (isMaildir(d)) {
      for (const m of maildirMessages(d)) yield { path: m.path, fromFolder: true, maildir: m.key };
      for (const sub of maildirSubfolders(d)) yield* dir(sub);
      return;
    }
    let entries: Iterable<FolderEntry>;
    try {
      entries = folderEntries(d);
    } catch (e) {
      throw new FileAccessError(`cannot read: ${(e as Error).message}`, { file: d });
    }
    for (const e of entries) {
      if (e.isDir) yield* dir(e.path);
      else yield { path: e.path, fromFolder: true, listedRegular: true };
    }
  }
  yield* dir(path);
}

/** Reads `length` bytes at `position` of an open file into a buffer of its own (fewer if the file shrank). */
function readAt(fd: number, length: number, position: number): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Small messages are read straight into a shared buffer, each keeping a view of its bytes (no buffer of its
 * own, no fstat): on a folder of 50,000 messages, allocating and fstat-ing cost as much CPU as the reads.
 */
class ReadArena {
  /** 256 KiB: fresh 1 MiB buffers cost 0.2 s more of page faults per 50,000 files than these (measured). */
  static readonly SIZE = 256 * 1024;
  /** The most read this way; a larger file goes the long way (checked, then read into a buffer of its own). */
  static readonly LIMIT = 64 * 1024;
  private buf = Buffer.allocUnsafeSlow(ReadArena.SIZE);
  private used = 0;

  /**
   * The whole of an open regular file if it holds at most LIMIT bytes, else undefined. One read of LIMIT + 1
   * bytes: a regular file gives fewer only at its end, and a device that fills it goes the long way, where it
   * is refused.
   */
  readWhole(fd: number): Uint8Array | undefined {
    if (this.buf.length - this.used <= ReadArena.LIMIT) {
      this.buf = Buffer.allocUnsafeSlow(ReadArena.SIZE);
      this.used = 0;
    }
    const n = readSync(fd, this.buf, this.used, ReadArena.LIMIT + 1, 0);
    if (n > ReadArena.LIMIT) return undefined;
    const view = this.buf.subarray(this.used, this.used + n);
    // Views start on 8-byte boundaries (typed-array views of them stay possible).
    this.used += (n + 7) & ~7;
    return view;
  }
}
const arena = new ReadArena();

function tooLarge(path: string, size: number, max: number): LimitExceededError {
  return new LimitExceededError(
    `the message is ${size.toLocaleString("en-US")} bytes, larger than the limit of ${max.toLocaleString("en-US")} bytes`,
    { file: path },
  );
}

/** Reads a whole message file (again): the loader of a plain file's item. */
export function readMessageFile(path: string, max: number): Uint8Array {
  const { fd, size } = openInputFile(path);
  try {
    if (size > max) throw tooLarge(path, size, max);
    return readAt(fd, size, 0);
  } finally {
    closeSync(fd);
  }
}

/** Reads one mbox message again from its range of the archive (for a worker that stopped holding it). */
function rereadMboxMessage(
  path: string,
  offset: number,
  end: number,
  last: boolean,
  max: number,
): Uint8Array {
  const { fd } = openInputFile(path);
  let range: Uint8Array;
  try {
    range = readAt(fd, end - offset, offset);
  } finally {
    closeSync(fd);
  }
  const sp = new MboxSplitter(max);
  const got = [...sp.push(range), ...(last ? sp.end() : sp.push(Buffer.from("From \n")))];
  if (!got[0]?.bytes)
    throw new FileAccessError("cannot read the message again: the archive changed", { file: path });
  return got[0].bytes;
}

/**
 * Names the messages of one archive: `archive#N` when it holds several, the archive's own name when it holds
 * one (a message comes out of the splitter when the next one starts, or at the end as the last).
 */
async function* archiveItems(
  source: AsyncIterable<MboxStreamMessage & { end: number; last: boolean }>,
  label: string,
  keyBase: string,
  position: { n: number },
  opts: StreamOptions,
  max: number,
  reread?: (m: MboxStreamMessage & { end: number; last: boolean }) => Uint8Array,
): AsyncGenerator<MessageItem> {
  for await (const m of source) {
    const key = `${keyBase}@${m.offset}`;
    const pos = position.n++;
    if (opts.want && !opts.want(key)) continue;
    const name = m.index === 1 && m.last ? label : `${label}#${m.index}`;
    const item: MessageItem = { name, key, position: pos, item: m.offset };
    if (m.bytes) {
      item.bytes = m.bytes;
      item.owned = true;
      if (reread) item.load = () => reread(m);
    } else {
      const size = m.size;
      item.load = () => {
        throw tooLarge(name, size, max);
      };
    }
    yield item;
  }
}

/** The messages of an mbox stream, each with where it ends and whether it is the last. */
async function* splitStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  max: number,
): AsyncGenerator<MboxStreamMessage & { end: number; last: boolean }> {
  const sp = new MboxSplitter(max);
  let total = 0;
  for await (const c of chunks) {
    total += c.byteLength;
    // A message comes out of the splitter when the next one starts: it is not the last, it ends where the
    // next begins, and it goes on at once (a stream on stdin is verified as it arrives, not a message late).
    const done = sp.push(c);
    for (let i = 0; i < done.length; i++)
      yield { ...done[i], end: i + 1 < done.length ? done[i + 1].offset : sp.readingFrom!, last: false };
  }
  const rest = sp.end();
  for (let i = 0; i < rest.length; i++)
    yield { ...rest[i], end: i + 1 < rest.length ? rest[i + 1].offset : total, last: i + 1 === rest.length };
}

/** An open file's bytes from `start`, through one fixed buffer (reused: the splitter copies what it keeps). */
function* fileChunks(
  fd: number,
  head: Uint8Array,
  bufferSize: number,
  onRead?: (n: number) => void,
): Generator<Uint8Array> {
  if (head.byteLength) yield head;
  const buf = Buffer.allocUnsafeSlow(bufferSize);
  let pos = head.byteLength;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) return;
    pos += n;
    onRead?.(n);
    yield buf.subarray(0, n);
  }
}

/** A message another kind of archive holds: its id in the archive (stable), and its bytes or why not. */
export interface ArchiveMessage {
  id: string | number;
  /** The item's own display name (default `path#N`, or the path when the file holds one message). */
  name?: string;
  bytes?: Uint8Array;
  error?: Error;
  /** Not a message to verify: why, as a singular noun phrase ("unsigned Outlook item"), counted through
   * `onSkipItem` and shown as "N unsigned Outlook items skipped". */
  skip?: string;
}

/**
 * A reader for files that hold messages of another kind (Outlook .msg, .pst): given the path and the file's
 * first bytes (all of it up to 1 MiB, else at least 16), the messages of the file, or undefined when the
 * file is not its kind. Each message gets the key `path@id`, and the name `path#N` (N from 1) when the file
 * holds several, the path itself when one.
 */
export type ArchiveReader = (
  path: string,
  head: Uint8Array,
  fromFolder: boolean,
) => Iterable<ArchiveMessage> | AsyncIterable<ArchiveMessage> | undefined;

/** The readers consulted before a file is taken as an mbox or a message (Outlook readers go here). */
export const ARCHIVE_READERS: ArchiveReader[] = [outlookArchive];

/** The items of a file another reader split: named and keyed as mbox messages are. */
async function* readerItems(
  path: string,
  key: string,
  messages: Iterable<ArchiveMessage> | AsyncIterable<ArchiveMessage>,
  position: { n: number },
  opts: StreamOptions,
): AsyncGenerator<MessageItem> {
  let held: ArchiveMessage | undefined;
  let n = 0;
  const item = (m: ArchiveMessage, last: boolean): MessageItem | undefined => {
    n++;
    const k = `${key}@${m.id}`;
    const pos = position.n++;
    if (opts.want && !opts.want(k)) return undefined;
    const name = m.name ?? (n === 1 && last ? path : `${path}#${n}`);
    const error =
      m.error ?? (m.bytes ? undefined : new FileAccessError("cannot read the message", { file: name }));
    return error
      ? {
          name,
          key: k,
          position: pos,
          load: () => {
            throw error;
          },
        }
      : { name, key: k, position: pos, bytes: m.bytes };
  };
  for await (const m of messages) {
    if (m.skip !== undefined) {
      opts.onSkipItem?.(`${path}@${m.id}`, m.skip);
      continue;
    }
    if (held) {
      const it = item(held, false);
      if (it) yield it;
    }
    held = m;
  }
  if (held) {
    const it = item(held, true);
    if (it) yield it;
  }
}

/**
 * Opens a file of the walk and reads its first bytes: the whole file when it is small. A file the folder
 * listing called regular is read before it is checked (one bounded read cannot run away; one that fills it is
 * checked then, and a device or pipe refused).
 */
function openMessageFile(f: Walked): { fd: number; size: number; head: Uint8Array } {
  const fd = openForReading(f.path);
  let small: Uint8Array | undefined;
  if (f.listedRegular) {
    try {
      small = arena.readWhole(fd);
    } catch (e) {
      closeSync(fd);
      throw fileError(f.path, e);
    }
    if (small) return { fd, size: small.byteLength, head: small };
  }
  const size = checkOpenFile(fd, f.path); // closes what it refuses
  try {
    return { fd, size, head: readAt(fd, size <= SMALL_FILE ? size : 16, 0) };
  } catch (e) {
    closeSync(fd);
    throw fileError(f.path, e);
  }
}

/**
 * Whether a file's messages all go to the shard of the file's own key, decided before it is opened: an .eml file
 * (never taken for an mbox or an Outlook file) and a Maildir entry hold one message. So a shard opens only its
 * own share of such files, not every file to look at its key; one that holds more after all (a Maildir entry
 * written as an mbox) keeps its messages together, in the same shard in every run.
 */
function shardedWhole(f: Walked): boolean {
  return f.maildir !== undefined || /\.eml$/i.test(f.path);
}

/** The items of one file: a message, the messages of an mbox archive, or those another reader finds. */
async function* fileItems(
  f: Walked,
  position: { n: number },
  streamOpts: StreamOptions,
): AsyncGenerator<MessageItem> {
  const key = f.maildir ?? f.path;
  let opts = streamOpts;
  if (opts.want && shardedWhole(f)) {
    if (!opts.want(key)) {
      position.n++;
      return;
    }
    opts = { ...opts, want: undefined };
  }
  const max = opts.maxMessageBytes ?? INPUT_LIMITS.maxMessageBytes;
  let fd: number;
  let size: number;
  /** The whole file when it is small; otherwise its first bytes. */
  let head: Uint8Array;
  try {
    ({ fd, size, head } = openMessageFile(f));
  } catch (e) {
    const pos = position.n++;
    if (opts.want && !opts.want(key)) return;
    const error = e instanceof SmimetrustError ? e : fileError(f.path, e);
    yield {
      name: f.path,
      key,
      position: pos,
      load: () => {
        throw error;
      },
    };
    return;
  }
  try {
    if (size <= SMALL_FILE) opts.onRead?.(head.byteLength);
    for (const reader of ARCHIVE_READERS) {
      const messages = reader(f.path, head, f.fromFolder);
      if (messages) {
        if (size > SMALL_FILE) opts.onRead?.(size);
        yield* readerItems(f.path, key, messages, position, opts);
        return;
      }
    }
    const archive = isMbox(head) && !/\.(eml|msg|txt)$/i.test(f.path);
    if (archive) {
      const chunks = fileChunks(fd, head, opts.bufferSize ?? 1024 * 1024, opts.onRead);
      const path = f.path;
      yield* archiveItems(splitStream(chunks, max), f.path, key, position, opts, max, (m) =>
        rereadMboxMessage(path, m.offset, m.end, m.last, max),
      );
      return;
    }
    const pos = position.n++;
    if (opts.want && !opts.want(key)) return;
    const load = () => readMessageFile(f.path, max);
    if (size > max) {
      yield {
        name: f.path,
        key,
        position: pos,
        load: () => {
          throw tooLarge(f.path, size, max);
        },
      };
      return;
    }
    const bytes = size <= SMALL_FILE ? head : readAt(fd, size, 0);
    if (size > SMALL_FILE) opts.onRead?.(bytes.byteLength);
    // A view of the shared read buffer is not the item's own (a worker gets a copy).
    yield {
      name: f.path,
      key,
      position: pos,
      bytes,
      load,
      owned: bytes.buffer.byteLength === bytes.byteLength,
    };
  } finally {
    closeSync(fd);
  }
}

/** stdin: an mbox stream (split as it arrives), or a single message (read whole, as before). */
async function* stdinItems(
  stream: NodeJS.ReadableStream,
  position: { n: number },
  opts: StreamOptions,
): AsyncGenerator<MessageItem> {
  const max = opts.maxMessageBytes ?? INPUT_LIMITS.maxMessageBytes;
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < 5) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
    first.push(b);
    have += b.length;
  }
  const head = Buffer.concat(first);
  // The rest of the stream, after what was looked at.
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === "string" ? Buffer.from(r.value) : r.value;
    }
  };
  if (isMbox(head)) {
    const counted = async function* () {
      for await (const c of rest()) {
        opts.onRead?.(c.length);
        yield c;
      }
    };
    yield* archiveItems(splitStream(counted(), max), "<stdin>", "<stdin>", position, opts, max);
    return;
  }
  const bytes = await readStdin(Readable.from(rest()), max);
  opts.onRead?.(bytes.length);
  const pos = position.n++;
  if (opts.want && !opts.want("<stdin>")) return;
  yield { name: "<stdin>", key: "<stdin>", position: pos, bytes };
}

/** Every message the inputs hold, in order (see the module comment). */
export async function* messageItems(
  inputs: readonly string[],
  opts: StreamOptions = {},
): AsyncGenerator<MessageItem> {
  const position = { n: 0 };
  for (const input of inputs) {
    if (input === "-") {
      if (!opts.stdin) throw new FileAccessError("standard input is not available here", { file: "-" });
      yield* stdinItems(opts.stdin, position, opts);
      continue;
    }
    for (const f of walk(input)) {
      if (f.fromFolder && !f.maildir && NOT_MAIL.test(f.path)) {
        opts.onSkip?.(f.path);
        continue;
      }
      yield* fileItems(f, position, opts);
    }
  }
}
