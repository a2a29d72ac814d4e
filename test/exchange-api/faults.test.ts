import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeByteArray } from "../../src/exchange-api/client.js";
import { errorLine, retryAfterMs, sameHostFamily } from "../../src/exchange-api/http.js";
import { assertNoSecrets, cli, connectArgs, makeApp, tmp, type World, world } from "./helpers.js";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.s.close();
});

async function exportTo(extra: string[] = [], args = connectArgs(w)) {
  const out = join(tmp(), "export.json");
  const r = await cli(w, ["exchange", "export", "-o", out, ...args, ...extra]);
  return { ...r, out, text: () => readFileSync(out, "utf8") };
}

describe("InvokeCommand faults", () => {
  it("follows @odata.nextLink pages", async () => {
    w.tenant.faults.push({ kind: "page" });
    const r = await exportTo();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.text()).Identity).toBe("SMIMEConfig");
    expect(w.s.requests.filter((q) => q.url.endsWith("InvokeCommand?page=2"))).toHaveLength(1);
  });

  it("waits out 429 with Retry-After, and 503 and 504, then succeeds", async () => {
    w.tenant.faults.push({ kind: "429", retryAfter: "1" }, { kind: "503" }, { kind: "504" });
    const r = await exportTo();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("throttled (HTTP 429); trying again in 1 s");
    expect(r.stderr).toContain("unavailable (HTTP 503)");
    expect(r.stderr).toContain("unavailable (HTTP 504)");
  }, 20_000);

  it("gives up when throttling outlasts the budget, in one line", async () => {
    for (let i = 0; i < 10; i++) w.tenant.faults.push({ kind: "429", retryAfter: "0" });
    const r = await exportTo();
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^smimetrust: InvokeCommand Get-SmimeConfig: Exchange Online is throttled \(HTTP 429\); gave up after 6 attempts/,
    );
  });

  it("follows a regional redirect with the token and stays on the regional host", async () => {
    w.tenant.faults.push({ kind: "redirect" });
    const r = await cli(w, [
      "exchange",
      "apply",
      "--config",
      join(w.dir, "smime.config.json"),
      "--backup-dir",
      w.dir,
      "--verify-delay",
      "0",
      ...connectArgs(w),
    ]);
    expect(r.code).toBe(0);
    const regional = Number(new URL(w.s.regionalUrl).port);
    const calls = w.tenant.calls.map(
      (c) => `${c.cmdlet}@${c.host.endsWith(`:${regional}`) ? "regional" : "main"}`,
    );
    expect(calls).toEqual([
      "Get-SmimeConfig@regional",
      "Set-SmimeConfig@regional",
      "Get-SmimeConfig@regional",
    ]);
    expect(r.stderr).toContain(`redirected to 127.0.0.1:${regional}`);
  });

  it("refuses to carry the token to a host outside Exchange Online", async () => {
    w.tenant.faults.push({ kind: "foreign-redirect" });
    const r = await exportTo();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("which is not an Exchange Online host; not sending the token there");
    expect(w.s.requests.filter((q) => q.headers.host?.startsWith("localhost"))).toHaveLength(0);
  });

  it("turns an error envelope into one clear line", async () => {
    w.tenant.faults.push({
      kind: "envelope",
      code: "ValidationError",
      message: "The certificate collection contains an expired certificate.\r\nat Microsoft.Exchange...",
      detail: "Thumbprint 0123",
    });
    const r = await exportTo();
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines.at(-1)).toBe(
      "smimetrust: InvokeCommand Get-SmimeConfig: HTTP 400: ValidationError: The certificate collection contains an expired certificate. (Thumbprint 0123)",
    );
  });

  it("keeps secrets and terminal controls out of an envelope that echoes them", async () => {
    // a server that quotes the request back, token included
    w.tenant.faults.push({ kind: "echo" });
    const r = await exportTo();
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("\u001b");
    expect(r.stderr).toContain("token *** rejected");
    expect(w.s.secrets.length).toBeGreaterThan(0);
    assertNoSecrets(w, [r.stdout, r.stderr]);
  });

  it.each(["base64", "array", "data"] as const)("reads the trust list returned as %s", async (shape) => {
    w.tenant.shape = shape;
    const r = await exportTo();
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.text());
    expect(doc.SMIMECertificateIssuingCA).toBe(
      Buffer.from(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array).toString("base64"),
    );
    expect(doc.SMIMEExpiredCertificateThumbprint).toBe(w.pki.old.cert.sha1);
    expect(r.stdout).toContain(`SMIMEExpiredCertificateThumbprint: ${w.pki.old.cert.sha1}`);
    assertNoSecrets(w, [r.stdout, r.stderr, r.text()]);
  });
});

