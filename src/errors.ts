/**
 * Typed errors for input the project cannot use. Each kind has a stable code; the CLI turns any of
 * them into one line (`file: what is wrong (at byte N)`) and exit status 2. Nothing below the CLI
 * prints or exits.
 */

export interface InputErrorOptions {
  file?: string;
  offset?: number;
  cause?: unknown;
}

export class SmimetrustError extends Error {
  readonly code: string = "ERR_SMIMETRUST";
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
  override readonly code: string = "ERR_MALFORMED_INPUT";
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
  override readonly code: string = "ERR_REFUSED";
}

/**
 * Files inside folders that hold something but could not be read (a PKCS#12 without its password, a truncated
 * PEM or DER file...). A trust list built without them would be silently incomplete, so the run stops; each
 * file is named on its own line. `--skip-unreadable` leaves them out instead.
 */
export class UnreadableFilesError extends SmimetrustError {
  override readonly code = "ERR_UNREADABLE_FILES";
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

  override describe(): string {
    return this.lines().join("\n");
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
