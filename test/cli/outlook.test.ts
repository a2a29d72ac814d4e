/**
 * verify reads Outlook .msg files and PST data files: the same messages give the same verdicts and problem codes
 * as .eml, as .msg (written per MS-OXMSG with cfb) and inside a PST (written by test/helpers/pst-writer.ts and
 * read back by an independent reader, readpst of libpst, as well as by pst-extractor, which verify uses).
 * Unsigned items are counted and skipped; damaged files give one line and exit 2.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { outlookItems } from "../../src/io/outlook.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { corpusMessages, corpusPki } from "../helpers/outlook-corpus.js";
import { itemFromEml, msgFile, type TestItem } from "../helpers/outlook-msg.js";
import { pstFile } from "../helpers/pst-writer.js";
import { smimeMessage } from "../helpers/smime.js";
import { tempFolder } from "../helpers/temp.js";

const now = Date.now();
const pki = corpusPki(now);
const messages = corpusMessages(pki, now);
const { dir, write } = tempFolder("smimetrust-outlook-");

const trust = write("trust/root.pem", pki.root.pem);
write("crls/root.crl", pki.crls[0]);
write("crls/ca.crl", pki.crls[1]);
const common = ["--trust", trust, "--crl", path.join(dir, "crls"), "--jobs", "1"];

const items = new Map<string, TestItem>(messages.map((m) => [m.name, itemFromEml(m.eml)]));
const emls = messages.map((m) => write(`eml/${m.name}.eml`, m.eml));
const msgs = messages.map((m) => write(`msg/${m.name}.msg`, msgFile(items.get(m.name)!)));
// Inbox: valid RSA, unsigned, untrusted; Inbox/Signed: valid P-256; Review: tampered.
const it_ = (n: string) => items.get(n)!;
const pst = write(
  "archive.pst",
  pstFile([
    {
      name: "Inbox",
      items: [it_("rsa-clear-signed"), it_("unsigned"), it_("untrusted-root")],
      folders: [{ name: "Signed", items: [it_("p256-opaque-signed")] }],
    },
    { name: "Review", items: [it_("tampered")] },
  ]),
);
const PST_NAMES: Record<string, string> = {
  "rsa-clear-signed": "/Top of Outlook data file/Inbox/1",
  "untrusted-root": "/Top of Outlook data file/Inbox/3",
  "p256-opaque-signed": "/Top of Outlook data file/Inbox/Signed/1",
  tampered: "/Top of Outlook data file/Review/1",
};

interface Row {
  file: string;
  verdict: string;
  problems: { code: string }[];
  signers: { problems: { code: string }[]; sha1: string }[];
}
/** What must be equal between forms: the verdict and every problem code (message and signers), in order. */
const outcome = (r: Row) => ({
  verdict: r.verdict,
  codes: [...r.problems.map((p) => p.code), ...r.signers.flatMap((s) => s.problems.map((p) => p.code))],
  signers: r.signers.map((s) => s.sha1),
});

function run(files: string[]) {
  const r = spawnCli(["verify", ...files, ...common, "--json"]);
  return { ...r, rows: JSON.parse(r.stdout) as Row[] };
}

