/**
 * Exchange Online's admin API, the endpoint the ExchangeOnlineManagement module (3.x) is a client of:
 * `POST {endpoint}/adminapi/beta/{tenant}/InvokeCommand` with `{"CmdletInput":{"CmdletName","Parameters"}}`.
 * Preview: the wire format of the trust-list parameter is inferred from public clients (docs/exchange-api.md).
 */
import { randomUUID } from "node:crypto";
import { redactSecrets } from "../lib/redact.js";
import type { TokenProvider } from "./auth.js";
import { ExchangeApiError } from "./errors.js";
import { errorLine, type HttpDeps, sameHostFamily, send } from "./http.js";

export const DEFAULT_ENDPOINT = "https://outlook.office365.com";
/** The system mailbox every admin API call is anchored to, per tenant. */
export const ANCHOR_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
const MAX_PAGES = 100;

export interface InvokeResult {
  value: Record<string, unknown>[];
  warnings: string[];
}

/** A byte[] parameter as the module sends it. */
export function byteArrayParameter(bytes: Uint8Array): { "@odata.type": string; Data: number[] } {
  return { "@odata.type": "#Exchange.ByteArrayType", Data: Array.from(bytes) };
}

/**
 * A byte[] as Get-SmimeConfig returns it over this API (not public): base64 text, an array of numbers, or
 * `{Data:[...]}`. null, absent and empty are "no bytes".
 */
export function decodeByteArray(v: unknown, what = "SMIMECertificateIssuingCA"): Uint8Array | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "string") {
    const s = v.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1)
      throw new ExchangeApiError(`${what} came back as text that is not base64`);
    const b = new Uint8Array(Buffer.from(s, "base64"));
    return b.length ? b : null;
  }
  const arr = Array.isArray(v)
    ? v
    : typeof v === "object" && Array.isArray((v as { Data?: unknown }).Data)
      ? (v as { Data: unknown[] }).Data
      : undefined;
  if (!arr)
    throw new ExchangeApiError(
      `${what} came back as ${typeof v === "object" ? "an object without Data" : typeof v}; expected base64 text, an array of numbers or {"Data":[...]}`,
    );
  const out = new Uint8Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const n = arr[i];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 255)
      throw new ExchangeApiError(`${what}: item ${i} is ${JSON.stringify(n)}, not a byte (0-255)`);
    out[i] = n;
  }
  return out.length ? out : null;
}

/** Which of the three shapes a byte[] came back in (for `exchange wire-check`). */
export function byteArrayShape(
  v: unknown,
): "base64 text" | "array of numbers" | "{Data:[...]}" | "empty" | "unknown" {
  if (v === null || v === undefined || v === "") return "empty";
  if (typeof v === "string") return "base64 text";
  if (Array.isArray(v)) return "array of numbers";
  if (typeof v === "object" && Array.isArray((v as { Data?: unknown }).Data)) return "{Data:[...]}";
  return "unknown";
}

export interface ClientOptions {
  /** Default https://outlook.office365.com; settable for tests only. */
  endpoint?: string;
  auth: TokenProvider;
  http: HttpDeps;
}

export class ExchangeOnlineClient {
  private base: URL;
  constructor(private readonly opts: ClientOptions) {
    this.base = new URL((opts.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, ""));
  }

  /** Secrets to take out of any text: the token, and whatever the sign-in holds. */
  secrets(): string[] {
    return this.opts.auth.secrets();
  }

  /** Runs one cmdlet; follows @odata.nextLink pages; turns an error envelope into one line. */
  async invoke(cmdlet: string, parameters: Record<string, unknown> = {}): Promise<InvokeResult> {
    const token = await this.opts.auth.token();
    const tenant = this.opts.auth.tenantId();
    const what = `InvokeCommand ${cmdlet}`;
    const body = JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } });
    const headers = (t: string) => ({
      Authorization: `Bearer ${t}`,
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-AnchorMailbox": `APP:${ANCHOR_MAILBOX}@${tenant}`,
      Prefer: "odata.maxpagesize=1000",
      "client-request-id": randomUUID(),
      "X-ResponseFormat": "json",
    });
    const origin = this.base;
    let url = `${this.base.href.replace(/\/+$/, "")}/adminapi/beta/${encodeURIComponent(tenant)}/InvokeCommand`;
    const out: InvokeResult = { value: [], warnings: [] };
    let retried401 = false;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await send(
        { method: "POST", url, headers: headers(await this.opts.auth.token()), body },
        {
          deps: this.opts.http,
          secrets: () => [token, ...this.secrets()],
          what,
          onRedirect: (to) => {
            // Talk to the regional host directly from now on.
            if (to.pathname.includes("/adminapi/")) this.base = new URL(to.origin);
          },
        },
      );
      if (res.status === 401 && !retried401) {
        retried401 = true;
        this.opts.auth.forget();
        page--;
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        const line = errorLine(res.text);
        throw new ExchangeApiError(
          redactSecrets(`${what}: HTTP ${res.status}${line ? `: ${line}` : ""}`, [token, ...this.secrets()]),
          { status: res.status },
        );
      }
      let doc: { value?: unknown; "@odata.nextLink"?: unknown; "@adminapi.warnings"?: unknown };
      try {
        doc = JSON.parse(res.text);
      } catch {
        throw new ExchangeApiError(`${what}: the answer is not JSON`, { status: res.status });
      }
      if (!Array.isArray(doc.value)) throw new ExchangeApiError(`${what}: the answer has no "value" list`);
      for (const v of doc.value) if (v && typeof v === "object") out.value.push(v as Record<string, unknown>);
      if (Array.isArray(doc["@adminapi.warnings"]))
        for (const w of doc["@adminapi.warnings"]) if (typeof w === "string") out.warnings.push(w);
      const next = doc["@odata.nextLink"];
      if (typeof next !== "string" || !next) return out;
      const nextUrl = new URL(next, res.url);
      if (!sameHostFamily(origin, nextUrl) && !sameHostFamily(this.base, nextUrl))
        throw new ExchangeApiError(
          `${what}: the next page is on ${nextUrl.host}, not an Exchange Online host`,
        );
      url = nextUrl.href;
    }
    throw new ExchangeApiError(`${what}: more than ${MAX_PAGES} pages`);
  }

  async getSmimeConfig(): Promise<Record<string, unknown>> {
    const r = await this.invoke("Get-SmimeConfig");
    if (r.value.length !== 1)
      throw new ExchangeApiError(
        `InvokeCommand Get-SmimeConfig: expected one configuration, got ${r.value.length}`,
      );
    return r.value[0];
  }

  /** Set-SmimeConfig with only the given parameters; a Uint8Array is sent as #Exchange.ByteArrayType. */
  async setSmimeConfig(parameters: Record<string, unknown>): Promise<string[]> {
    const p: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parameters))
      p[k] = v instanceof Uint8Array ? byteArrayParameter(v) : v;
    return (await this.invoke("Set-SmimeConfig", p)).warnings;
  }
}
