/**
 * The file-system edge: turns the user's inputs (files, folders, '-') into bytes for the core,
 * and writes outputs atomically. Core modules never touch the file system themselves.
 */
import { randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  EmptyInputError,
  FileAccessError,
  LimitExceededError,
  MalformedInputError,
  RefusedError,
  SmimetrustError,
  UnknownFormatError,
  UnreadableFilesError,
} from "../errors.js";
import { READ_LIMITS, type ReadOptions, type ReadResult, readCertificateBytes } from "../formats/read.js";
import type { Certificate } from "../x509/certificate.js";

export interface InputFile {
  name: string;
  bytes: Uint8Array;
  /** True when found by walking a folder (unreadable ones are skipped with a warning). */
  fromFolder: boolean;
}

const MAX_FOLDER_FILES = 100_000;

/**
 * How much one input may hold: certificate containers, CRLs and configuration files (the readers' own cap),
 * and mail (a message or an mbox archive). Enforced while reading: reading stops at the first byte past it.
 */
export const INPUT_LIMITS = { maxBytes: READ_LIMITS.maxBytes, maxMessageBytes: 1024 * 1024 * 1024 };

function tooLarge(name: string, maxBytes: number): LimitExceededError {
  return new LimitExceededError(
    `input is larger than the limit of ${maxBytes.toLocaleString("en-US")} bytes`,
    { file: name },
  );
}

/**
 * Reads stdin to the end, or refuses it at the first byte past `maxBytes` (stdin may be endless:
 * `< /dev/zero`, or a pipe from a program that never stops). Errors name it `<stdin>`.
 */
