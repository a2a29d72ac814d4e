/**
 * Issue 9, "The interface, as people type it": every option that takes several values takes one value each
 * time and may be repeated (`--trust a.pem --trust b.pem`), before or after the arguments, as curl, git and
 * openssl take them; an option never swallows the arguments that follow it. Folders still expand.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { commandsFor } from "../../src/cli/commands/index.js";
import { tempDir } from "../certs/openssl.js";
import { cli } from "../helpers/cli.js";
import { crl, intermediate, leaf, root } from "../helpers/pki.js";
import { smimeMessage } from "../helpers/smime.js";

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const AT = new Date(NOW).toISOString();
const t = tempDir("smimetrust-repeat-");
afterAll(() => t.cleanup());

const r = root("CN=Repeat Root,O=Test", { now: NOW });
const ica = intermediate("CN=Repeat Issuing CA,O=Test", r, { now: NOW });
const r2 = root("CN=Second Root,O=Test", { now: NOW });
const alice = leaf("alice@contoso.com", ica, { now: NOW });
const bob = leaf("bob@contoso.com", ica, { now: NOW });

const file = (name: string, data: string | Uint8Array) => {
  const p = t.path(name);
  writeFileSync(p, data);
  return p;
};
const rootPem = file("root.pem", r.pem);
const icaPem = file("ica.pem", ica.pem);
const r2Pem = file("root2.pem", r2.pem);
const alicePem = file("alice.pem", alice.pem);
const bobPem = file("bob.pem", bob.pem);
const listPem = file("list.pem", r.pem + ica.pem);
const crlRoot = file("root.crl", crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }));
const crlIca = file("ica.crl", crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }));
const msg = file(
  "msg.eml",
  smimeMessage({ from: "alice@contoso.com", signers: [{ signer: alice }], certs: [alice.der] }),
);
mkdirSync(t.path("trust-folder"));
writeFileSync(join(t.path("trust-folder"), "root.pem"), r.pem);

const run = (args: string[]) => cli(args, { now: NOW });

describe("options take one value and repeat", () => {
  it("no option of any command is variadic (<x...>)", async () => {
    const program = new Command();
    const ctx = { out: { stdout() {}, stderr() {}, isTTY: false, color: false }, now: () => NOW, env: {} };
    const all = await commandsFor([]);
    expect(all).toHaveLength(10);
    for (const register of all) register(program, ctx, () => {});
    const variadic: string[] = [];
    const walk = (c: Command, path: string) => {
      for (const o of c.options) if (o.variadic) variadic.push(`${path} ${o.flags}`);
      for (const sub of c.commands) walk(sub, `${path} ${sub.name()}`.trim());
    };
    walk(program, "");
    expect(variadic).toEqual([]);
  });

  it("verify --trust root.pem msg.eml: the option takes one value, the message stays an argument", async () => {
    const res = await run(["verify", "--trust", rootPem, "--untrusted", icaPem, msg, "--at", AT]);
    expect(res.stderr).not.toMatch(/missing required argument/);
    expect(res.stdout).toMatch(/^[!✓] valid +.*msg\.eml/);
    expect(res.code).toBe(0);
  });

  it("verify: --crl and --trust repeat; values given before and after the arguments add up", async () => {
    const res = await run([
      "verify",
      "--crl",
      crlRoot,
      msg,
      "--trust",
      r2Pem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crlIca,
      "--require-revocation",
      "--at",
      AT,
    ]);
    expect(res.stdout).toMatch(/^✓ valid +.*msg\.eml/);
    expect(res.code).toBe(0);
  });

  it("chain --trust root.pem cert.pem, with --untrusted and --crl repeated", async () => {
    const res = await run([
      "chain",
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crlRoot,
      "--crl",
      crlIca,
      alicePem,
      "--at",
      AT,
      "--require-revocation",
      "--json",
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).path.map((p: { sha1: string }) => p.sha1)).toEqual([
      alice.cert.sha1,
      ica.cert.sha1,
      r.cert.sha1,
    ]);
    // The second --trust adds to the first (a folder expands).
    const two = await run([
      "chain",
      "--trust",
      r2Pem,
      "--trust",
      t.path("trust-folder"),
      "--untrusted",
      icaPem,
      alicePem,
      "--at",
      AT,
    ]);
    expect(two.stdout).toMatch(/verdict: ✓ valid/);
  });

  it("check --leaf a.pem list.sst: the list stays an argument; --leaf repeats", async () => {
    const res = await run(["check", "--leaf", alicePem, "--leaf", bobPem, listPem, "--json", "--at", AT]);
    expect(res.stderr).not.toMatch(/missing required argument/);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).certificates).toHaveLength(2);
    const md = await run(["check", "--leaf", alicePem, "--leaf", bobPem, listPem, "--markdown", "--at", AT]);
    expect(md.stdout).toMatch(/2\/2|alice/);
  });

  it("diff --leaf a.pem old new", async () => {
    const res = await run([
      "diff",
      "--leaf",
      alicePem,
      "--leaf",
      bobPem,
      listPem,
      rootPem,
      "--json",
      "--at",
      AT,
    ]);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(doc.removed.map((c: { sha1: string }) => c.sha1)).toEqual([ica.cert.sha1]);
    expect(doc.leaves).toHaveLength(2);
  });

  it("a second value after an option is an argument, not swallowed (too many arguments is said plainly)", async () => {
    const res = await run(["chain", alicePem, "--trust", rootPem, icaPem]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/too many arguments/);
  });
});
