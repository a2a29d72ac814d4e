/**
 * Results files (`verify --jsonl`): one JSON object per line, read back for `--resume` and `summary`. A last
 * line without its line break (a run killed while writing it) is left out, and cut off before new results are
 * appended; any other line that is not a results object stops the reading with `file:line` (exit 2).
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { FileAccessError, MalformedInputError } from "../errors.js";
import { TextGatherer } from "../lib/gather.js";
import type { ResultRecord } from "../smime/summary.js";

/** A line of a results file: the record and the keys results are matched by. */
export interface StoredResult extends ResultRecord {
  /** The message's stable key (path; archive@offset; Maildir folder/unique). */
  name: string;
  /** First 16 hex digits of the SHA-256 of the message's bytes (null when it could not be read). */
  hash?: string | null;
  index?: number;
}

const VERDICTS = new Set(["valid", "invalid", "error"]);

function openForRead(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(
      `cannot read: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`,
      { file: path },
    );
  }
}

/**
 * Reads a results file line by line (never whole: it may be large), calling `onRecord` for each complete
 * line. Returns the length of its complete lines (where new results go).
 */
export function readResults(
  path: string,
  onRecord: (r: StoredResult, line: number) => void,
): { complete: number } {
  const fd = openForRead(path);
  try {
    if (!fstatSync(fd).isFile()) throw new FileAccessError("cannot read: not a regular file", { file: path });
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let carry: Buffer = Buffer.alloc(0);
    let pos = 0;
    let line = 0;
    let complete = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      let data: Buffer = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(0x0a, start);
        if (nl < 0) break;
        line++;
        const text = data.toString("utf8", start, nl).trim();
        complete += nl + 1 - start;
        start = nl + 1;
        if (text === "") continue;
        onRecord(parseLine(text, path, line), line);
      }
      carry = Buffer.from(data.subarray(start));
      data = carry;
    }
    return { complete };
  } finally {
    closeSync(fd);
  }
}

function parseLine(text: string, path: string, line: number): StoredResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MalformedInputError(`not JSON (${(e as Error).message})`, { file: `${path}:${line}` });
  }
  const o = v as Partial<StoredResult> | null;
  if (!o || typeof o !== "object" || Array.isArray(o))
    throw new MalformedInputError("not a results object (verify --jsonl writes one per line)", {
      file: `${path}:${line}`,
    });
  if (typeof o.name !== "string" || !VERDICTS.has(o.verdict as string))
    throw new MalformedInputError(
      'not a verify --jsonl results object: it needs "name" and "verdict" (valid, invalid or error)',
      { file: `${path}:${line}` },
    );
  if (o.hash !== undefined && o.hash !== null && typeof o.hash !== "string")
    throw new MalformedInputError('"hash" is not a string', { file: `${path}:${line}` });
  return o as StoredResult;
}

/** Where a results stream goes: a file (appended to, or new) or a function (stdout). */
export interface ResultsWriter {
  write(line: string): void;
  close(): void;
  /** Closes, and removes the file if this writer created it and wrote nothing (a run that could not start). */
  discard?(): void;
}

/**
 * Lines are gathered into writes of this many characters (lib/gather.ts): a write per line cost this project's
 * VM 0.6 s of CPU for 50,000 results (10% of the run).
 */
const GATHER_CHARS = 64 * 1024;
/** Lines wait at most this long, so a results file read while the run goes on is current within a second. */
const GATHER_MS = 1000;

/**
 * Opens a results file for appending after its `complete` bytes (a partial last line is cut off), or creates
 * it (`complete` undefined: it must not exist). Lines are written in groups (see GATHER_CHARS), always whole:
 * a run that stops between two writes loses the results not yet written, which --resume verifies again. A
 * write that fails (also on the timer) is reported by the next write or the close.
 */
export function openResults(path: string, complete?: number): ResultsWriter {
  let fd: number;
  try {
    fd = complete === undefined ? openSync(path, "wx", 0o644) : openSync(path, "r+");
    if (complete !== undefined) ftruncateSync(fd, complete);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(
      `cannot write: ${code === "EEXIST" ? "exists already" : code === "EACCES" ? "permission denied" : (e as Error).message}`,
      { file: path },
    );
  }
  let pos = complete ?? 0;
  let closed = false;
  const gathered = new TextGatherer(
    (text) => {
      const b = Buffer.from(text, "utf8");
      try {
        let o = 0;
        while (o < b.length) {
          const n = writeSync(fd, b, o, b.length - o, pos);
          o += n;
          pos += n;
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new FileAccessError(
          `cannot write: ${code === "ENOSPC" ? "no space left on the device" : (e as Error).message}`,
          { file: path },
        );
      }
    },
    GATHER_CHARS,
    GATHER_MS,
  );
  const close = () => {
    if (closed) return;
    try {
      gathered.flush();
    } finally {
      closeSync(fd);
      closed = true;
    }
  };
  return {
    write(line: string) {
      // After the close (a run stopping on a signal): the file says what it holds already.
      if (!closed) gathered.add(line);
    },
    close,
    discard() {
      close();
      if (complete === undefined && pos === 0)
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
    },
  };
}
