import { MalformedInputError } from "../errors.js";

/** A message whose MIME structure cannot be read (or exceeds the parser's bounds). */
export class MimeError extends MalformedInputError {
  override readonly code = "ERR_MIME";
}
