/** Certificates and CRLs carried by S/MIME messages and .p7s/.p7m files. (Being implemented: see issue 2.) */
import { UnsupportedError } from "../errors.js";

export function looksLikeMessage(text: string): boolean {
  return /^(?:[\w-]+:[^\n]*\r?\n)+/i.test(text) && /^content-type:/im.test(text);
}

export function certificatesFromMessage(_bytes: Uint8Array, file?: string): { certificates: Uint8Array[]; crls: Uint8Array[] } {
  throw new UnsupportedError("reading certificates from messages is not implemented yet", { file });
}