export async function readStdin(
  stream: NodeJS.ReadableStream,
  maxBytes: number = INPUT_LIMITS.maxBytes,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = typeof c === "string" ? Buffer.from(c) : (c as Buffer);
    size += b.length;
    // Leaving the loop ends the stream: nothing more is read.
    if (size > maxBytes) throw tooLarge("<stdin>", maxBytes);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Why a path that is not a regular file cannot be read as one (undefined for a regular file). */
function notAFile(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return "cannot read: is a folder";
  if (st.isFIFO())
    return "cannot read: is a named pipe (FIFO), which may never end; to read from a pipe, give - and send it to standard input";
  if (st.isCharacterDevice())
    return "cannot read: is a character device (such as /dev/zero or a terminal), not a file";
  if (st.isBlockDevice()) return "cannot read: is a block device, not a file";
  if (st.isSocket()) return "cannot read: is a socket, not a file";
  return "cannot read: not a regular file";
}

/**
 * Refuses, before anything is read, a path that is not a regular file: a device (endless, like /dev/zero),
 * a named pipe (which blocks for ever without a writer), a socket. A missing or forbidden path is refused
 * the same way. Commands call it on inputs they read later.
 */
export function checkInputFile(name: string): void {
  let st: Stats;
  try {
    st = statSync(name);
  } catch (e) {
    throw fileError(name, e);
  }
  const why = notAFile(st);
  if (why) throw new FileAccessError(why, { file: name });
  try {
    accessSync(name, constants.R_OK);
  } catch (e) {
    throw fileError(name, e);
  }
}

/**
 * Opens a path for reading without looking at what it is: the open itself never blocks (O_NONBLOCK: a named
 * pipe without a writer would). Callers check what was opened (checkOpenFile) unless a folder listing said it
 * was a regular file and they read no more than a bounded amount from it.
 */
export function openForReading(name: string): number {
  try {
    return openSync(name, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fileError(name, e);
  }
}

/**
 * The size of an open file, or why it cannot be read as one: what was opened is checked, so a path swapped
 * for a pipe or a device after an earlier check is still refused. Closes the file when it refuses it.
 */
export function checkOpenFile(fd: number, name: string): number {
  try {
    const st = fstatSync(fd);
    const why = notAFile(st);
    if (why) throw new FileAccessError(why, { file: name });
    return st.size;
  } catch (e) {
    closeSync(fd);
    throw e instanceof SmimetrustError ? e : fileError(name, e);
  }
}

/** Opens a regular file for reading (openForReading, then checkOpenFile): its descriptor and size. */
export function openInputFile(name: string): { fd: number; size: number } {
  const fd = openForReading(name);
  return { fd, size: checkOpenFile(fd, name) };
}

/**
 * The one primitive that reads a named input file: a regular file only (see checkInputFile), read to its
 * end or refused at the first byte past `maxBytes` (a file that grows while it is read included).
 */
export function readInputFile(name: string, maxBytes: number = INPUT_LIMITS.maxBytes): Uint8Array {
  const { fd, size } = openInputFile(name);
  try {
    if (size > maxBytes) throw tooLarge(name, maxBytes);
    let buf = Buffer.allocUnsafeSlow(Math.min(size, maxBytes) + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > maxBytes) throw tooLarge(name, maxBytes);
        const bigger = Buffer.allocUnsafeSlow(Math.min(maxBytes + 1, Math.max(len * 2, 64 * 1024)));
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    if (len > maxBytes) throw tooLarge(name, maxBytes);
    return buf.subarray(0, len);
  } catch (e) {
    if (e instanceof SmimetrustError) throw e;
    throw fileError(name, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an input given as a path, or `stdin` for '-' (the front end hands its standard input in; the edge
 * never reaches for the process's own); the same limits either way.
 */
export async function readInput(
  name: string,
  stdin: NodeJS.ReadableStream | undefined,
  maxBytes: number = INPUT_LIMITS.maxBytes,
): Promise<Uint8Array> {
  if (name !== "-") return readInputFile(name, maxBytes);
  if (!stdin) throw new FileAccessError("standard input is not available here", { file: "-" });
  return readStdin(stdin, maxBytes);
}

/** A failed stat, open or read of `path` as one line: "cannot read: no such file or folder" and the like. */
export function fileError(path: string, e: unknown): FileAccessError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "no such file or folder"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a folder"
          : (e as Error).message;
  return new FileAccessError(`cannot read: ${why}`, { file: path });
}

export interface FolderEntry {
  path: string;
  /** A folder (else a regular file). */
  isDir: boolean;
}

/** What a folder entry is, as its listing says. */
const KIND = { file: 0, dir: 1, link: 2, other: 3 } as const;

/**
 * What a folder walk visits in one folder: its folders and regular files, sorted by name, hidden entries left
 * out, symbolic links followed (a dangling one left out). The folder is listed at once (throws readdir's own
 * error); each entry's path is made, and a link's target looked up, as the entry is reached. A folder may hold
 * a million files: names and kinds alone are kept (an object and a full path per file took some 350 bytes).
 */
export function folderEntries(dir: string): Iterable<FolderEntry> {
  const listed = readdirSync(dir, { withFileTypes: true });
  const names: string[] = [];
  const kinds: number[] = [];
  for (const e of listed) {
    if (e.name.startsWith(".")) continue;
    const kind = e.isDirectory()
      ? KIND.dir
      : e.isFile()
        ? KIND.file
        : e.isSymbolicLink()
          ? KIND.link
          : KIND.other;
    if (kind === KIND.other) continue;
    names.push(e.name);
    kinds.push(kind);
  }
  const order = Uint32Array.from(names.keys()).sort((a, b) =>
    names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0,
  );
  return entriesInOrder(dir, names, kinds, order);
}

// A generator at module level, not a closure made per folder: each closure's generator objects have a shape of
// their own, and the walk that iterates them was deoptimized and compiled again at every folder (6 times for
// the 50 folders of bench:archive's corpus).
function* entriesInOrder(
  dir: string,
  names: string[],
  kinds: number[],
  order: Uint32Array,
): Generator<FolderEntry> {
  for (const i of order) {
    const path = join(dir, names[i]);
    let isDir = kinds[i] === KIND.dir;
    if (kinds[i] === KIND.link) {
      try {
        const target = statSync(path);
        if (!target.isDirectory() && !target.isFile()) continue;
        isDir = target.isDirectory();
      } catch {
        continue; // a dangling link
      }
    }
    yield { path, isDir };
  }
}

/**
 * Lists the files an input names: the file itself, or every file under a folder (sorted, recursive,
 * hidden entries skipped). Symbolic links are followed (as /etc/ssl/certs is made of them); a folder
 * reached twice (a link loop) is walked once.
 */
export function expandInput(path: string): { name: string; fromFolder: boolean }[] {
  let st: import("node:fs").Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  if (!st.isDirectory()) return [{ name: path, fromFolder: false }];
  const out: { name: string; fromFolder: boolean }[] = [];
  const visited = new Set<string>();
  const walk = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (e) {
      throw fileError(dir, e);
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries: Iterable<FolderEntry>;
    try {
      entries = folderEntries(dir);
    } catch (e) {
      throw fileError(dir, e);
    }
    for (const e of entries) {
      if (e.isDir) walk(e.path);
      else {
        if (out.length >= MAX_FOLDER_FILES)
          throw new FileAccessError(`more than ${MAX_FOLDER_FILES} files`, { file: path });
        out.push({ name: e.path, fromFolder: true });
      }
    }
  };
  walk(path);
  return out;
}

export interface LoadedCertificates {
  certificates: Certificate[];
  crls: { der: Uint8Array; source: string }[];
  warnings: string[];
  /** Files in folders that could not be read and were left out (only with `skipUnreadable`). */
  skipped: SkippedFile[];
}

export interface SkippedFile {
  file: string;
  /** What was wrong, with the byte offset where it helps (the line the user saw). */
  error: string;
  offset?: number;
}

export interface LoadOptions extends ReadOptions {
  /**
   * Leave out files in folders that hold something unreadable (a PKCS#12 without its password, a truncated
   * PEM or DER file), listing them in `skipped`, instead of failing with UnreadableFilesError.
   */
  skipUnreadable?: boolean;
  /** What '-' reads: the front end's standard input (the edge never takes the process's own). */
  stdin?: NodeJS.ReadableStream;
}

/**
 * True for a file that is plainly not a certificate container (a README, notes, an empty file, a key without
 * its certificate): it is skipped with a note. Anything else that fails to read (a password, truncation, a
 * malformed structure, an unsupported algorithm, permissions) is an unreadable file.
 */
export function isNotCertificateFile(e: SmimetrustError): boolean {
  return e instanceof UnknownFormatError || e instanceof EmptyInputError;
}

/**
 * True for a file of prose (notes starting with "0.1 ...", which the reader took for DER because of its first
 * byte): UTF-8 text without control characters, holding no PEM armour and not all base64 (a `.cer` saved as base64
 * and cut short is a truncated certificate, not prose). Only asked about files that failed to read.
 */
function isPlainProse(name: string, e: SmimetrustError): boolean {
  if (!(e instanceof MalformedInputError)) return false;
  let bytes: Uint8Array;
  try {
    // Notes are small; a large file that failed to read is never taken for prose (nor read again whole).
    if (statSync(name).size > 1024 * 1024) return false;
    bytes = readFileSync(name);
  } catch {
    return false;
  }
  for (const b of bytes) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  if (text.includes("-----BEGIN ")) return false;
  return !/^[A-Za-z0-9+/=\s]*$/.test(text);
}

/**
 * The JSON form of files left out, to spread into a command's --json document: `{"skipped": [...]}` when any
 * file was skipped (only with --skip-unreadable), nothing otherwise, so the documented shapes stay exact.
 */
export function skippedJson(skipped: readonly SkippedFile[]): { skipped?: SkippedFile[] } {
  if (skipped.length === 0) return {};
  return {
    skipped: skipped.map((s) => ({
      file: s.file,
      error: s.error,
      ...(s.offset !== undefined ? { offset: s.offset } : {}),
    })),
  };
}

/**
 * Reads certificates from every input (files, folders, '-' for stdin). A bad file named directly is an
 * error. In a folder, a file that is plainly not a certificate container is skipped with a note; a file that
 * holds something but cannot be read makes the whole call fail (UnreadableFilesError naming every such file),
 * so no trust list is ever built silently without it, unless `skipUnreadable` is set.
 */
export async function loadCertificates(
  inputs: readonly string[],
  opts: LoadOptions = {},
): Promise<LoadedCertificates> {
  const out: LoadedCertificates = { certificates: [], crls: [], warnings: [], skipped: [] };
  const unreadable: SmimetrustError[] = [];
  const take = (r: ReadResult, name: string) => {
    out.certificates.push(...r.certificates);
    out.crls.push(...r.crls.map((der) => ({ der, source: name })));
    out.warnings.push(...r.warnings);
  };
  for (const input of inputs) {
    if (input === "-") {
      take(readCertificateBytes(await readInput("-", opts.stdin), "<stdin>", opts), "<stdin>");
      continue;
    }
    for (const f of expandInput(input)) {
      if (!f.fromFolder) {
        take(readCertificateBytes(readInputFile(f.name), f.name, opts), f.name);
        continue;
      }
      try {
        take(readCertificateBytes(readInputFile(f.name), f.name, opts), f.name);
      } catch (e) {
        if (!(e instanceof SmimetrustError)) throw e;
        const err = e.withFile(f.name);
        if (isNotCertificateFile(err) || isPlainProse(f.name, err))
          out.warnings.push(`skipped ${err.describe()}`);
        else if (opts.skipUnreadable) {
          out.warnings.push(`skipped unreadable ${err.describe()}`);
          out.skipped.push({
            file: f.name,
            error: err.message,
            ...(err.offset !== undefined ? { offset: err.offset } : {}),
          });
        } else unreadable.push(err);
      }
    }
  }
  if (unreadable.length) throw new UnreadableFilesError(unreadable);
  return out;
}

/** "2 unreadable files (a.pfx, b.pem)": the first 10 named, the rest counted, for the commands' summaries. */
export function skippedSummary(skipped: readonly SkippedFile[], max = 10): string {
  const names = skipped.slice(0, max).map((s) => s.file);
  const rest = skipped.length - names.length;
  return `${skipped.length} unreadable file${skipped.length === 1 ? "" : "s"} (${names.join(", ")}${rest > 0 ? `, and ${rest} more` : ""})`;
}

function writeError(path: string, e: unknown): FileAccessError {
  const code = (e as NodeJS.ErrnoException).code;
  const dir = dirname(path);
  const why =
    code === "ENOENT"
      ? `cannot create a file in '${dir}'`
      : code === "ENOTDIR"
        ? `'${dir}' is not a folder`
        : code === "EACCES" || code === "EPERM"
          ? `permission denied in '${dir}'`
          : code === "EROFS"
            ? "read-only file system"
            : code === "ENOSPC"
              ? "no space left on the device"
              : code === "EISDIR"
                ? "is a folder"
                : (e as Error).message;
  return new FileAccessError(`cannot write: ${why}`, { file: path });
}

/**
 * Checks that `path` may be written: refuses a folder or anything but a regular file (a device, a pipe),
 * a symbolic link (even a dangling one: writing through it would change a file elsewhere, and replacing it
 * would quietly change what the link's owner set up), and an existing file unless `force`. Commands call it
 * before reading their inputs; writeFileAtomic calls it again.
 */
export function checkOutputPath(path: string, force = false): void {
  let st: import("node:fs").Stats | undefined;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (!st) {
    const dir = dirname(path);
    let parent: import("node:fs").Stats | undefined;
    try {
      parent = statSync(dir);
    } catch {
      parent = undefined;
    }
    if (!parent) throw new FileAccessError(`cannot write: no such folder '${dir}'`, { file: path });
    if (!parent.isDirectory())
      throw new FileAccessError(`cannot write: '${dir}' is not a folder`, { file: path });
    return;
  }
  if (st.isSymbolicLink())
    throw new RefusedError(
      `is a symbolic link (to '${linkTarget(path)}'); smimetrust never writes through a link nor replaces one: give the real file name, or remove the link`,
      { file: path },
    );
  if (st.isDirectory())
    throw new FileAccessError("is a folder; give the name of the file to write", { file: path });
  if (!st.isFile())
    throw new FileAccessError("is not a regular file; give the name of the file to write", { file: path });
  if (!force) throw new RefusedError("exists already; use --force to replace it", { file: path });
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "?";
  }
}

/** The backup name of `path`, checked: absent, or a regular file (never a link, a folder or a device). */
function backupPath(path: string): string {
  const bak = `${path}.bak`;
  let st: import("node:fs").Stats | undefined;
  try {
    st = lstatSync(bak);
  } catch {
    return bak;
  }
  if (st.isSymbolicLink())
    throw new RefusedError(
      `is a symbolic link (to '${linkTarget(bak)}'), not a backup smimetrust wrote; remove it and run again (nothing was written)`,
      { file: bak },
    );
  if (!st.isFile())
    throw new RefusedError(
      "exists and is not a regular file, so the backup cannot go there; remove it and run again (nothing was written)",
      { file: bak },
    );
  return bak;
}

/** A new file beside `path` (never an existing name, never through a link: O_CREAT|O_EXCL). */
function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Writes all of `buf` to a new temporary file and fsyncs it. */
function writeNew(tmp: string, buf: Uint8Array, mode: number): void {
  const fd = openSync(tmp, "wx", mode);
  try {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The bytes and mode of the regular file at `path`, read without following a link put there meanwhile. */
function readRegular(path: string): { bytes: Buffer; mode: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new RefusedError("is not a regular file any more; nothing was written", { file: path });
    return { bytes: readFileSync(fd), mode: st.mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file atomically: a temporary file beside it, fsync, then rename, so a reader sees the old file
 * or the new one, never half of one, and a failure leaves nothing behind. An existing file is replaced
 * only with `force` (and, with `backup`, first kept as `<name>.bak`); folders, special files and symbolic
 * links are never written through nor replaced. The backup too is written to a temporary file and renamed
 * over `<name>.bak`, so a link planted at that name is never followed (and is refused beforehand).
 */
export function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  opts: { force?: boolean; mode?: number; backup?: boolean } = {},
): { backup?: string } {
  checkOutputPath(path, opts.force);
  let backup: string | undefined;
  let exists = false;
  try {
    exists = lstatSync(path).isFile();
  } catch {
    exists = false;
  }
  if (opts.backup && exists) backup = backupPath(path);
  const tmp = tempBeside(path);
  const bakTmp = backup ? tempBeside(backup) : undefined;
  const cleanup = () => {
    for (const f of [tmp, bakTmp])
      if (f)
        try {
          unlinkSync(f);
        } catch {
          /* nothing to clean */
        }
  };
  try {
    writeNew(tmp, typeof data === "string" ? Buffer.from(data, "utf8") : data, opts.mode ?? 0o644);
    // The file being replaced is kept as <name>.bak (the previous .bak goes) before the new one takes its place.
    if (backup && bakTmp) {
      const old = readRegular(path);
      writeNew(bakTmp, old.bytes, old.mode);
      renameSync(bakTmp, backup);
    }
    renameSync(tmp, path);
    return backup ? { backup } : {};
  } catch (e) {
    cleanup();
    if (e instanceof SmimetrustError) throw e;
    throw writeError(path, e);
  }
}
