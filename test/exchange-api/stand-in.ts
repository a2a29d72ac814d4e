/**
 * A stand-in for Microsoft Entra ID's token endpoint and Exchange Online's InvokeCommand, on 127.0.0.1, for
 * tests: state per tenant, the client assertion's signature checked against the registered certificate,
 * the device code flow, the bearer token and the anchor header checked on every call, and faults on
 * demand (paging, 429 + Retry-After, 503, 504, a regional redirect, a redirect to a foreign host, an error
 * envelope) and the three shapes a byte[] may come back in.
 */
import { createHash, createPublicKey, randomBytes, randomUUID, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readCertificateBytes } from "../../src/formats/read.js";
import { Certificate } from "../../src/x509/certificate.js";

export const ANCHOR = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
export const SCOPE = "https://outlook.office365.com/.default";

export type ByteShape = "base64" | "array" | "data";
export type Fault =
  | { kind: "429"; retryAfter?: string }
  | { kind: "503" }
  | { kind: "504" }
  | { kind: "redirect" }
  | { kind: "foreign-redirect" }
  | { kind: "envelope"; status?: number; code: string; message: string; detail?: string }
  | { kind: "page" }
  /** An error envelope that quotes the bearer token back (a careless server). */
  | { kind: "echo" };

export interface StandInTenant {
  id: string;
  domain: string;
  appId: string;
  /** The registered certificate credential (DER). */
  credential: Uint8Array;
  /** Get-SmimeConfig's properties (SMIMECertificateIssuingCA held as bytes or null). */
  config: Record<string, unknown>;
  shape: ByteShape;
  /** Faults to answer InvokeCommand with, first to last, before the real answer. */
  faults: Fault[];
  /** Read-backs after a Set-SmimeConfig that still show the old state. */
  lag: number;
  /** Every cmdlet call, in order. */
  calls: { cmdlet: string; parameters: Record<string, unknown>; host: string }[];
  /** Device code sign-ins: polls answered "pending" before success. */
  devicePending: number;
}

export interface StandIn {
  url: string;
  regionalUrl: string;
  tenants: Map<string, StandInTenant>;
  /** Every token and assertion issued or received (must never show up in any output). */
  secrets: string[];
  /** Every request seen (method, url, host header). */
  requests: { method: string; url: string; port: number; headers: IncomingMessage["headers"] }[];
  addTenant(
    t: Partial<StandInTenant> & {
      domain: string;
      appId: string;
      credential: Uint8Array;
      config: Record<string, unknown>;
    },
  ): StandInTenant;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((res, rej) => {
    const parts: Buffer[] = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => res(Buffer.concat(parts).toString("utf8")));
    req.on("error", rej);
  });
}

function json(res: ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(doc));
}

function envelope(res: ServerResponse, status: number, code: string, message: string, detail?: string) {
  json(res, status, {
    error: {
      code,
      message,
      details: detail ? [{ code: "Detail", message: detail }] : [],
      innererror: { message, type: "Microsoft.Exchange.Management.Tasks.ValidationException" },
    },
  });
}

const b64urlJson = (s: string) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

/** The earliest-expiring certificate of an .sst, as Get-SmimeConfig reports it. */
function expiryOf(bytes: Uint8Array | null): { date: string | null; thumbprint: string } {
  if (!bytes) return { date: null, thumbprint: "" };
  const certs = readCertificateBytes(bytes, "stand-in").certificates;
  const first = [...certs].sort((a, b) => a.notAfter - b.notAfter)[0];
  return first
    ? { date: new Date(first.notAfter).toISOString().replace(/\.\d{3}Z$/, "Z"), thumbprint: first.sha1 }
    : { date: null, thumbprint: "" };
}