describe("verify: Outlook .msg and PST give the verdicts of the same messages as .eml", () => {
  const fromEml = run(emls);
  const byName = new Map(messages.map((m, i) => [m.name, outcome(fromEml.rows[i])]));

  it("the .eml verdicts are the expected ones (so the comparisons below mean something)", () => {
    expect(fromEml.rows.map((r) => r.verdict)).toEqual(["valid", "valid", "invalid", "invalid", "invalid"]);
    expect(byName.get("rsa-clear-signed")!.codes).toEqual([]);
    expect(byName.get("p256-opaque-signed")!.codes).toEqual([]);
    expect(byName.get("tampered")!.codes).toContain("DIGEST_MISMATCH");
    expect(byName.get("untrusted-root")!.codes).toContain("UNTRUSTED_ROOT");
    expect(byName.get("unsigned")!.codes).toEqual(["NOT_SIGNED"]);
    expect(fromEml.code).toBe(1);
  });

  it(".msg: same verdicts, codes and signers; the unsigned note is counted and skipped", () => {
    const r = run(msgs);
    expect(r.code).toBe(1);
    const signed = messages.filter((m) => m.signed);
    expect(r.rows.map((x) => x.file)).toEqual(signed.map((m) => msgs[messages.indexOf(m)]));
    r.rows.forEach((row, i) => {
      expect(outcome(row), signed[i].name).toEqual(byName.get(signed[i].name));
    });
    expect(r.stderr).toBe("note: 1 unsigned Outlook item skipped\n");
  });

  it("PST: same verdicts, codes and signers, items named by folder path and position; unsigned skipped", () => {
    const r = run([pst]);
    expect(r.code).toBe(1);
    const signed = messages.filter((m) => m.signed);
    const order = ["rsa-clear-signed", "untrusted-root", "p256-opaque-signed", "tampered"];
    expect(r.rows.map((x) => x.file)).toEqual(order.map((n) => `${pst}#${PST_NAMES[n]}`));
    for (const [i, n] of order.entries()) expect(outcome(r.rows[i]), n).toEqual(byName.get(n));
    expect(signed).toHaveLength(4);
    expect(r.stderr).toBe("note: 1 unsigned Outlook item skipped\n");
  });

  it("the text summary counts the unsigned items skipped", async () => {
    const r = await cli(["verify", pst, ...common], { now });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "4 messages: 2 valid, 2 invalid, 0 unreadable; 1 unsigned Outlook item skipped",
    );
    expect(r.stdout).toContain(`✓ valid   ${pst}#/Top of Outlook data file/Inbox/1  "RSA clear-signed"`);
  });

  it("a folder holding .eml, .msg and .pst files: every message once per form", async () => {
    const r = await cli(["verify", dir, ...common, "--json"], { now });
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows).toHaveLength(5 + 4 + 4);
    expect(rows.filter((x) => x.verdict === "valid")).toHaveLength(2 + 2 + 2);
  });
});

describe("io/outlook.ts: outlookItems, for callers that stream", () => {
  it("yields each signed item lazily with its name and item id; unsigned ones go to onUnsigned", () => {
    const unsigned: string[] = [];
    const gen = outlookItems(pst, { onUnsigned: (n) => unsigned.push(n) });
    const first = gen.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({
      name: `${pst}#${PST_NAMES["rsa-clear-signed"]}`,
      item: PST_NAMES["rsa-clear-signed"],
    });
    expect(unsigned).toEqual([]); // nothing read past the first item yet
    const rest = [...gen];
    expect(rest.map((e) => e.item)).toEqual(
      ["untrusted-root", "p256-opaque-signed", "tampered"].map((n) => PST_NAMES[n]),
    );
    expect(unsigned).toEqual([`${pst}#/Top of Outlook data file/Inbox/2`]);
    const fromMsg = [...outlookItems(msgs[1])];
    expect(fromMsg).toHaveLength(1);
    expect(fromMsg[0].name).toBe(msgs[1]);
    expect(fromMsg[0].item).toBeUndefined();
    expect("bytes" in fromMsg[0] && Buffer.from(fromMsg[0].bytes).toString("latin1")).toContain(
      "smime-type=signed-data",
    );
  });
});

