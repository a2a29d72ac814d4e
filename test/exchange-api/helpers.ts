/** Shared set-up for the Exchange Online client tests: keys made at test time, never committed. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SETTINGS } from "../../src/exchange/settings.js";
import { createSst } from "../../src/formats/sst.js";
import { type CliResult, cli as runCli } from "../helpers/cli.js";
import { type Issued, intermediate, issue, makeKey, root } from "../helpers/pki.js";
import { type StandIn, type StandInTenant, startStandIn } from "./stand-in.js";

export interface App {
  appId: string;
  pem: string;
  der: Uint8Array;
  /** The private key (PEM): must never show up in any output. */
  keyPem: string;
}

let n = 0;
export function makeApp(reuse = "app"): App {
  const key = makeKey({ type: "rsa", bits: 2048 }, reuse);
  const c = issue({ subject: `CN=smimetrust test app ${++n}`, key, days: 365 });
  const keyPem = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { appId: crypto.randomUUID(), pem: `${c.pem}${keyPem}`, der: c.der, keyPem };
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), "smimetrust-exo-"));
}

export interface Pki {
  root: Issued;
  issuing: Issued;
  old: Issued;
}

export function makePki(): Pki {
  const r = root("CN=Contoso Root CA,O=Contoso", { days: 3650 });
  return {
    root: r,
    issuing: intermediate("CN=Contoso Issuing CA,O=Contoso", r, { days: 1000 }),
    old: root("CN=Fabrikam Root CA,O=Fabrikam", { days: 400 }),
  };
}

export function defaultConfig(list: Issued[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = { Identity: "SMIMEConfig", Name: "SMIMEConfig" };
  for (const [k, v] of Object.entries(SETTINGS)) out[k] = v.default;
  if (list?.length) {
    out.SMIMECertificateIssuingCA = createSst(list.map((c) => ({ der: c.der })));
    const first = [...list].sort((a, b) => a.cert.notAfter - b.cert.notAfter)[0];
    out.SMIMECertificatesExpiryDate = new Date(first.cert.notAfter).toISOString().replace(/\.\d{3}Z$/, "Z");
    out.SMIMEExpiredCertificateThumbprint = first.cert.sha1;
  } else {
    out.SMIMECertificateIssuingCA = null;
    out.SMIMECertificatesExpiryDate = null;
    out.SMIMEExpiredCertificateThumbprint = "";
  }
  return out;
}

/** A folder with the desired state: the Contoso root and issuing CA, OWAAlwaysSign on. */
export function desiredFolder(pki: Pki, settings: Record<string, unknown> = { OWAAlwaysSign: true }): string {
  const dir = tmp();
  writeFileSync(join(dir, "root.pem"), pki.root.pem);
  writeFileSync(join(dir, "issuing.pem"), pki.issuing.pem);
  writeFileSync(
    join(dir, "smime.config.json"),
    JSON.stringify({ trust: ["root.pem", "issuing.pem"], settings }, null, 2),
  );
  return dir;
}

export interface World {
  s: StandIn;
  pki: Pki;
  app: App;
  tenant: StandInTenant;
  dir: string;
  env: NodeJS.ProcessEnv;
}

export async function world(): Promise<World> {
  const s = await startStandIn();
  const pki = makePki();
  const app = makeApp();
  const dir = desiredFolder(pki);
  writeFileSync(join(dir, "app.pem"), app.pem);
  const tenant = s.addTenant({
    domain: "contoso.onmicrosoft.com",
    appId: app.appId,
    credential: app.der,
    config: defaultConfig([pki.old]),
  });
  return {
    s,
    pki,
    app,
    tenant,
    dir,
    env: { SMIMETRUST_EXCHANGE_AUTHORITY: s.url, SMIMETRUST_EXCHANGE_ENDPOINT: s.url },
  };
}

export function connectArgs(w: World, tenant = "contoso.onmicrosoft.com"): string[] {
  return ["--tenant", tenant, "--app-id", w.app.appId, "--certificate", join(w.dir, "app.pem")];
}

export function cli(w: World, args: string[]): Promise<CliResult> {
  return runCli(args, { env: w.env });
}

/** Everything that must never leave the program: tokens, assertions, device codes, the private key. */
export function assertNoSecrets(w: World, texts: string[]): void {
  const keyBody = w.app.keyPem.split("\n").filter((l) => l && !l.startsWith("-----"));
  const secrets = [...w.s.secrets, ...keyBody];
  for (const t of texts)
    for (const sec of secrets)
      if (sec.length >= 16 && t.includes(sec)) throw new Error(`a secret leaked: ${sec.slice(0, 12)}...`);
}

export function filesIn(dir: string): { name: string; text: string }[] {
  return readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") }));
}