export async function startStandIn(): Promise<StandIn> {
  const tenants = new Map<string, StandInTenant>();
  const tokens = new Map<string, string>(); // token -> tenant id
  const jtis = new Set<string>();
  const devices = new Map<string, { tenant: string; polls: number }>();
  const secrets: string[] = [];
  const requests: StandIn["requests"] = [];
  const find = (key: string) =>
    [...tenants.values()].find((t) => t.id === key || t.domain.toLowerCase() === key.toLowerCase());
  let mainPort = 0;
  let regionalPort = 0;

  const issue = (t: StandInTenant, appId: string) => {
    const head = Buffer.from(JSON.stringify({ typ: "JWT", alg: "none" })).toString("base64url");
    const claims = Buffer.from(
      JSON.stringify({
        aud: "https://outlook.office365.com",
        tid: t.id,
        appid: appId,
        roles: ["Exchange.ManageAsApp"],
        n: randomUUID(),
      }),
    ).toString("base64url");
    const token = `${head}.${claims}.${randomBytes(24).toString("base64url")}`;
    tokens.set(token, t.id);
    secrets.push(token);
    return { token_type: "Bearer", expires_in: 3599, access_token: token };
  };

  const tokenEndpoint = async (
    req: IncomingMessage,
    res: ServerResponse,
    tenantKey: string,
    kind: string,
  ) => {
    const t = find(decodeURIComponent(tenantKey));
    const form = new URLSearchParams(await body(req));
    const bad = (error: string, description: string, status = 400) =>
      json(res, status, {
        error,
        error_description: `${description}\r\nTrace ID: ${randomUUID()}`,
        error_codes: [700027],
      });
    if (!t) return bad("invalid_tenant", `AADSTS90002: Tenant '${tenantKey}' not found.`);
    if (kind === "devicecode") {
      if (form.get("scope") !== SCOPE) return bad("invalid_scope", "AADSTS70011: bad scope");
      const device = randomBytes(16).toString("hex");
      devices.set(device, { tenant: t.id, polls: 0 });
      secrets.push(device);
      return json(res, 200, {
        device_code: device,
        user_code: "ABCD-EFGH",
        verification_uri: "https://microsoft.com/devicelogin",
        expires_in: 900,
        interval: 1,
        message: "To sign in, use a web browser ...",
      });
    }
    const grant = form.get("grant_type");
    if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
      const d = devices.get(form.get("device_code") ?? "");
      if (!d || d.tenant !== t.id) return bad("invalid_grant", "AADSTS70000: bad device code");
      if (d.polls++ < t.devicePending) return bad("authorization_pending", "AADSTS70016: pending");
      return json(res, 200, issue(t, form.get("client_id") ?? ""));
    }
    if (grant !== "client_credentials") return bad("unsupported_grant_type", "AADSTS70003: grant");
    if (form.get("scope") !== SCOPE)
      return bad("invalid_scope", "AADSTS1002012: The provided value for scope is not valid.");
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return bad("invalid_client", "AADSTS7000216: client_assertion_type required");
    const assertion = form.get("client_assertion") ?? "";
    secrets.push(assertion);
    const [h, p, s] = assertion.split(".");
    let header: Record<string, string>;
    let claims: Record<string, unknown>;
    try {
      header = b64urlJson(h);
      claims = b64urlJson(p);
    } catch {
      return bad("invalid_client", "AADSTS50027: JWT token is invalid or malformed.");
    }
    const clientId = form.get("client_id");
    if (clientId !== t.appId)
      return bad(
        "unauthorized_client",
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
      );
    const cert = new Certificate(t.credential);
    const x5t = createHash("sha1").update(t.credential).digest("base64url");
    const x5t256 = createHash("sha256").update(t.credential).digest("base64url");
    if (header.alg !== "RS256" || header.x5t !== x5t || header["x5t#S256"] !== x5t256)
      return bad(
        "invalid_client",
        "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.",
        401,
      );
    const key = createPublicKey({ key: Buffer.from(cert.spki), format: "der", type: "spki" });
    if (!verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s ?? "", "base64url")))
      return bad("invalid_client", "AADSTS700027: Client assertion failed signature validation.", 401);
    const now = Math.floor(Date.now() / 1000);
    const aud = `http://127.0.0.1:${mainPort}/${tenantKey}/oauth2/v2.0/token`;
    if (claims.aud !== aud)
      return bad("invalid_client", `AADSTS700212: audience ${String(claims.aud)} is not ${aud}`, 401);
    if (claims.iss !== clientId || claims.sub !== clientId)
      return bad("invalid_client", "AADSTS700021: iss/sub", 401);
    if (
      typeof claims.exp !== "number" ||
      claims.exp < now ||
      typeof claims.nbf !== "number" ||
      claims.nbf > now + 60
    )
      return bad("invalid_client", "AADSTS700024: Client assertion is not within its valid time range.", 401);
    if (typeof claims.jti !== "string" || jtis.has(claims.jti))
      return bad("invalid_client", "AADSTS700030: jti replay", 401);
    jtis.add(claims.jti);
    return json(res, 200, issue(t, clientId));
  };

  const invoke = async (req: IncomingMessage, res: ServerResponse, tenantKey: string, port: number) => {
    const text = await body(req);
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const tid = tokens.get(token);
    const t = find(decodeURIComponent(tenantKey));
    if (!tid || !t || t.id !== tid)
      return envelope(res, 401, "Unauthorized", "The bearer token is missing or not for this tenant.");
    if (req.headers["x-anchormailbox"] !== `APP:${ANCHOR}@${t.id}`)
      return envelope(res, 400, "BadAnchor", `X-AnchorMailbox must be APP:${ANCHOR}@${t.id}`);
    if (
      !String(req.headers["content-type"]).startsWith("application/json") ||
      !req.headers["client-request-id"]
    )
      return envelope(res, 400, "BadRequest", "Content-Type and client-request-id are required");
    if (req.headers.prefer !== "odata.maxpagesize=1000")
      return envelope(res, 400, "BadRequest", "Prefer header missing");
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const fault = url.searchParams.has("page") ? undefined : t.faults.shift();
    if (fault) {
      switch (fault.kind) {
        case "429":
          res.setHeader("Retry-After", fault.retryAfter ?? "1");
          return envelope(res, 429, "TooManyRequests", "Too many requests");
        case "503":
        case "504":
          res.writeHead(Number(fault.kind));
          return res.end();
        case "redirect":
          res.writeHead(302, { Location: `http://127.0.0.1:${regionalPort}${url.pathname}` });
          return res.end();
        case "foreign-redirect":
          res.writeHead(302, { Location: `http://localhost:${regionalPort}${url.pathname}` });
          return res.end();
        case "envelope":
          return envelope(res, fault.status ?? 400, fault.code, fault.message, fault.detail);
        case "echo":
          return envelope(res, 400, "Bad\u001b[31mRequest", `token ${token} rejected`, `header was ${auth}`);
        case "page":
          // The first page is empty; the answer comes at the next link (the same call, sent again there).
          return json(res, 200, { value: [], "@odata.nextLink": `${url.pathname}?page=2` });
      }
    }
    let input: { CmdletInput?: { CmdletName?: string; Parameters?: Record<string, unknown> } };
    try {
      input = JSON.parse(text);
    } catch {
      return envelope(res, 400, "BadRequest", "not JSON");
    }
    const cmdlet = input.CmdletInput?.CmdletName ?? "";
    const parameters = input.CmdletInput?.Parameters ?? {};
    t.calls.push({ cmdlet, parameters, host: `127.0.0.1:${port}` });
    if (cmdlet === "Get-SmimeConfig") {
      const view = t.lag > 0 && previous.has(t.id) ? previous.get(t.id)! : t.config;
      if (t.lag > 0 && previous.has(t.id)) t.lag--;
      const bytes = view.SMIMECertificateIssuingCA as Uint8Array | null;
      const shown =
        bytes === null
          ? null
          : t.shape === "base64"
            ? Buffer.from(bytes).toString("base64")
            : t.shape === "array"
              ? Array.from(bytes)
              : { "@odata.type": "#Exchange.ByteArrayType", Data: Array.from(bytes) };
      return json(res, 200, {
        "@odata.context": "https://outlook.office365.com/adminapi/beta/$metadata#SmimeConfig",
        value: [{ "@odata.type": "#Exchange.GenericHashTable", ...view, SMIMECertificateIssuingCA: shown }],
      });
    }
    if (cmdlet === "Set-SmimeConfig") {
      const next = { ...t.config };
      for (const [k, v] of Object.entries(parameters)) {
        if (k === "SMIMECertificateIssuingCA") {
          if (v === null) {
            next[k] = null;
            continue;
          }
          const o = v as { "@odata.type"?: string; Data?: unknown };
          if (o["@odata.type"] !== "#Exchange.ByteArrayType" || !Array.isArray(o.Data))
            return envelope(
              res,
              400,
              "InvalidParameter",
              "Cannot convert the SMIMECertificateIssuingCA value to System.Byte[]",
            );
          const bytes = Uint8Array.from(o.Data as number[]);
          const certs = readCertificateBytes(bytes, "upload").certificates;
          const expired = certs.find((c) => c.notAfter < Date.now());
          if (expired)
            return envelope(
              res,
              400,
              "ValidationError",
              "The certificate collection contains an expired certificate.",
              `Thumbprint ${expired.sha1}`,
            );
          next[k] = bytes;
        } else next[k] = v;
      }
      const e = expiryOf(next.SMIMECertificateIssuingCA as Uint8Array | null);
      next.SMIMECertificatesExpiryDate = e.date;
      next.SMIMEExpiredCertificateThumbprint = e.thumbprint;
      previous.set(t.id, t.config);
      t.config = next;
      return json(res, 200, { value: [] });
    }
    return envelope(res, 400, "CommandNotFound", `The term '${cmdlet}' is not recognized`);
  };
  const previous = new Map<string, Record<string, unknown>>();

  const handler = (port: () => number) => (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", port: port(), headers: req.headers });
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/(token|devicecode)$/.exec(url.pathname);
    const inv = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/.exec(url.pathname);
    const p = (async () => {
      if (req.method === "POST" && tok && port() === mainPort) return tokenEndpoint(req, res, tok[1], tok[2]);
      if (req.method === "POST" && inv) return invoke(req, res, inv[1], port());
      json(res, 404, { error: { code: "NotFound", message: "no such endpoint" } });
    })();
    p.catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  };

  const main: Server = createServer(handler(() => mainPort));
  const regional: Server = createServer(handler(() => regionalPort));
  await new Promise<void>((r) => main.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => regional.listen(0, "127.0.0.1", r));
  mainPort = (main.address() as AddressInfo).port;
  regionalPort = (regional.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${mainPort}`,
    regionalUrl: `http://127.0.0.1:${regionalPort}`,
    tenants,
    secrets,
    requests,
    addTenant(x) {
      const t: StandInTenant = {
        id: x.id ?? randomUUID(),
        shape: "data",
        faults: [],
        lag: 0,
        calls: [],
        devicePending: 1,
        ...x,
      };
      tenants.set(t.id, t);
      return t;
    },
    close: () =>
      new Promise<void>((r) => {
        main.closeAllConnections();
        regional.closeAllConnections();
        main.close(() => regional.close(() => r()));
      }),
  };
}
