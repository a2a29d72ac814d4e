/**
 * The monitor's Exchange Online source (preview): on each run, every tenant of the tenants file is read
 * live and compared with its desired state. Clients (and so their tokens) are kept in memory between runs,
 * never written anywhere.
 */
import { dirname } from "node:path";
import { parseConfig } from "../exchange/config.js";
import { type SettingName, type SettingValue, sameSettingValue } from "../exchange/settings.js";
import { loadCertificates, readInputFile } from "../io/files.js";
import { redactSecrets } from "../lib/redact.js";
import type { ExchangeTenantsReader, LiveTenantState } from "../monitor/collect.js";
import { buildTrustStore } from "../trust/build-store.js";
import type { AppCredential } from "./credential.js";
import { readAppCredential } from "./credential.js";
import { SignInError } from "./errors.js";
import type { HttpDeps } from "./http.js";
import { readLive } from "./live.js";
import { connect } from "./run.js";
import { parseTenantsFile, runLimited, type TenantEntry } from "./tenants.js";

export interface ReaderOptions {
  env: NodeJS.ProcessEnv;
  http: HttpDeps;
  authority?: string;
  endpoint?: string;
  parallel?: number;
}

const show = (v: unknown) =>
  v === null || v === undefined ? "(not set)" : typeof v === "string" ? `'${v}'` : String(v);

export function exchangeTenantsReader(opts: ReaderOptions): ExchangeTenantsReader {
  const clients = new Map<string, ReturnType<typeof connect>>();
  const credentialOf = (e: TenantEntry): AppCredential => {
    const password = e.certificatePasswordEnv ? opts.env[e.certificatePasswordEnv] : undefined;
    return readAppCredential(readInputFile(e.certificate), e.certificate, password);
  };
  return async (source, now) => {
    const text = Buffer.from(readInputFile(source.tenants)).toString("utf8");
    const entries = parseTenantsFile(text, source.tenants, dirname(source.tenants));
    return runLimited(entries, opts.parallel ?? 4, async (e): Promise<LiveTenantState> => {
      let secrets: string[] = [];
      try {
        const key = `${e.tenant}|${e.appId}|${e.certificate}`;
        let c = clients.get(key);
        if (!c) {
          c = connect({
            tenant: e.tenant,
            authority: opts.authority,
            endpoint: opts.endpoint,
            http: opts.http,
            signIn: { kind: "app", appId: e.appId, credential: credentialOf(e) },
          });
          clients.set(key, c);
        }
        secrets = c.auth.secrets();
        const live = (await readLive(c.client, `${source.name}/${e.name}`)).export;
        const state: LiveTenantState = {
          name: e.name,
          certificates: live.certificates,
          trustListSha256: live.trustListSha256,
        };
        try {
          const desired = parseConfig(Buffer.from(readInputFile(e.config)).toString("utf8"), e.config);
          const drift: string[] = [];
          for (const [name, want] of Object.entries(desired.settings) as [SettingName, SettingValue][]) {
            const have = live.settings[name];
            if (have === undefined || !sameSettingValue(name, have, want))
              drift.push(`${name} is ${show(have)}, expected ${show(want)}`);
          }
          state.settingDrift = drift;
          if (desired.trustPaths) {
            const certs = (await loadCertificates(desired.trustPaths)).certificates;
            state.desiredSha256 = buildTrustStore(certs, { now, maxBytes: Number.MAX_SAFE_INTEGER }).sha256;
          }
        } catch (err) {
          state.desiredError = (err as { describe?: () => string }).describe?.() ?? (err as Error).message;
        }
        return state;
      } catch (err) {
        const line = redactSecrets(
          (err as { describe?: () => string }).describe?.() ?? (err as Error).message,
          [...secrets, ...(clients.get(`${e.tenant}|${e.appId}|${e.certificate}`)?.auth.secrets() ?? [])],
        );
        if (err instanceof SignInError) return { name: e.name, signInFailed: line };
        return { name: e.name, error: line };
      }
    });
  };
}
