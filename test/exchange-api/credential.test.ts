import { createPublicKey, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientAssertion, jwtClaims } from "../../src/exchange-api/auth.js";
import { readAppCredential } from "../../src/exchange-api/credential.js";
import { openssl } from "../certs/openssl.js";
import { issue, makeKey } from "../helpers/pki.js";
import { cli, makeApp, tmp, type World, world } from "./helpers.js";

const bytes = (s: string | Buffer) => new Uint8Array(Buffer.from(s));

describe("the app credential", () => {
  it("reads PEM (certificate + key), matches the key to its certificate, and makes a verifiable client assertion", () => {
    const app = makeApp();
    const other = issue({ subject: "CN=Unrelated", key: makeKey({ type: "rsa", bits: 2048 }, "unrelated") });
    const cred = readAppCredential(bytes(`${other.pem}${app.pem}`), "app.pem");
    expect(cred.certificate.der).toEqual(app.der);
    const jwt = clientAssertion(
      app.appId,
      "https://login.example/t/oauth2/v2.0/token",
      cred,
      Date.UTC(2026, 0, 1),
      "id-1",
    );
    const [h, p, s] = jwt.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    expect(header).toEqual({ alg: "RS256", typ: "JWT", x5t: cred.x5t, "x5t#S256": cred.x5tS256 });
    expect(jwtClaims(jwt)).toEqual({
      aud: "https://login.example/t/oauth2/v2.0/token",
      iss: app.appId,
      sub: app.appId,
      jti: "id-1",
      nbf: Date.UTC(2026, 0, 1) / 1000 - 60,
      iat: Date.UTC(2026, 0, 1) / 1000,
      exp: Date.UTC(2026, 0, 1) / 1000 + 600,
    });
    const pub = createPublicKey({ key: Buffer.from(cred.certificate.spki), format: "der", type: "spki" });
    expect(verify("sha256", Buffer.from(`${h}.${p}`), pub, Buffer.from(s, "base64url"))).toBe(true);
  });

  it("refuses a key without its certificate, a non-RSA key, and a key of another certificate", () => {
    const app = makeApp();
    expect(() => readAppCredential(bytes(app.keyPem), "k.pem")).toThrow(
      "no certificate next to the private key",
    );
    expect(() => readAppCredential(bytes(app.pem.split("-----BEGIN PRIVATE KEY")[0]), "c.pem")).toThrow(
      "no private key",
    );
    const ec = makeKey({ type: "ec" });
    const ecCert = issue({ subject: "CN=EC app", key: ec });
    const ecPem = `${ecCert.pem}${ec.privateKey.export({ type: "pkcs8", format: "pem" })}`;
    expect(() => readAppCredential(bytes(ecPem), "ec.pem")).toThrow("RSA certificate credentials only");
    const other = makeApp("another");
    const mixed = `${app.pem.split("-----BEGIN PRIVATE KEY")[0]}${other.keyPem}`;
    expect(() => readAppCredential(bytes(mixed), "m.pem")).toThrow("does not belong to any certificate");
  });

  it("reads an encrypted PEM key with its password, and says so without one", () => {
    const app = makeApp();
    const key = makeKey({ type: "rsa", bits: 2048 }, "app");
    const enc = key.privateKey.export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "s3cret-pass",
    });
    const pem = `${app.pem.split("-----BEGIN PRIVATE KEY")[0]}${enc}`;
    expect(readAppCredential(bytes(pem), "e.pem", "s3cret-pass").x5t).toBeTruthy();
    expect(() => readAppCredential(bytes(pem), "e.pem")).toThrow("the private key is encrypted");
    try {
      readAppCredential(bytes(pem), "e.pem", "wrong");
    } catch (e) {
      expect((e as Error).message).toContain("cannot be read (wrong password?)");
      expect((e as Error).message).not.toContain('wrong"');
    }
  });
});

describe("a PFX app credential end to end", () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => {
    await w.s.close();
  });

  it("signs in with a PKCS#12 file made by openssl", async () => {
    const dir = tmp();
    const [certPem, keyPem] = [w.app.pem.split("-----BEGIN PRIVATE KEY")[0], w.app.keyPem];
    writeFileSync(join(dir, "c.pem"), certPem);
    writeFileSync(join(dir, "k.pem"), keyPem);
    openssl(
      [
        "pkcs12",
        "-export",
        "-in",
        "c.pem",
        "-inkey",
        "k.pem",
        "-out",
        "app.pfx",
        "-passout",
        "pass:pfx-pass-1",
      ],
      { cwd: dir },
    );
    const cred = readAppCredential(
      new Uint8Array(readFileSync(join(dir, "app.pfx"))),
      "app.pfx",
      "pfx-pass-1",
    );
    expect(Buffer.from(cred.certificate.der).equals(Buffer.from(w.app.der))).toBe(true);
    const out = join(dir, "export.json");
    const r = await cli({ ...w, env: { ...w.env, SMIMETRUST_CERT_PASSWORD: "pfx-pass-1" } }, [
      "exchange",
      "export",
      "-o",
      out,
      "--tenant",
      w.tenant.domain,
      "--app-id",
      w.app.appId,
      "--certificate",
      join(dir, "app.pfx"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const wrong = await cli(w, [
      "exchange",
      "export",
      "-o",
      join(dir, "e2.json"),
      "--tenant",
      w.tenant.domain,
      "--app-id",
      w.app.appId,
      "--certificate",
      join(dir, "app.pfx"),
      "--certificate-password",
      "nope",
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/app\.pfx: wrong password/);
    expect(w.s.requests.filter((q) => q.url.includes("oauth2"))).toHaveLength(1);
  });
});
