/** Test helpers: run openssl, make temporary folders, read fingerprints as Windows prints them. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function openssl(args: string[], opts: { cwd?: string; input?: Uint8Array | string } = {}): Buffer {
  return execFileSync("openssl", args, { cwd: opts.cwd, input: opts.input, stdio: ["pipe", "pipe", "pipe"] });
}

/** `openssl x509 -fingerprint -sha1` of one DER or PEM certificate, as upper-case hex without colons. */
export function opensslSha1(
  cert: Uint8Array | string,
  inform: "DER" | "PEM" = typeof cert === "string" ? "PEM" : "DER",
): string {
  const out = openssl(["x509", "-inform", inform, "-noout", "-fingerprint", "-sha1"], {
    input: cert,
  }).toString();
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
  if (!m) throw new Error(`no fingerprint in: ${out}`);
  return m[1].replace(/:/g, "").toUpperCase();
}

/** SHA-1 thumbprints of every certificate in a PEM bundle, via openssl. */
export function opensslPemSha1s(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => opensslSha1(`${b}\n`, "PEM"));
}

export function tempDir(prefix = "smimetrust-test-"): {
  dir: string;
  path: (name: string) => string;
  read: (name: string) => Buffer;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A CA and a user certificate with EC keys, made with openssl in `dir` (ca.pem, ca.key, user.pem, user.key). */
export function makeOpensslPki(dir: string, opts: { caName?: string; userName?: string } = {}): void {
  const caName = opts.caName ?? "Test PFX CA";
  const userName = opts.userName ?? "Test PFX User";
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], { cwd: dir });
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "user.key"], { cwd: dir });
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      `/CN=${caName}`,
      "-days",
      "3650",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    { cwd: dir },
  );
  openssl(["req", "-new", "-key", "user.key", "-out", "user.csr", "-subj", `/CN=${userName}`], { cwd: dir });
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "user.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      "1001",
      "-out",
      "user.pem",
      "-days",
      "365",
    ],
    { cwd: dir },
  );
}
