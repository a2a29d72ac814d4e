/**
 * The tenants file for many tenants from one place:
 * `{"config": "smime.config.json", "tenants": [{"name", "tenant", "appId", "certificate", "certificatePasswordEnv"?, "config"?}]}`.
 * Paths are relative to the file. No secret is written in it: a key's password comes from the environment
 * variable the entry names.
 */
import { isAbsolute, resolve } from "node:path";
import { UsageError } from "../errors.js";

export interface TenantEntry {
  name: string;
  tenant: string;
  appId: string;
  /** The app's certificate with its private key (PEM or PFX), absolute. */
  certificate: string;
  certificatePasswordEnv?: string;
  /** The desired state (the entry's own, else the shared one), absolute. */
  config: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/;

/** A tenant id (GUID) or domain (contoso.onmicrosoft.com); throws UsageError naming `key`. */
export function checkTenant(v: unknown, key: string): string {
  if (typeof v !== "string" || !(GUID.test(v) || DOMAIN.test(v)))
    throw new UsageError(
      `${key}: ${JSON.stringify(v)} is not a tenant id (a GUID) or domain (e.g. contoso.onmicrosoft.com)`,
    );
  return v;
}

/** An application (client) id: a GUID. */
export function checkAppId(v: unknown, key: string): string {
  if (typeof v !== "string" || !GUID.test(v))
    throw new UsageError(`${key}: ${JSON.stringify(v)} is not an application (client) id (a GUID)`);
  return v;
}

const ENTRY_KEYS = new Set(["name", "tenant", "appId", "certificate", "certificatePasswordEnv", "config"]);

export function parseTenantsFile(text: string, file: string, baseDir: string): TenantEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new UsageError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const bad = (m: string) => new UsageError(m, { file });
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw bad('expected {"config": "...", "tenants": [...]}');
  const d = doc as { config?: unknown; tenants?: unknown };
  for (const k of Object.keys(d))
    if (!["$schema", "config", "tenants"].includes(k))
      throw bad(`${k}: unknown key (expected config, tenants)`);
  if (d.config !== undefined && typeof d.config !== "string") throw bad("config: must be a path");
  if (!Array.isArray(d.tenants) || d.tenants.length === 0)
    throw bad("tenants: must be a list of one or more tenants");
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const names = new Set<string>();
  return d.tenants.map((t, i) => {
    const key = `tenants[${i}]`;
    if (!t || typeof t !== "object" || Array.isArray(t)) throw bad(`${key}: must be an object`);
    const e = t as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (/pass|secret|key$|token/i.test(k) && k !== "certificatePasswordEnv")
        throw bad(
          `${key}.${k}: no secrets in the tenants file; name an environment variable with certificatePasswordEnv`,
        );
      if (!ENTRY_KEYS.has(k)) throw bad(`${key}.${k}: unknown key`);
    }
    let tenant: string;
    let appId: string;
    try {
      tenant = checkTenant(e.tenant, `${key}.tenant`);
      appId = checkAppId(e.appId, `${key}.appId`);
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (typeof e.certificate !== "string" || !e.certificate)
      throw bad(`${key}.certificate: required (a path)`);
    const config = e.config ?? d.config;
    if (typeof config !== "string" || !config)
      throw bad(`${key}.config: required (or a shared "config" at the top level)`);
    if (
      e.certificatePasswordEnv !== undefined &&
      (typeof e.certificatePasswordEnv !== "string" ||
        !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.certificatePasswordEnv))
    )
      throw bad(`${key}.certificatePasswordEnv: must be an environment variable name`);
    const name = e.name === undefined ? tenant : e.name;
    if (typeof name !== "string" || !name || /[\u0000-\u001f\u007f]/.test(name))
      throw bad(`${key}.name: must be text`);
    if (names.has(name)) throw bad(`${key}.name: '${name}' is used twice`);
    names.add(name);
    return {
      name,
      tenant,
      appId,
      certificate: abs(e.certificate),
      ...(e.certificatePasswordEnv ? { certificatePasswordEnv: e.certificatePasswordEnv as string } : {}),
      config: abs(config),
    };
  });
}

/** Runs `fn` over `items`, at most `parallel` at a time; results in the items' order. */
export async function runLimited<T, R>(
  items: readonly T[],
  parallel: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  return out;
}
