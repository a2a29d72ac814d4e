/**
 * MIME for S/MIME: a raw-bytes splitter that keeps exact views of every part.
 *
 *   parseMessage(bytes) -> MimeEntity tree (headers, contentType, raw, body, parts, message, path)
 *   decodedBody(entity) -> transfer-decoded body
 *   splitMbox(bytes)    -> messages of an mbox archive
 *   parseAddress(headers.get("from")) -> "alice@example.com"
 */

export { feedCanonical, hasBareLf, toCanonical } from "./canonical.js";
export { MimeError } from "./errors.js";
export {
  type ContentType,
  type HeaderField,
  Headers,
  parseAddress,
  parseContentType,
  parseHeaderSection,
  parseParameterised,
} from "./headers.js";
export {
  isMbox,
  type MboxMessage,
  MboxSplitter,
  type MboxStreamMessage,
  splitMbox,
  unescapeFrom,
} from "./mbox.js";
export {
  DEFAULT_MIME_LIMITS,
  decodedBody,
  type MimeEntity,
  type MimeLimits,
  parseMessage,
  splitMultipart,
  walk,
} from "./parse.js";
export { decodeBase64, decodeQuotedPrintable, decodeTransfer } from "./transfer.js";
