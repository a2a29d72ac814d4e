/**
 * Sign-in to Microsoft Entra ID for Exchange Online, written against the OAuth 2.0 specifications with
 * node:crypto (no MSAL): app-only with a certificate (client credentials with a client assertion, RFC 7523)
 * and delegated with the device authorization grant (RFC 8628). Tokens are kept in memory only, by the
 * provider that got them, until shortly before they expire.
 */
import { randomUUID, sign } from "node:crypto";
import { redactSecrets } from "../lib/redact.js";
import type { AppCredential } from "./credential.js";
import { SignInError } from "./errors.js";
import { defaultSleep, type HttpDeps, send } from "./http.js";

export const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
export const EXCHANGE_SCOPE = "https://outlook.office365.com/.default";
/** The public client the ExchangeOnlineManagement module signs in with (device code, delegated). */
export const EXCHANGE_MODULE_CLIENT_ID = "fb78d390-0c51-40cd-8e17-fdbfab77341b";

export interface TokenProvider {
  /** A bearer token for Exchange Online (from memory while it is still good for five minutes). */
  token(): Promise<string>;
  /** The tenant's id (GUID) once known (the token's tid claim), else the tenant as given. */
  tenantId(): string;
  /** Every secret this provider holds, for redaction. */
  secrets(): string[];
  /** Forgets the token (after a 401). */
  forget(): void;
}

const b64url = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");

/** The client assertion: a JWT signed RS256 with the app's certificate key. */
export function clientAssertion(
  appId: string,
  audience: string,
  cred: AppCredential,
  now: number,
  jti: string = randomUUID(),
): string {
  const header = { alg: "RS256", typ: "JWT", x5t: cred.x5t, "x5t#S256": cred.x5tS256 };
  const t = Math.floor(now / 1000);
  const payload = { aud: audience, iss: appId, sub: appId, jti, nbf: t - 60, iat: t, exp: t + 600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = sign("sha256", Buffer.from(input), cred.privateKey);
  return `${input}.${b64url(sig)}`;
}

/** The claims of a JWT, unverified (only to learn the tenant id); undefined when not a JWT. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const v = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface SignInOptions {
  /** Default https://login.microsoftonline.com; settable for tests only (option or environment). */
  authority?: string;
  /** The tenant: its id or its *.onmicrosoft.com domain. */
  tenant: string;
  http: HttpDeps;
  now?: () => number;
}

interface TokenAnswer {
  access_token?: string;
  expires_in?: number | string;
  error?: string;
  error_description?: string;
}

abstract class BaseSignIn implements TokenProvider {
  protected cached?: { token: string; until: number };
  protected tid?: string;
  protected readonly known: string[] = [];
  protected readonly authority: string;
  constructor(protected readonly opts: SignInOptions) {
    this.authority = (opts.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, "");
  }
  protected now(): number {
    return (this.opts.now ?? Date.now)();
  }
  protected endpoint(path: string): string {
    return `${this.authority}/${encodeURIComponent(this.opts.tenant)}/oauth2/v2.0/${path}`;
  }
  tenantId(): string {
    return this.tid ?? this.opts.tenant;
  }
  secrets(): string[] {
    return [...this.known, ...(this.cached ? [this.cached.token] : [])];
  }
  forget(): void {
    this.cached = undefined;
  }
  protected fail(detail: string): never {
    throw new SignInError(
      `sign-in to ${this.opts.tenant} failed: ${redactSecrets(detail, this.secrets()).replace(/[\u0000-\u001f\u007f]/g, " ")}`,
    );
  }
  protected async post(
    path: string,
    form: Record<string, string>,
  ): Promise<{ status: number; body: TokenAnswer }> {
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send(
        {
          method: "POST",
          url: this.endpoint(path),
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
          body: new URLSearchParams(form).toString(),
        },
        { deps: this.opts.http, secrets: () => this.secrets(), what: "sign-in" },
      );
    } catch (e) {
      this.fail((e as Error).message.replace(/^sign-in: /, ""));
    }
    let body: TokenAnswer;
    try {
      body = JSON.parse(res.text) as TokenAnswer;
    } catch {
      this.fail(`the token endpoint answered HTTP ${res.status} without JSON`);
    }
    return { status: res.status, body };
  }
  protected keep(body: TokenAnswer): string {
    const token = body.access_token;
    if (!token) this.fail("the token endpoint answered without an access token");
    const secs = Number(body.expires_in ?? 3600);
    this.cached = { token, until: this.now() + Math.max(0, secs - 300) * 1000 };
    const tid = jwtClaims(token)?.tid;
    if (typeof tid === "string" && /^[0-9a-f-]{36}$/i.test(tid)) this.tid = tid;
    return token;
  }
  protected static describe(body: TokenAnswer, status: number): string {
    const first = (body.error_description ?? "").split(/\r?\n/)[0].trim();
    return `${body.error ?? `HTTP ${status}`}${first ? `: ${first}` : ""}`;
  }
  abstract token(): Promise<string>;
}

