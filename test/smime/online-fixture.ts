/**
 * The PKI of the `verify --online` tests (verify-online.test.ts and, in a process of its own, online-run.ts):
 * a root, an issuing CA that the messages do not carry, and bob, whose certificate points at that CA over AIA
 * and at its CRL, both served by a real HTTP server on 127.0.0.1. Dated today: the HTTP cache keeps a CRL
 * until its nextUpdate by the clock, whatever time the chain is checked at.
 */
import { crl, ext, intermediate, leaf, root } from "../helpers/pki.js";
import { smimeMessage } from "../helpers/smime.js";
import { startServer, type TestServer } from "../net/server.js";

export interface OnlineFixture {
  now: number;
  root: ReturnType<typeof root>;
  ica: ReturnType<typeof intermediate>;
  bob: ReturnType<typeof leaf>;
  srv: TestServer;
  /** Signed by bob, carrying bob's certificate alone (not the issuing CA's). */
  message: (n: number) => Buffer;
}

const DAY = 86_400_000;

export async function onlineFixture(name: string): Promise<OnlineFixture> {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const r = root(`CN=${name} Root`, { now });
  const ica = intermediate(`CN=${name} Issuing CA`, r, { now, extensions: [] });
  const srv = await startServer({
    "/ica.cer": { body: ica.der, headers: { "content-type": "application/pkix-cert" } },
    "/ica.crl": {
      body: crl({ issuer: ica, thisUpdate: now - DAY, nextUpdate: now + 7 * DAY }),
      headers: { "content-type": "application/pkix-crl" },
    },
  });
  const bob = leaf("bob@contoso.com", ica, {
    now,
    extensions: [
      ext.aia({ caIssuers: `${srv.url}/ica.cer` }),
      ext.crlDistributionPoint(`${srv.url}/ica.crl`),
    ],
  });
  const message = (n: number) =>
    smimeMessage({
      from: "bob@contoso.com",
      subject: `online ${n}`,
      signers: [{ signer: bob }],
      certs: [bob.der],
    });
  return { now, root: r, ica, bob, srv, message };
}
