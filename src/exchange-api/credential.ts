/**
 * The app's certificate credential for app-only sign-in: the certificate (its thumbprints go into the
 * client assertion's header) and its private key, read from PEM (certificate + PRIVATE KEY blocks) or a
 * PKCS#12 file. The key lives in a KeyObject only: it is never logged, written or put in an error.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { SmimetrustError, UsageError } from "../errors.js";
import { readPfxCertificates } from "../formats/pfx.js";
import { bytesEqual, digest } from "../lib/bytes.js";
import { Certificate } from "../x509/certificate.js";
import { readPfxPrivateKeys } from "./pfx-key.js";

export interface AppCredential {
  certificate: Certificate;
  privateKey: KeyObject;
  /** base64url SHA-1 and SHA-256 of the certificate (the JWT header's x5t and x5t#S256). */
  x5t: string;
  x5tS256: string;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** `password` opens an encrypted PEM key or a PKCS#12 file. Errors name the file, never the key. */
export function readAppCredential(bytes: Uint8Array, file: string, password?: string): AppCredential {
  const text = Buffer.from(bytes).toString("latin1");
  const certs: Certificate[] = [];
  const keys: KeyObject[] = [];
  if (text.includes("-----BEGIN ")) {
    const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const label = m[1];
      const block = m[0];
      if (label === "CERTIFICATE") {
        try {
          certs.push(new Certificate(new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ""), "base64"))));
        } catch {
          throw new SmimetrustError("a CERTIFICATE block is not a certificate", { file });
        }
      } else if (/PRIVATE KEY$/.test(label)) {
        if (label.startsWith("ENCRYPTED") && !password)
          throw new UsageError(
            "the private key is encrypted: give its password with --certificate-password or SMIMETRUST_CERT_PASSWORD",
            { file },
          );
        try {
          keys.push(createPrivateKey(password ? { key: block, passphrase: password } : block));
        } catch {
          throw new SmimetrustError(
            `the ${label} block cannot be read${password ? " (wrong password?)" : ""}`,
            { file },
          );
        }
      }
    }
  } else {
    const pfx = readPfxCertificates(bytes, password, file);
    for (const der of pfx.certificates) certs.push(new Certificate(der));
    keys.push(...readPfxPrivateKeys(bytes, password ?? "", file));
  }
  if (keys.length === 0)
    throw new UsageError(
      "no private key: the app credential needs the certificate and its private key (PEM with a PRIVATE KEY block, or a PFX)",
      { file },
    );
  if (certs.length === 0) throw new UsageError("no certificate next to the private key", { file });
  for (const key of keys) {
    if (key.asymmetricKeyType !== "rsa")
      throw new UsageError(
        `the private key is ${key.asymmetricKeyType ?? "unknown"}; Microsoft Entra ID takes RSA certificate credentials only`,
        { file },
      );
    const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
    const cert = certs.find((c) => bytesEqual(c.spki, spki));
    if (cert)
      return {
        certificate: cert,
        privateKey: key,
        x5t: b64url(digest("sha1", cert.der)),
        x5tS256: b64url(digest("sha256", cert.der)),
      };
  }
  throw new UsageError("the private key does not belong to any certificate in the file", { file });
}