/** App-only sign-in: client credentials with a certificate (Exchange.ManageAsApp). */
export class AppCertificateSignIn extends BaseSignIn {
  constructor(
    opts: SignInOptions,
    private readonly appId: string,
    private readonly credential: AppCredential,
  ) {
    super(opts);
  }
  async token(): Promise<string> {
    if (this.cached && this.cached.until > this.now()) return this.cached.token;
    const aud = this.endpoint("token");
    const assertion = clientAssertion(this.appId, aud, this.credential, this.now());
    this.known.push(assertion);
    try {
      const { status, body } = await this.post("token", {
        client_id: this.appId,
        scope: EXCHANGE_SCOPE,
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      });
      if (status !== 200 || !body.access_token) this.fail(BaseSignIn.describe(body, status));
      return this.keep(body);
    } finally {
      this.known.splice(this.known.indexOf(assertion), 1);
    }
  }
}

/** Delegated sign-in with the device code flow: the code and address go to `prompt` (stderr), then we poll. */
export class DeviceCodeSignIn extends BaseSignIn {
  constructor(
    opts: SignInOptions,
    private readonly clientId: string,
    private readonly prompt: (line: string) => void,
  ) {
    super(opts);
  }
  async token(): Promise<string> {
    if (this.cached && this.cached.until > this.now()) return this.cached.token;
    const start = await this.post("devicecode", { client_id: this.clientId, scope: EXCHANGE_SCOPE });
    const dc = start.body as TokenAnswer & {
      device_code?: string;
      user_code?: string;
      verification_uri?: string;
      expires_in?: number;
      interval?: number;
    };
    if (start.status !== 200 || !dc.device_code || !dc.user_code || !dc.verification_uri)
      this.fail(BaseSignIn.describe(dc, start.status));
    this.known.push(dc.device_code);
    const show = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, "");
    this.prompt(
      `To sign in, open ${show(dc.verification_uri)} and enter the code ${show(dc.user_code)} (it expires in ${Math.round(Number(dc.expires_in ?? 900) / 60)} minutes).`,
    );
    const sleep = this.opts.http.sleep ?? defaultSleep;
    let interval = Math.max(1, Number(dc.interval ?? 5)) * 1000;
    const deadline = this.now() + Number(dc.expires_in ?? 900) * 1000;
    try {
      while (this.now() < deadline) {
        await sleep(interval);
        const { status, body } = await this.post("token", {
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          client_id: this.clientId,
          device_code: dc.device_code,
        });
        if (status === 200 && body.access_token) return this.keep(body);
        if (body.error === "authorization_pending") continue;
        if (body.error === "slow_down") {
          interval += 5000;
          continue;
        }
        this.fail(BaseSignIn.describe(body, status));
      }
      this.fail("the device code expired before the sign-in was completed");
    } finally {
      this.known.splice(this.known.indexOf(dc.device_code), 1);
    }
  }
}
