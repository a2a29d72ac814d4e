/**
 * MIME for S/MIME: a raw-bytes splitter that keeps exact views of every part.
 *
 *   parseMessage(bytes) -> MimeEntity tree (headers, contentType, raw, body, parts, message, path)
 *   decodedBody(entity) -> transfer-decoded body
 *   splitMbox(bytes)    -> messages of an mbox archive
 *   parseAddress(headers.get("from")) -> "alice@example.com"
 */
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
export { DEFAULT_MIME_LIMITS, type MimeEntity, type MimeLimits, decodedBody, parseMessage, splitMultipart, walk } from "./parse.js";
export { decodeBase64, decodeQuotedPrintable, decodeTransfer } from "./transfer.js";
export { type MboxMessage, isMbox, splitMbox, unescapeFrom } from "./mbox.js";
export { feedCanonical, hasBareLf, toCanonical } from "./canonical.js";