describe("PST and .msg files read back by independent readers", () => {
  it("msgconvert (Email::Outlook::Message) reads every .msg: headers, and smime.p7m with the same bytes", () => {
    for (const m of messages) {
      const out = path.join(dir, "msgconvert", `${m.name}.eml`);
      mkdirSync(path.dirname(out), { recursive: true });
      const r = spawnSync("msgconvert", ["--outfile", out, msgs[messages.indexOf(m)]], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, m.name).toBe(""); // no unknown or missing entry reported
      const text = readFileSync(out, "latin1");
      expect(text).toContain(`Subject: ${it_(m.name).subject}`);
      const att = it_(m.name).attachments[0];
      if (!att) continue;
      expect(text).toContain("filename=smime.p7m");
      const b = Buffer.from(att.bytes);
      // A MIME entity is carried as it is (8bit); the DER of an opaque one in base64.
      if (att.mimeTag === "multipart/signed") expect(text.includes(b.toString("latin1")), m.name).toBe(true);
      else expect(text.replace(/\s/g, "").includes(b.toString("base64")), m.name).toBe(true);
    }
  });

  it("readpst (libpst) extracts the same folders, messages and smime.p7m bytes", () => {
    const out = mkdtempSync(path.join(dir, "readpst-"));
    // -S: one file per message and its attachments beside it; -D: include deleted-items folders.
    execFileSync("readpst", ["-q", "-D", "-S", "-o", out, pst]);
    const top = path.join(out, readdirSync(out)[0]);
    const files = (sub: string) => readdirSync(path.join(top, sub)).sort();
    // Messages are numbered from 1 per folder, after any subfolder (readpst counts them as items too).
    expect(files("Inbox")).toContain("Signed");
    const p7m = (sub: string) =>
      files(sub)
        .filter((f) => f.endsWith("-smime.p7m"))
        .map((f) => readFileSync(path.join(top, sub, f)));
    const want = (n: string) => Buffer.from(it_(n).attachments[0].bytes);
    expect(p7m("Inbox")).toEqual([want("rsa-clear-signed"), want("untrusted-root")]);
    expect(p7m("Inbox/Signed")).toEqual([want("p256-opaque-signed")]);
    expect(p7m("Review")).toEqual([want("tampered")]);
    // Three messages in the Inbox (one unsigned, its text as the body), each with its headers.
    const inbox = files("Inbox").filter((f) => /^\d+$/.test(f));
    expect(inbox).toHaveLength(3);
    const texts = inbox.map((f) => readFileSync(path.join(top, "Inbox", f), "latin1"));
    expect(texts.some((t) => t.includes("Subject: Not signed") && t.includes("Lunch at noon?"))).toBe(true);
    expect(texts.filter((t) => t.includes("Subject: RSA clear-signed"))).toHaveLength(1);
  });

  it("pffinfo/pffexport (libpff) check the header CRCs and export the same messages and smime.p7m bytes", () => {
    const info = execFileSync("pffinfo", [pst], { encoding: "utf8" });
    expect(info).toMatch(/File content type:\s+Personal Storage Tables \(PST\)/);
    expect(info).toMatch(/Encryption type:\s+none/);
    // A header whose CRC does not match is refused (so the check above means the CRCs were right).
    const bad = Buffer.from(readFileSync(pst));
    bad[4] ^= 1;
    const badFile = write("crc/bad-crc.pst", bad);
    expect(() => execFileSync("pffinfo", [badFile], { stdio: "pipe" })).toThrow(
      /mismatch in file header checksum/,
    );
    const target = path.join(mkdtempSync(path.join(dir, "pffexport-")), "out");
    execFileSync("pffexport", ["-q", "-t", target, pst]);
    const top = path.join(`${target}.export`, "Top of Outlook data file");
    const att = (rel: string) => readFileSync(path.join(top, rel, "Attachments", "1_smime.p7m"));
    const want = (n: string) => Buffer.from(it_(n).attachments[0].bytes);
    expect(att("Inbox/Message00001")).toEqual(want("rsa-clear-signed"));
    expect(att("Inbox/Message00003")).toEqual(want("untrusted-root"));
    expect(att("Inbox/Signed/Message00001")).toEqual(want("p256-opaque-signed"));
    expect(att("Review/Message00001")).toEqual(want("tampered"));
    expect(readFileSync(path.join(top, "Inbox/Message00002/Message.txt"), "utf8")).toContain(
      "Lunch at noon?",
    );
    expect(readFileSync(path.join(top, "Inbox/Message00001/InternetHeaders.txt"), "utf8")).toContain(
      "Subject: RSA clear-signed",
    );
  });

  it("with Outlook's default compressible encoding (NDB_CRYPT_PERMUTE): the same verdicts; readpst and libpff agree", () => {
    const folders = [
      { name: "Inbox", items: [it_("rsa-clear-signed"), it_("unsigned"), it_("tampered")] },
      { name: "Opaque", items: [it_("p256-opaque-signed")] },
    ];
    const plain = pstFile(folders);
    const enc = pstFile(folders, { permute: true });
    expect(enc[513]).toBe(0x01);
    // The encoded file differs from the plain one in its data blocks (the UTF-16 subject is not readable in it).
    const subject = Buffer.from("RSA clear-signed", "utf16le");
    expect(plain.includes(subject)).toBe(true);
    expect(enc.includes(subject)).toBe(false);
    const a = write("crypt/plain.pst", plain);
    const b = write("crypt/permute.pst", enc);
    const r = run([a, b]);
    const rows = r.rows.map((x) => ({ ...outcome(x), item: x.file.replace(/^.*\.pst#/, "") }));
    expect(rows.slice(3)).toEqual(rows.slice(0, 3));
    expect(rows.map((x) => x.verdict)).toEqual(["valid", "invalid", "valid", "valid", "invalid", "valid"]);
    expect(pffText(b)).toMatch(/Encryption type:\s+compressible/);
    const out = mkdtempSync(path.join(dir, "readpst-permute-"));
    execFileSync("readpst", ["-q", "-S", "-o", out, b]);
    const top = path.join(out, readdirSync(out)[0]);
    expect(readFileSync(path.join(top, "Opaque", "1-smime.p7m"))).toEqual(
      Buffer.from(it_("p256-opaque-signed").attachments[0].bytes),
    );
  });

  it("an ANSI PST (Outlook 97-2002, as written and encoded): the same verdicts; readpst, libpff and file(1) agree", () => {
    const folders = [
      {
        name: "Inbox",
        items: [it_("rsa-clear-signed"), it_("unsigned"), it_("untrusted-root")],
        folders: [{ name: "Signed", items: [it_("p256-opaque-signed")] }],
      },
      { name: "Review", items: [it_("tampered")] },
    ];
    const bytes = pstFile(folders, { ansi: true });
    expect(bytes.readUInt16LE(10)).toBe(14);
    // Strings are 8-bit (PT_STRING8); the node B-tree has two levels (31 entries to a leaf page), the case
    // pst-extractor's own lookup got wrong.
    expect(bytes.includes(Buffer.from("RSA clear-signed", "latin1"))).toBe(true);
    expect(bytes.includes(Buffer.from("RSA clear-signed", "utf16le"))).toBe(false);
    expect(bytes[bytes.readUInt32LE(188) + 499]).toBe(1);
    const ansi = write("ansi/archive.pst", bytes);
    const encoded = write("ansi/permute.pst", pstFile(folders, { ansi: true, permute: true }));
    const unicode = run([pst]);
    for (const f of [ansi, encoded]) {
      const r = run([f]);
      expect(r.code).toBe(1);
      expect(r.rows.map((x) => x.file.replace(/^.*\.pst#/, ""))).toEqual(
        unicode.rows.map((x) => x.file.replace(/^.*\.pst#/, "")),
      );
      expect(r.rows.map(outcome)).toEqual(unicode.rows.map(outcome));
      expect(r.stderr).toBe("note: 1 unsigned Outlook item skipped\n");
    }
    expect(execFileSync("file", ["-b", ansi], { encoding: "utf8" })).toMatch(/ANSI, version 14/);
    expect(pffText(ansi)).toMatch(/File type:\s+32-bit/);
    expect(pffText(encoded)).toMatch(/Encryption type:\s+compressible/);
    const want = (n: string) => Buffer.from(it_(n).attachments[0].bytes);
    for (const f of [ansi, encoded]) {
      const out = mkdtempSync(path.join(dir, "readpst-ansi-"));
      execFileSync("readpst", ["-q", "-S", "-o", out, f]);
      const top = path.join(out, readdirSync(out)[0]);
      const p7m = (sub: string) =>
        readdirSync(path.join(top, sub))
          .filter((x) => x.endsWith("-smime.p7m"))
          .sort()
          .map((x) => readFileSync(path.join(top, sub, x)));
      expect(p7m("Inbox")).toEqual([want("rsa-clear-signed"), want("untrusted-root")]);
      expect(p7m("Inbox/Signed")).toEqual([want("p256-opaque-signed")]);
      expect(p7m("Review")).toEqual([want("tampered")]);
    }
    const target = path.join(mkdtempSync(path.join(dir, "pffexport-ansi-")), "out");
    execFileSync("pffexport", ["-q", "-t", target, ansi]);
    const top = path.join(`${target}.export`, "Top of Outlook data file");
    const att = (rel: string) => readFileSync(path.join(top, rel, "Attachments", "1_smime.p7m"));
    expect(att("Inbox/Message00001")).toEqual(want("rsa-clear-signed"));
    expect(att("Inbox/Signed/Message00001")).toEqual(want("p256-opaque-signed"));
    expect(att("Review/Message00001")).toEqual(want("tampered"));
  });

  it("an item over one block (XBLOCK) with long transport headers (a subnode value): valid, and readpst agrees", () => {
    const part = `Content-Type: text/plain; charset=utf-8\r\n\r\n${"The quarterly report, line by line.\r\n".repeat(1500)}`;
    const received = Array.from(
      { length: 80 },
      (_, i) =>
        `Received: from relay${i}.contoso.com by relay${i + 1}.contoso.com; ${new Date(now).toUTCString()}`,
    );
    const eml = smimeMessage({
      from: "Alice <alice@contoso.com>",
      subject: "A long signed report",
      part,
      signers: [{ signer: pki.rsa }],
      certs: [pki.rsa.der, pki.ca.der],
      headers: received,
    });
    const item = itemFromEml(eml);
    expect(item.attachments[0].bytes.length).toBeGreaterThan(3 * 8176);
    expect(item.transportHeaders.length * 2).toBeGreaterThan(8176);
    const f = write("big/big.pst", pstFile([{ name: "Inbox", items: [item] }], { permute: true }));
    const e = write("big/big.eml", eml);
    const r = run([e, f]);
    expect(r.rows.map(outcome)).toEqual([outcome(r.rows[0]), outcome(r.rows[0])]);
    expect(r.rows[1].verdict).toBe("valid");
    const out = mkdtempSync(path.join(dir, "readpst-big-"));
    execFileSync("readpst", ["-q", "-S", "-o", out, f]);
    const top = path.join(out, readdirSync(out)[0]);
    expect(readFileSync(path.join(top, "Inbox", "1-smime.p7m"))).toEqual(
      Buffer.from(item.attachments[0].bytes),
    );
  });

  it("pst-extractor reads every folder and message with its class, transport headers and attachment", async () => {
    const { PSTFile } = await import("pst-extractor");
    const file = new PSTFile(readFileSync(pst));
    const seen: string[] = [];
    const walk = (folder: import("pst-extractor").PSTFolder, p: string) => {
      for (let m = folder.getNextChild(); m; m = folder.getNextChild()) {
        const msg = m as import("pst-extractor").PSTMessage;
        seen.push(`${p}|${msg.messageClass}|${msg.subject}|${msg.numberOfAttachments}`);
        expect(msg.transportMessageHeaders).toMatch(/^From: /);
      }
      for (const f of folder.hasSubfolders ? folder.getSubFolders() : []) walk(f, `${p}/${f.displayName}`);
    };
    walk(file.getRootFolder(), "");
    expect(seen).toEqual([
      "/Top of Outlook data file/Inbox|IPM.Note.SMIME.MultipartSigned|RSA clear-signed|1",
      "/Top of Outlook data file/Inbox|IPM.Note|Not signed|0",
      "/Top of Outlook data file/Inbox|IPM.Note.SMIME.MultipartSigned|Signed under an untrusted root|1",
      "/Top of Outlook data file/Inbox/Signed|IPM.Note.SMIME|P-256 opaque-signed|1",
      "/Top of Outlook data file/Review|IPM.Note.SMIME.MultipartSigned|RSA clear-signed, changed after signing|1",
    ]);
    expect(file.getMessageStore().displayName).toBe("smimetrust test data");
  });
});

function pffText(file: string): string {
  return execFileSync("pffinfo", [file], { encoding: "utf8" });
}

function expectOneLine(r: { code: number; stdout: string; stderr: string }, re: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n").filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

describe("damaged Outlook files", () => {
  const pstBytes = readFileSync(pst);
  const msgBytes = readFileSync(msgs[0]);

  it("a truncated PST named directly: one line with the sizes, exit 2 (a real process)", () => {
    const f = write("bad/truncated.pst", pstBytes.subarray(0, Math.floor(pstBytes.length / 2)));
    expectOneLine(
      spawnCli(["verify", f, ...common]),
      /^smimetrust: .*truncated\.pst: truncated PST: its header gives [\d,]+ bytes, the file has [\d,]+ \(at byte [\d]+\)$/,
    );
  });

  it("a truncated .msg named directly: one line, exit 2 (a real process)", () => {
    const f = write("bad/truncated.msg", msgBytes.subarray(0, 2000));
    expectOneLine(
      spawnCli(["verify", f, ...common]),
      /^smimetrust: .*truncated\.msg: damaged Outlook \.msg file \(compound file\): the directory: sector \d+ outside the file \(at byte 48\)$/,
    );
  });

  it("a .pst that is not a PST, and a PST whose B-tree points outside the file: one line, exit 2", async () => {
    expectOneLine(
      await cli(["verify", write("bad/notes.pst", "just some notes\n"), ...common], { now }),
      /^smimetrust: .*notes\.pst: is not an Outlook PST file \(no "!BDN" signature at its start\) \(at byte 0\)$/,
    );
    const broken = Buffer.from(pstBytes);
    broken.writeBigUInt64LE(BigInt(broken.length - 64), 224); // the NBT root: not a page
    expectOneLine(
      await cli(["verify", write("bad/broken.pst", broken), ...common], { now }),
      /^smimetrust: .*broken\.pst: the node B-tree page at byte \d+ is outside the file or not on a page boundary \(at byte 224\)$/,
    );
  });

  it("a damaged .msg in a folder is an error result; the other files are still verified (exit 1)", async () => {
    write("mixed/a.msg", msgBytes);
    write("mixed/b.msg", msgBytes.subarray(0, 2000));
    const r = await cli(["verify", path.join(dir, "mixed"), ...common, "--json"], { now });
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as (Row & { problems: { code: string; message: string }[] })[];
    expect(rows.map((x) => [path.basename(x.file), x.verdict])).toEqual([
      ["a.msg", "valid"],
      ["b.msg", "error"],
    ]);
    expect(rows[1].problems[0].code).toBe("MALFORMED");
    expect(rows[1].problems[0].message).toContain("damaged Outlook .msg file (compound file)");
  });

  it("damaged messages inside a PST (the last one too) and an S/MIME item without its smime.p7m: error results", () => {
    const good = it_("rsa-clear-signed");
    const bad = it_("p256-opaque-signed");
    const bad2 = { ...it_("tampered") };
    const bare: TestItem = { ...it_("untrusted-root"), attachments: [] };
    const f = write(
      "bad/one-damaged.pst",
      pstFile([{ name: "Inbox", items: [good, bad, good, bare, bad2] }], { damaged: new Set([bad, bad2]) }),
    );
    const r = spawnCli(["verify", f, ...common, "--json"]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as (Row & { problems: { code: string; message: string }[] })[];
    expect(rows.map((x) => [x.file.slice(f.length), x.verdict])).toEqual([
      ["#/Top of Outlook data file/Inbox/1", "valid"],
      ["#/Top of Outlook data file/Inbox/2", "error"],
      ["#/Top of Outlook data file/Inbox/3", "valid"],
      ["#/Top of Outlook data file/Inbox/4", "error"],
      ["#/Top of Outlook data file/Inbox/5", "error"],
    ]);
    expect(rows[1].problems[0].message).toContain("the PST item cannot be loaded (damaged or missing)");
    expect(rows[3].problems[0].message).toContain(
      "an Outlook item of class IPM.Note.SMIME.MultipartSigned without its S/MIME attachment (smime.p7m)",
    );
    expect(rows[4].problems[0].message).toContain("the PST item cannot be loaded (damaged or missing)");
    // pst-extractor's own logging never reaches the user: stdout is the JSON document, stderr is empty.
    expect(r.stderr).toBe("");
  });

  it("folder names from a PST are data: '/' and '%' escaped in item names, control characters never printed raw", async () => {
    const f = write(
      "hostile/folders.pst",
      pstFile([{ name: "Evil\u001b[31m 50%/Red", items: [it_("rsa-clear-signed")] }]),
    );
    const r = await cli(["verify", f, ...common], { now });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toContain("#/Top of Outlook data file/Evil");
    expect(r.stdout).toContain("50%25%2FRed/1");
    const j = await cli(["verify", f, ...common, "--json"], { now });
    expect((JSON.parse(j.stdout) as Row[])[0].file).toBe(
      `${f}#/Top of Outlook data file/Evil\u001b[31m 50%25%2FRed/1`,
    );
  });

  it("an .eml saved under a .msg name is read as the mail it is", async () => {
    const f = write("named/saved-as.msg", messages[0].eml);
    const r = await cli(["verify", f, ...common, "--json"], { now });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Row[])[0].verdict).toBe("valid");
  });

  it("a PST of unsigned items only: nothing to verify, said with the count (exit 2)", async () => {
    const f = write(
      "bad/unsigned.pst",
      pstFile([{ name: "Inbox", items: [it_("unsigned"), it_("unsigned")] }]),
    );
    expectOneLine(
      await cli(["verify", f, ...common], { now }),
      /^smimetrust: no messages to verify \(2 unsigned Outlook items skipped\)$/,
    );
    expect(existsSync(f)).toBe(true);
  });
});
