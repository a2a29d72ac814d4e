/**
 * Typed errors for input the project cannot use. Each kind has a stable code; the CLI turns any of
 * them into one line (`file: what is wrong (at byte N)`) and exit status 2. Nothing below the CLI
 * prints or exits.
 */

/**
 * Every error code, with what it means: the one list of them. A new kind of error adds its code here
 * (one entry); `ErrorCode` follows, so a class that names a code not listed fails the type check.
 */
export const ERROR_CODES = {
  ERR_SMIMETRUST: "a failure of the library with no more specific kind",
  ERR_MALFORMED_INPUT: "bytes that do not parse as what they claim to be",
  ERR_DER: "malformed DER/BER, at a byte offset (raised by the DER reader, wrapped by the parsers)",
  ERR_MIME: "a message whose MIME structure cannot be read",
  ERR_UNKNOWN_FORMAT: "content none of the readers recognise",
  ERR_EMPTY_INPUT: "an empty file or stream where certificates were expected",
  ERR_PFX_PASSWORD: "a PKCS#12 file whose password is missing or wrong",
  ERR_UNSUPPORTED: "an algorithm not implemented here or by node:crypto",
  ERR_LIMIT_EXCEEDED: "input larger or deeper than the parser's bounds allow",
  ERR_FILE_ACCESS: "a file or folder that cannot be read",
  ERR_USAGE: "bad command-line arguments or configuration values",
  ERR_CONFIG: "a desired-state file that cannot be used",
  ERR_REFUSED: "the job refused as asked",
  ERR_EXPIRED_IN_LIST: "the trust list holds an expired certificate (Exchange refuses the upload)",
  ERR_SST_TOO_LARGE: "the .sst is over the 70,000 bytes Exchange accepts",
  ERR_EMPTY_LIST: "the trust list would hold no certificate",
  ERR_POLICY: "no acceptable certificate policy on a path (raised and handled inside the path engine)",
  ERR_FETCH_TIMEOUT: "an HTTP retrieval ran out of time",
  ERR_FETCH_CONNECT_TIMEOUT: "no connection within the connect timeout",
  ERR_FETCH_TOO_LARGE: "an HTTP answer over the size limit",
  ERR_FETCH_REDIRECTS: "too many HTTP redirects",
  ERR_FETCH_SCHEME: "a URL that is not http:",
  ERR_FETCH_NETWORK: "a network failure during retrieval",
  ERR_NOT_MAIL: "bytes that are not a message at all (no header section), rather than damaged mail",
  ERR_UNREADABLE_FILES:
    "files in the input folders that cannot be read, so the trust list would be incomplete",
  ERR_DATABASE_BUSY: "the monitor's database is locked by another process for longer than the busy timeout",
  ERR_SIGN_IN: "signing in to Microsoft Entra ID failed (wrong app, certificate, tenant or consent)",
  ERR_EXCHANGE_API: "Exchange Online's InvokeCommand endpoint answered with an error, or not in time",
} as const satisfies Record<`ERR_${string}`, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface InputErrorOptions {
  file?: string;
  offset?: number;
  cause?: unknown;
}

export class SmimetrustError extends Error {
  readonly code: ErrorCode = "ERR_SMIMETRUST";
  readonly file?: string;
  readonly offset?: number;
  constructor(message: string, opts: InputErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.file = opts.file;
    this.offset = opts.offset;
  }

  /** The one line a user sees. */
  describe(): string {
    const where = this.file ? `${this.file}: ` : "";
    const at = this.offset !== undefined ? ` (at byte ${this.offset})` : "";
    return `${where}${this.message}${at}`;
  }

  /** A copy that names the file, for errors raised by parsers that only saw bytes. */
  withFile(file: string): this {
    if (this.file) return this;
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this, { file });
    Object.defineProperty(copy, "message", { value: this.message });
    Object.defineProperty(copy, "stack", { value: this.stack });
    return copy;
  }
}

/** Bytes that do not parse as what they claim to be (DER, SST, PKCS#7, PKCS#12, PEM). */
export class MalformedInputError extends SmimetrustError {
  override readonly code: ErrorCode = "ERR_MALFORMED_INPUT";
}

/** Content whose format none of the readers recognise. */
export class UnknownFormatError extends SmimetrustError {
  override readonly code = "ERR_UNKNOWN_FORMAT";
}

/** An empty file or stream where certificates were expected. */
export class EmptyInputError extends SmimetrustError {
  override readonly code = "ERR_EMPTY_INPUT";
}

/** A PKCS#12 file whose password is missing or wrong. */
export class PasswordError extends SmimetrustError {
  override readonly code = "ERR_PFX_PASSWORD";
}

/** An algorithm the project (or node:crypto) does not implement. */
export class UnsupportedError extends SmimetrustError {
  override readonly code = "ERR_UNSUPPORTED";
}

/** Input larger or deeper than the parser's bounds allow. */
export class LimitExceededError extends SmimetrustError {
  override readonly code = "ERR_LIMIT_EXCEEDED";
}

/** A file or folder that cannot be read (missing, permission, ...). */
export class FileAccessError extends SmimetrustError {
  override readonly code = "ERR_FILE_ACCESS";
}

/** Bad command-line arguments or configuration values. */
export class UsageError extends SmimetrustError {
  override readonly code = "ERR_USAGE";
}

/** A refusal of the job as asked (an output exists without --force, Exchange would refuse the list...). */
export class RefusedError extends SmimetrustError {
  override readonly code: ErrorCode = "ERR_REFUSED";
}

/**
 * Files inside folders that hold something but could not be read (a PKCS#12 without its password, a truncated
 * PEM or DER file...). A trust list built without them would be silently incomplete, so the run stops; each
 * file is named on its own line. `--skip-unreadable` leaves them out instead.
 */
export class UnreadableFilesError extends SmimetrustError {
  override readonly code: ErrorCode = "ERR_UNREADABLE_FILES";
  readonly failures: SmimetrustError[];
  constructor(failures: SmimetrustError[]) {
    super(
      `${failures.length} file${failures.length === 1 ? "" : "s"} in the input folders could not be read, and the certificates without ${failures.length === 1 ? "it" : "them"} would be incomplete: stopped before writing anything (fix ${failures.length === 1 ? "it" : "them"}, or use --skip-unreadable to leave ${failures.length === 1 ? "it" : "them"} out)`,
    );
    this.failures = failures;
  }

  /** One line per file (the first `max`, then a count of the rest), then the summary. */
  lines(max = 10): string[] {
    const shown = this.failures.slice(0, max).map((f) => f.describe());
    const rest = this.failures.length - shown.length;
    if (rest > 0) shown.push(`... and ${rest} more unreadable file${rest === 1 ? "" : "s"}`);
    return [...shown, this.message];
  }

  /** The summary alone (one line, like every error's); the CLI prints `lines()`, one per file. */
  override describe(): string {
    return this.message;
  }

  /** Every file, for --json output. */
  toJson(): { code: string; message: string; files: { file?: string; error: string; offset?: number }[] } {
    return {
      code: this.code,
      message: this.message,
      files: this.failures.map((f) => ({
        file: f.file,
        error: f.message,
        ...(f.offset !== undefined ? { offset: f.offset } : {}),
      })),
    };
  }
}
