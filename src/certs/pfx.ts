/** PKCS#12 / PFX: public certificates only. (Being implemented: see issue 2.) */
import { UnsupportedError } from "../errors.js";

export interface PfxCertificates {
  certificates: Uint8Array[];
  /** How many private-key bags were present (and ignored). */
  privateKeys: number;
}

export function readPfxCertificates(_bytes: Uint8Array, _password: string | undefined, file?: string): PfxCertificates {
  throw new UnsupportedError("PKCS#12 reading is not implemented yet", { file });
}
