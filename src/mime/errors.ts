import { type ErrorCode, MalformedInputError } from "../errors.js";

/** A message whose MIME structure cannot be read (or exceeds the parser's bounds). */
export class MimeError extends MalformedInputError {
  override readonly code: ErrorCode = "ERR_MIME";
}

/** Bytes that are not a message at all (no header section, empty): not mail, rather than damaged mail. */
export class NotMailError extends MimeError {
  override readonly code: ErrorCode = "ERR_NOT_MAIL";
}
