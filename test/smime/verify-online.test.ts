/**
 * `verify --online`: a signer whose intermediate the message does not carry is completed from its AIA
 * caIssuers URL, and its revocation read from its CRL distribution point, over HTTP from a real server on
 * 127.0.0.1. The HTTP client loads only for such a run (in this thread and in each worker), so both are run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, runScript } from "../helpers/cli.js";
import { tempFolder } from "../helpers/temp.js";
import { type OnlineFixture, onlineFixture } from "./online-fixture.js";

const { dir, write } = tempFolder("smimetrust-verify-online-");
let f: OnlineFixture;
/** `verify` of a folder of messages, checked at the fixture's time, one thread, JSON, with `extra` options. */
const verifyFolder = (folder: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  cli(
    [
      "verify",
      `${dir}/${folder}`,
      "--trust",
      `${dir}/trust.pem`,
      "--at",
      new Date(f.now).toISOString(),
      ...extra,
      "--json",
      "--jobs",
      "1",
    ],
    { env },
  );
/** The three messages of mail/. */
const verifyMail = (...extra: string[]): Promise<CliResult> => verifyFolder("mail", extra);

beforeAll(async () => {
  f = await onlineFixture("Online Verify");
  write("trust.pem", f.root.pem);
  for (let n = 1; n <= 3; n++) write(`mail/${n}.eml`, f.message(n));
});
afterAll(() => f.srv.close());

describe("verify --online", () => {
  it("without --online the chain stops at the missing intermediate, and nothing is fetched", async () => {
    f.srv.counts.clear();
    const res = await verifyMail();
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).map((x: { verdict: string }) => x.verdict)).toEqual([
      "invalid",
      "invalid",
      "invalid",
    ]);
    expect(f.srv.counts.size).toBe(0);
  });

  it("with --online (one thread) the issuer comes over AIA, its CRL from the distribution point: valid", async () => {
    f.srv.counts.clear();
    const res = await verifyMail("--online");
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.map((x: { verdict: string }) => x.verdict)).toEqual(["valid", "valid", "valid"]);
    expect(out[0].signers[0].chain.map((c: { sha1: string; source: string }) => [c.sha1, c.source])).toEqual([
      [f.bob.cert.sha1, "message"],
      [f.ica.cert.sha1, "aia"],
      [f.root.cert.sha1, "trust"],
    ]);
    // Fetched once and cached for the other messages.
    expect(f.srv.counts.get("/ica.cer")).toBe(1);
    expect(f.srv.counts.get("/ica.crl")).toBe(1);
  });

  it("a CRL server that does not answer is asked once, not once per message: the others fail at once", async () => {
    // As Windows' CryptNet marks a URL offline: an archive with a dead distribution point would otherwise wait
    // the whole retrieval timeout for every message.
    for (let n = 1; n <= 12; n++) write(`dead/${n}.eml`, f.message(100 + n));
    const crl = f.srv.routes.get("/ica.crl")!;
    f.srv.routes.set("/ica.crl", "hang");
    f.srv.counts.clear();
    try {
      const res = await verifyFolder("dead", ["--online"], { SMIMETRUST_TIMEOUT_MS: "300" });
      const out = JSON.parse(res.stdout) as {
        verdict: string;
        signers: { problems: { code: string; message: string }[] }[];
      }[];
      expect(out).toHaveLength(12);
      // Valid under the standard profile, the revocation status unknown, saying why.
      for (const m of out) expect(m.verdict).toBe("valid");
      const why = (m: (typeof out)[number]) =>
        m.signers[0].problems.find((p) => p.code === "REVOCATION_UNKNOWN")?.message ?? "";
      expect(why(out[0])).toMatch(/ica\.crl/);
      expect(why(out[11])).toMatch(/not asked again for 5 minutes/);
      expect(f.srv.counts.get("/ica.crl")).toBe(1);
    } finally {
      f.srv.routes.set("/ica.crl", crl);
    }
  });

  it("in worker threads too: each worker loads its own HTTP client and fetches what it needs", () => {
    // Worker threads from the sources need a process of their own (see online-run.ts).
    const out = runScript<{ results: string[]; sources: string[][]; threads: number; fetched: number }>(
      "test/smime/online-run.ts",
    );
    expect(out.results).toEqual(["0:valid", "1:valid", "2:valid", "3:valid", "4:valid", "5:valid"]);
    for (const s of out.sources) expect(s).toEqual(["message", "aia", "trust"]);
    expect(out.threads).toBeGreaterThanOrEqual(1);
    // Once per worker at most: each caches what it fetched.
    expect(out.fetched).toBeGreaterThanOrEqual(1);
    expect(out.fetched).toBeLessThanOrEqual(out.threads);
  });
});