describe("sign-in", () => {
  it("a certificate the app does not have fails in one line, with no secret in it", async () => {
    const stranger = makeApp("stranger");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(w.dir, "stranger.pem"), stranger.pem);
    const r = await exportTo(
      [],
      [
        "--tenant",
        "contoso.onmicrosoft.com",
        "--app-id",
        w.app.appId,
        "--certificate",
        join(w.dir, "stranger.pem"),
      ],
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^smimetrust: sign-in to contoso\.onmicrosoft\.com failed: invalid_client: AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application\.\n$/,
    );
    assertNoSecrets(w, [r.stdout, r.stderr]);
    expect(r.stderr).not.toContain(stranger.keyPem.split("\n")[1]);
  });

  it("an unknown tenant fails in one line", async () => {
    const r = await exportTo(
      [],
      [
        "--tenant",
        "fabrikam.onmicrosoft.com",
        "--app-id",
        w.app.appId,
        "--certificate",
        join(w.dir, "app.pem"),
      ],
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sign-in to fabrikam.onmicrosoft.com failed: invalid_tenant: AADSTS90002");
  });

  it("the device code flow prints the code and address on stderr and polls until signed in", async () => {
    const r = await exportTo([], ["--tenant", w.tenant.id, "--device-code"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("open https://microsoft.com/devicelogin and enter the code ABCD-EFGH");
    expect(JSON.parse(r.text()).Identity).toBe("SMIMEConfig");
    const polls = w.s.requests.filter((q) => q.url.endsWith("/oauth2/v2.0/token"));
    expect(polls.length).toBe(2); // one "authorization_pending", then the token
    assertNoSecrets(w, [r.stdout, r.stderr]);
  }, 15_000);

  it("plan --live reads the tenant and plans against it", async () => {
    const r = await cli(w, [
      "exchange",
      "plan",
      "--live",
      "--config",
      join(w.dir, "smime.config.json"),
      ...connectArgs(w),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Plan for Exchange Online S/MIME: tenant contoso.onmicrosoft.com (current)");
    expect(r.stdout).toContain("~ OWAAlwaysSign  false -> true");
    expect(w.tenant.calls.map((c) => c.cmdlet)).toEqual(["Get-SmimeConfig"]);
    const both = await cli(w, ["exchange", "plan", "--config", join(w.dir, "smime.config.json")]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --current <export.json> or --live");
  });
});

describe("wire helpers", () => {
  it("decodes the three byte[] shapes and refuses others", () => {
    expect(decodeByteArray("AQID")).toEqual(Uint8Array.of(1, 2, 3));
    expect(decodeByteArray([1, 2, 3])).toEqual(Uint8Array.of(1, 2, 3));
    expect(decodeByteArray({ "@odata.type": "#Exchange.ByteArrayType", Data: [1, 2, 3] })).toEqual(
      Uint8Array.of(1, 2, 3),
    );
    expect(decodeByteArray(null)).toBeNull();
    expect(decodeByteArray([])).toBeNull();
    expect(() => decodeByteArray([1, 256])).toThrow(/item 1 is 256/);
    expect(() => decodeByteArray("not base64!")).toThrow(/not base64/);
    expect(() => decodeByteArray({ x: 1 })).toThrow(/object without Data/);
  });

  it("keeps the token within the Microsoft host family", () => {
    const u = (s: string) => new URL(s);
    expect(sameHostFamily(u("https://outlook.office365.com/a"), u("https://abc123.prod.outlook.com/a"))).toBe(
      true,
    );
    expect(sameHostFamily(u("https://outlook.office365.com/a"), u("https://evil.example.com/a"))).toBe(false);
    expect(sameHostFamily(u("https://outlook.office365.com/a"), u("http://outlook.office365.com/a"))).toBe(
      false,
    );
    expect(sameHostFamily(u("https://outlook.office365.com/a"), u("https://outlook.com.evil.net/a"))).toBe(
      false,
    );
  });

  it("reads Retry-After and error envelopes", () => {
    expect(retryAfterMs("7")).toBe(7000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(errorLine('{"error":{"code":"C","message":"M","details":[{"message":"D"}]}}')).toBe("C: M (D)");
    expect(errorLine("<html>")).toBeUndefined();
  });
});

describe("exchange wire-check", () => {
  it.each(["base64", "array", "data"] as const)(
    "re-uploads the tenant's own list and confirms it round-trips (returned as %s)",
    async (shape) => {
      w.tenant.shape = shape;
      const before = Buffer.from(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array).toString("base64");
      const r = await cli(w, ["exchange", "wire-check", "--backup-dir", tmp(), ...connectArgs(w)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Confirmed: the trust list round-trips byte for byte over InvokeCommand.");
      expect(r.stdout).toContain(
        { base64: "base64 text", array: "array of numbers", data: "{Data:[...]}" }[shape],
      );
      expect(w.tenant.calls.map((c) => c.cmdlet)).toEqual([
        "Get-SmimeConfig",
        "Set-SmimeConfig",
        "Get-SmimeConfig",
      ]);
      expect(Buffer.from(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array).toString("base64")).toBe(
        before,
      );
    },
  );

  it("refuses a tenant without a trust list", async () => {
    w.tenant.config.SMIMECertificateIssuingCA = null;
    const r = await cli(w, ["exchange", "wire-check", "--backup-dir", tmp(), ...connectArgs(w)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("has no trust list to upload again");
    expect(w.tenant.calls.map((c) => c.cmdlet)).toEqual(["Get-SmimeConfig"]);
  });
});
