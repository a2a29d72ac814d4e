import { spawn } from "node:child_process";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { INPUT_LIMITS } from "../../src/io/files.js";
import { ARCHIVE_READERS, type MessageItem, messageItems, shardOf } from "../../src/io/message-stream.js";
import { verifyBatch } from "../../src/io/verify-pool.js";
import { MboxSplitter, splitMbox } from "../../src/mime/mbox.js";
import type { VerifyResult } from "../../src/smime/verify.js";
import { CLI_FROM_SOURCE, REPO_ROOT, cli as runCli, runScript, spawnCli } from "../helpers/cli.js";
import { smimeMessage } from "../helpers/smime.js";
import { tempFolder } from "../helpers/temp.js";
import { fixture } from "./pki-fixture.js";

const f = fixture();
const { dir, write } = tempFolder("smimetrust-stream-");
const good = (n: number, part?: string) =>
  smimeMessage({
    from: "alice@contoso.com",
    subject: `good ${n}`,
    signers: [{ signer: f.rsa }],
    certs: [f.rsa.der, f.ca.der],
    ...(part ? { part } : {}),
  });
const bad = (n: number) =>
  smimeMessage({
    from: `mallory${n}@fabrikam.example`,
    subject: `bad ${n}`,
    signers: [{ signer: f.rsa }],
    certs: [f.rsa.der, f.ca.der],
  });
const trust = write("trust.pem", f.root.pem);
const crls = [write("crls/root.crl", f.crls[0]), write("crls/issuing.crl", f.crls[1])];
const common = ["--trust", trust, "--crl", path.dirname(crls[0]), "--jobs", "1"];
const cli = (args: string[]) => runCli(args, { now: f.now });
const setup = { trust: [f.root.der], crls: f.crls, at: f.now, now: f.now };

/** An mboxrd archive of the messages: From_ lines, "From " and ">From " body lines quoted with one more '>'. */
function mboxrd(msgs: Buffer[], eol = "\n"): Buffer {
  return Buffer.concat(
    msgs.flatMap((m, i) => {
      let text = m.toString("latin1");
      if (eol === "\n") text = text.replace(/\r\n/g, "\n");
      text = text.replace(/^(>*From )/gm, ">$1");
      return [
        Buffer.from(`From sender${i}@example.com Sat Jan  1 00:00:0${i % 10} 2026${eol}`, "latin1"),
        Buffer.from(`${text}${eol}`, "latin1"),
      ];
    }),
  );
}

async function verdicts(
  items: AsyncIterable<{ name: string; bytes?: Uint8Array }> | { name: string; bytes?: Uint8Array }[],
) {
  const out: string[] = [];
  await verifyBatch(items, setup, {
    jobs: 1,
    onResult: (_i, item, r: VerifyResult) => {
      out.push(
        `${item.name}:${r.verdict}:${[...r.problems, ...r.signers.flatMap((s) => s.problems)].map((p) => p.code).join(",")}`,
      );
    },
  });
  return out;
}

describe("a folder of messages", () => {
  it("small files (read into a shared buffer) and large ones (checked, read alone) give the bytes and verdicts the files have", async () => {
    // Sizes around the shared buffer's limit (64 KiB) and the whole-read limit (1 MiB); many small files so
    // the shared buffer is replaced on the way.
    const pad = (n: number) => `Content-Type: text/plain\r\n\r\n${"x".repeat(n)}\r\n`;
    const sizes = [100, 200, 58 * 1024, 64 * 1024 + 10, 300 * 1024, 1024 * 1024 + 5, 2 * 1024 * 1024];
    const named: string[] = [];
    for (let i = 0; i < 40; i++) {
      const bytes =
        i < sizes.length ? good(i, pad(sizes[i])) : i % 7 === 3 ? bad(i) : good(i, pad(20_000 + i));
      named.push(write(`folder/${String(i).padStart(3, "0")}.eml`, bytes));
    }
    const folder = path.dirname(named[0]);
    const items: MessageItem[] = [];
    for await (const it of messageItems([folder])) items.push(it);
    expect(items.map((it) => it.name)).toEqual(named);
    for (const [k, it] of items.entries())
      expect(Buffer.from(it.bytes!).equals(readFileSync(named[k]))).toBe(true);
    // The smallest files share a buffer; a large one has its own.
    const shared = (a: number, b: number) => items[a].bytes!.buffer === items[b].bytes!.buffer;
    expect([shared(0, 1), shared(1, 2)]).toEqual([true, true]);
    for (const k of [3, 4, 5, 6]) expect(items[k].bytes!.byteLength).toBe(items[k].bytes!.buffer.byteLength);
    expect(await verdicts(messageItems([folder]))).toEqual(
      await verdicts(named.map((n) => ({ name: n, bytes: readFileSync(n) }))),
    );
    expect((await verdicts(messageItems([folder]))).filter((v) => v.includes(":invalid:"))).toHaveLength(5);
  });
});

describe("mbox as a stream", () => {
  const msgs = [
    good(1),
    bad(2),
    good(3, "Text\r\nFrom here on, a line that looks like a separator\r\n>From quoted\r\n"),
    good(4),
  ];
  const box = write("stream/box.mbox", mboxrd(msgs));

  it("messages that span read-buffer boundaries come out as the whole-file split gives them, with the same verdicts", async () => {
    const whole = splitMbox(readFileSync(box));
    expect(whole).toHaveLength(4);
    for (const bufferSize of [1, 3, 7, 64, 1 << 20]) {
      const items = [];
      for await (const it of messageItems([box], { bufferSize })) items.push(it);
      expect(items.map((x) => x.name)).toEqual([1, 2, 3, 4].map((i) => `${box}#${i}`));
      expect(items.map((x) => x.item)).toEqual(whole.map((m) => m.offset));
      expect(items.map((x) => x.key)).toEqual(whole.map((m) => `${box}@${m.offset}`));
      expect(items.map((x) => Buffer.from(x.bytes!).toString("latin1"))).toEqual(
        whole.map((m) => Buffer.from(m.bytes).toString("latin1")),
      );
      expect(items.every((x) => x.bytes!.byteOffset === 0)).toBe(true);
    }
    const streamed = await verdicts(messageItems([box], { bufferSize: 5 }));
    const split = await verdicts(whole.map((m) => ({ name: `${box}#${m.index}`, bytes: m.bytes })));
    expect(streamed).toEqual(split);
    expect(streamed.map((s) => s.split(":")[1])).toEqual(["valid", "invalid", "valid", "valid"]);
  });

  it("a message's bytes (and so its content hash) stay the same when another is appended, LF or CRLF", async () => {
    for (const eol of ["\n", "\r\n"]) {
      const before = mboxrd([good(50), good(51)], eol);
      const after = Buffer.concat([before, mboxrd([good(52)], eol)]);
      const b = splitMbox(before);
      const a = splitMbox(after);
      expect(a).toHaveLength(3);
      for (const k of [0, 1])
        expect(Buffer.from(a[k].bytes).equals(Buffer.from(b[k].bytes)), `${k}`).toBe(true);
      const file = write(`stream/append-${eol.length}.mbox`, before);
      const streamed: Buffer[] = [];
      for await (const it of messageItems([file], { bufferSize: 7 })) streamed.push(Buffer.from(it.bytes!));
      expect(streamed.map((x) => x.equals(Buffer.from(b[streamed.indexOf(x)].bytes)))).toEqual([true, true]);
    }
  });

  it("splits any bytes exactly as splitMbox does, whatever the chunk sizes (2,000 seeded cases)", () => {
    let seed = 20261204;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [
      "From a@b Sat\n",
      "From b\r\n",
      "From ",
      "\n",
      "\r\n",
      ">From x\n",
      ">>From y\r\n",
      "Fro",
      "m ",
      "body",
      "\nFrom",
      "x",
    ];
    for (let t = 0; t < 2000; t++) {
      let text = "";
      for (let k = rnd(30); k > 0; k--) text += pieces[rnd(pieces.length)];
      const bytes = Buffer.from(text, "latin1");
      const want = splitMbox(bytes).map(
        (m) => `${m.index}@${m.offset}:${Buffer.from(m.bytes).toString("latin1")}`,
      );
      const sp = new MboxSplitter();
      const got: string[] = [];
      const size = 1 + rnd(9);
      const scratch = Buffer.alloc(size);
      for (let o = 0; o < bytes.length; o += size) {
        const n = bytes.copy(scratch, 0, o, o + size);
        for (const m of sp.push(scratch.subarray(0, n)))
          got.push(`${m.index}@${m.offset}:${Buffer.from(m.bytes!).toString("latin1")}`);
        scratch.fill(0x21); // the splitter must have copied what it keeps
      }
      for (const m of sp.end())
        got.push(`${m.index}@${m.offset}:${Buffer.from(m.bytes!).toString("latin1")}`);
      expect(got, JSON.stringify({ text, size })).toEqual(want);
    }
  });

  it("each message of an mbox file reads again from its range as it first came (what a worker that stopped gets), 300 seeded cases", async () => {
    // A message's range runs from its From_ line to the next one's (or the end); read again it must give the
    // same bytes, whatever the read buffer's size and wherever the messages fall in it.
    let seed = 20261205;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ["line\n", "\r\n", "\n", ">From x\n", "From in a line\n", "x", "Fro", "\nFrom"];
    for (let t = 0; t < 300; t++) {
      let text = "";
      const n = 1 + rnd(5);
      for (let m = 0; m < n; m++) {
        text += `From s${m}@example.com Sat Jan  1 00:00:00 2026\n`;
        for (let k = rnd(12); k > 0; k--) text += pieces[rnd(pieces.length)];
        text += "\n";
      }
      if (rnd(2)) text += "\n"; // an archive that ends with an empty line
      const file = write(`reread/${t}.mbox`, text);
      const items: MessageItem[] = [];
      for await (const it of messageItems([file], { bufferSize: 1 + rnd(64) })) items.push(it);
      expect(items.length).toBe(splitMbox(Buffer.from(text, "latin1")).length);
      for (const it of items) expect(Buffer.from(it.load!()).equals(Buffer.from(it.bytes!))).toBe(true);
    }
  });

  it("mboxrd: '>From ' lines lose one '>' (the signature of a body with 'From ' lines holds)", () => {
    const text = readFileSync(box, "latin1");
    expect(text).toContain("\n>From here on");
    expect(text).toContain("\n>>From quoted");
    const sp = new MboxSplitter();
    const out = [...sp.push(readFileSync(box)), ...sp.end()];
    const third = Buffer.from(out[2].bytes!).toString("latin1");
    expect(third).toContain("\nFrom here on");
    expect(third).toContain("\n>From quoted");
  });

  it("CRLF archives (From_ lines and messages with CRLF line ends) verify as the messages do alone", async () => {
    const crlf = write("stream/crlf.mbox", mboxrd([good(5), bad(6)], "\r\n"));
    const r = await cli(["verify", crlf, ...common, "--json"]);
    const json = JSON.parse(r.stdout) as {
      file: string;
      verdict: string;
      signers: { problems: { code: string }[] }[];
    }[];
    expect(json.map((x) => `${path.basename(x.file)}:${x.verdict}`)).toEqual([
      "crlf.mbox#1:valid",
      "crlf.mbox#2:invalid",
    ]);
    // the CRLF form matched as stored: no line-end conversion was needed
    expect(json[0].signers[0].problems.map((p) => p.code)).toEqual([]);
  });

  it("a message over the cap is one error result, and the run goes on", async () => {
    const big = write("stream/big.mbox", mboxrd([good(7), good(8, `${"x".repeat(20_000)}\r\n`), good(9)]));
    const saved = INPUT_LIMITS.maxMessageBytes;
    INPUT_LIMITS.maxMessageBytes = 12_000;
    try {
      const r = await cli(["verify", big, ...common, "--json"]);
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as {
        verdict: string;
        problems: { code: string; message: string }[];
      }[];
      expect(json.map((x) => x.verdict)).toEqual(["valid", "error", "valid"]);
      expect(json[1].problems[0].code).toBe("MALFORMED");
      expect(json[1].problems[0].message).toMatch(/larger than the limit of 12,000 bytes/);
    } finally {
      INPUT_LIMITS.maxMessageBytes = saved;
    }
  });

  it("an mbox on stdin is split as it arrives; a single message without a From_ line still works", () => {
    const r = spawnCli(["verify", "-", "--trust", trust, "--crl", path.dirname(crls[0]), "--json"], {
      input: mboxrd([good(10), bad(11), good(12)]),
    });
    expect(r.stderr).toBe("");
    const json = JSON.parse(r.stdout) as { file: string; verdict: string }[];
    expect(json.map((x) => `${x.file}:${x.verdict}`)).toEqual([
      "<stdin>#1:valid",
      "<stdin>#2:invalid",
      "<stdin>#3:valid",
    ]);
    expect(r.code).toBe(1);
    const one = spawnCli(["verify", "-", "--trust", trust, "--crl", path.dirname(crls[0]), "--json"], {
      input: good(13),
    });
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout).map((x: { file: string }) => x.file)).toEqual(["<stdin>"]);
  });
});

describe("a stream on stdin that arrives slowly", () => {
  // A message comes out when the next one's From_ line arrives; each result is written as soon as its message
  // is verified. Before, a message waited for the one after it, and the run for 64 messages or the end.
  it.each(["1", "2"])(
    "--jobs %s: a message's result comes before the next message has arrived",
    async (jobs) => {
      const stream = mboxrd([good(30), good(31)]);
      const second = stream.indexOf("From sender1@");
      const cut = stream.indexOf("\n", second) + 1; // the first message, and the From_ line that ends it
      const child = spawn(
        process.execPath,
        [
          ...CLI_FROM_SOURCE,
          "verify",
          "-",
          "--trust",
          trust,
          "--crl",
          path.dirname(crls[0]),
          "--jsonl",
          "-",
          "--jobs",
          jobs,
        ],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      );
      const exited = new Promise<number | null>((ok) => child.on("exit", (c) => ok(c)));
      let out = "";
      const firstLine = new Promise<string>((ok) =>
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          if (out.includes("\n")) ok(out.slice(0, out.indexOf("\n")));
        }),
      );
      child.stdin.write(stream.subarray(0, cut));
      // The rest comes only once the first result is out (or after 30 s, and then the check below fails).
      const giveUp = new AbortController();
      const first = await Promise.race([
        firstLine,
        sleep(30_000, "none", { signal: giveUp.signal }).catch(() => "none"),
      ]);
      giveUp.abort();
      child.stdin.end(stream.subarray(cut));
      expect(await exited).toBe(0);
      expect(first).not.toBe("none");
      expect(JSON.parse(first)).toMatchObject({ name: "<stdin>@0", verdict: "valid" });
      expect(
        out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).name),
      ).toEqual(["<stdin>@0", `<stdin>@${second}`]);
    },
    60_000,
  );
});

describe("Maildir", () => {
  it("reads cur/ and new/ (by unique name), never tmp/; keys drop the flags so a message keeps its key", async () => {
    const md = path.join(dir, "Maildir");
    write("Maildir/new/1700000002.M2.host", good(21));
    write("Maildir/cur/1700000001.M1.host:2,S", good(20));
    write("Maildir/cur/1700000003.M3.host:2,RS", bad(22));
    write("Maildir/tmp/1700000004.M4.host", "half-delivered garbage");
    write("Maildir/dovecot-uidlist", "3 V1 N4\n");
    write("Maildir/.Sent/cur/1700000005.M5.host:2,S", good(23));
    write("Maildir/.Sent/new/.keep", "");
    const items = [];
    for await (const it of messageItems([md])) items.push(it);
    expect(items.map((x) => path.relative(md, x.name))).toEqual([
      "cur/1700000001.M1.host:2,S",
      "new/1700000002.M2.host",
      "cur/1700000003.M3.host:2,RS",
      ".Sent/cur/1700000005.M5.host:2,S",
    ]);
    expect(items.map((x) => path.relative(md, x.key))).toEqual([
      "1700000001.M1.host",
      "1700000002.M2.host",
      "1700000003.M3.host",
      ".Sent/1700000005.M5.host",
    ]);
    const r = await cli(["verify", md, ...common]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("4 messages: 3 valid, 1 invalid, 0 unreadable\n");
  });
});

describe("other archive readers (the place Outlook .msg/.pst readers plug in)", () => {
  it("a reader's messages are named file#N, keyed file@id, and verified like any other", async () => {
    const p = write("reader/two.fake", "FAKE-ARCHIVE");
    const reader = (file: string, head: Uint8Array) =>
      file.endsWith(".fake") && Buffer.from(head).toString() === "FAKE-ARCHIVE"
        ? [
            { id: "<a@x>", bytes: good(40) },
            { id: "<b@x>", error: new Error("no smime.p7m attachment bytes") },
            { id: "<c@x>", skip: "unsigned item" },
          ]
        : undefined;
    ARCHIVE_READERS.push(reader);
    try {
      const items = [];
      for await (const it of messageItems([path.dirname(p)])) items.push(it);
      expect(items.map((x) => `${path.basename(x.name)}|${path.basename(x.key)}`)).toEqual([
        "two.fake#1|two.fake@<a@x>",
        "two.fake#2|two.fake@<b@x>",
      ]);
      const skippedItems: string[] = [];
      for await (const _ of messageItems([p], {
        onSkipItem: (n, why) => skippedItems.push(`${path.basename(n)}: ${why}`),
      }));
      expect(skippedItems).toEqual(["two.fake@<c@x>: unsigned item"]);
      const r = await cli(["verify", p, ...common]);
      expect(r.stderr.trimEnd().split("\n").pop()).toBe(
        "2 messages: 1 valid, 0 invalid, 1 unreadable; 1 unsigned item skipped",
      );
      expect(await verdicts(messageItems([p]))).toEqual([`${p}#1:valid:`, `${p}#2:error:MALFORMED`]);
    } finally {
      ARCHIVE_READERS.splice(ARCHIVE_READERS.indexOf(reader), 1);
    }
  });
});

describe("--jsonl, --resume, --shard, summary", () => {
  const folder = path.join(dir, "run");
  for (let i = 0; i < 9; i++) write(`run/${i}.eml`, i % 4 === 1 ? bad(i) : good(i));
  const box = write("run/z.mbox", mboxrd([good(30), bad(31), good(32)]));
  const all = [...Array.from({ length: 9 }, (_, i) => path.join(folder, `${i}.eml`))];

  it("--jsonl: one object per message in input order, with index, name, item, hash and the --json fields", async () => {
    const out = path.join(dir, "out1.jsonl");
    const summaryFile = path.join(dir, "summary1.json");
    const r = await cli(["verify", folder, ...common, "--jsonl", out, "--summary-json", summaryFile]);
    expect(r.code).toBe(1);
    const lines = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(lines.map((l) => l.index)).toEqual([...Array(12).keys()]);
    expect(lines.map((l) => l.name)).toEqual([
      ...all,
      `${box}@${lines[9].item}`,
      `${box}@${lines[10].item}`,
      `${box}@${lines[11].item}`,
    ]);
    expect(lines[9].item).toBe(0);
    expect(lines[10].item).toBeGreaterThan(0);
    expect(Object.keys(lines[0])).toEqual([
      "index",
      "name",
      "hash",
      "file",
      "verdict",
      "problems",
      "signers",
      "sender",
    ]);
    expect(Object.keys(lines[10])).toEqual([
      "index",
      "name",
      "item",
      "hash",
      "file",
      "verdict",
      "problems",
      "signers",
      "sender",
    ]);
    expect(lines[10].file).toBe(`${box}#2`);
    expect(lines[0].hash).toMatch(/^[0-9a-f]{16}$/);
    expect(lines[1]).toMatchObject({ verdict: "invalid", sender: "mallory1@fabrikam.example" });
    // the summary: text on stderr (the counts line last), JSON in the file
    expect(r.stderr.trimEnd().split("\n").pop()).toBe("12 messages: 9 valid, 3 invalid, 0 unreadable");
    expect(r.stderr).toMatch(/problems \(messages\):\n\s+3 {2}SENDER_MISMATCH/);
    expect(r.stderr).toMatch(/top failing sender domains:\n\s+3 {2}fabrikam\.example/);
    const s = JSON.parse(readFileSync(summaryFile, "utf8"));
    expect(s).toMatchObject({
      messages: 12,
      verdicts: { valid: 9, invalid: 3, error: 0 },
      problems: { SENDER_MISMATCH: 3 },
      topFailingSenderDomains: [{ domain: "fabrikam.example", count: 3 }],
      topFailingIssuers: [{ subject: expect.stringContaining("Issuing"), count: 3 }],
    });
    expect(s.topFailingSigners).toHaveLength(1);
    expect(s.topFailingSigners[0]).toMatchObject({ email: "alice@contoso.com", count: 3 });
    // an existing results file is not overwritten by a run that does not resume it
    const again = await cli(["verify", folder, ...common, "--jsonl", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already; to go on with that run give --resume/);
  });

  it("--resume skips exactly what is done, re-does a changed message, and tolerates a cut last line", async () => {
    const src = path.join(dir, "resume");
    for (let i = 0; i < 6; i++) write(`resume/${i}.eml`, good(i));
    const out = path.join(dir, "resume.jsonl");
    const run = () => cli(["verify", src, ...common, "--jsonl", out, "--resume", out]);
    const first = await run(); // no results file yet: a first run
    expect(first.code).toBe(0);
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(6);
    const second = await run();
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).toContain("resumed: 6 messages already in");
    expect(second.stderr.trimEnd().split("\n").pop()).toBe("6 messages: 6 valid, 0 invalid, 0 unreadable");
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(6);
    // a changed message and a new one are verified; a run killed while writing left half a line
    write("resume/2.eml", bad(2));
    write("resume/9.eml", good(9));
    appendFileSync(out, '{"index":7,"name":"cut');
    const third = await run();
    expect(third.code).toBe(1);
    expect(
      third.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(/\s+/)[2]),
    ).toEqual([path.join(src, "2.eml"), path.join(src, "9.eml")]);
    const lines = readFileSync(out, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => `${path.basename(r.name)}:${r.verdict}`)).toEqual([
      ..."012345".split("").map((i) => `${i}.eml:valid`),
      "2.eml:invalid",
      "9.eml:valid",
    ]);
    expect(third.stderr.trimEnd().split("\n").pop()).toBe("7 messages: 6 valid, 1 invalid, 0 unreadable");
    const sum = await cli(["summary", out, "--json"]);
    expect(JSON.parse(sum.stdout)).toMatchObject({
      messages: 7,
      verdicts: { valid: 6, invalid: 1, error: 0 },
    });
  });

  it("--resume of an mbox that grew: its messages are keyed by offset, and only the new ones are verified", async () => {
    const grown = path.join(dir, "grow.mbox");
    writeFileSync(grown, mboxrd([good(40), bad(41), good(42)]));
    const out = path.join(dir, "grow.jsonl");
    const run = () => cli(["verify", grown, ...common, "--jsonl", out, "--resume", out]);
    expect((await run()).code).toBe(1);
    appendFileSync(grown, mboxrd([good(43), good(44)]));
    const second = await run();
    expect(second.stderr).toContain("resumed: 3 messages already in");
    expect(
      second.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(/\s+/)[2]),
    ).toEqual([`${grown}#4`, `${grown}#5`]);
    expect(second.stderr.trimEnd().split("\n").pop()).toBe("5 messages: 4 valid, 1 invalid, 0 unreadable");
    const recs = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(recs.map((r) => r.name)).toEqual(recs.map((r) => `${grown}@${r.item}`));
    expect(recs).toHaveLength(5);
  });

  // With 12 messages this thread verifies them all before the worker is ready: what the workers make (results,
  // hashes) is compared on 3,000 messages in cli.test.ts ("bulk") and bundle.test.ts.
  it("--jobs 2 (a real process) writes the same results file, and resumes the in-thread run", () => {
    const one = path.join(dir, "jobs1.jsonl");
    const two = path.join(dir, "jobs2.jsonl");
    const args = ["verify", folder, "--trust", trust, "--crl", path.dirname(crls[0])];
    const r1 = spawnCli([...args, "--jobs", "1", "--jsonl", one]);
    const r2 = spawnCli([...args, "--jobs", "2", "--jsonl", two]);
    expect([r1.code, r2.code]).toEqual([1, 1]);
    const strip = (file: string) => readFileSync(file, "utf8");
    expect(strip(two)).toBe(strip(one));
    // nothing is left to do
    const again = spawnCli([...args, "--jobs", "2", "--jsonl", two, "--resume", two]);
    expect(again.stderr).toContain("resumed: 12 messages already in");
    expect(again.stdout).toBe("");
    expect(strip(two)).toBe(strip(one));
  });

  it("--shard 1/3..3/3 partition the messages exactly, stably; summary merges the shards", async () => {
    const shards: string[][] = [];
    const files: string[] = [];
    for (const i of [1, 2, 3]) {
      const out = path.join(dir, `shard-${i}.jsonl`);
      files.push(out);
      const r = await cli(["verify", folder, ...common, "--shard", `${i}/3`, "--jsonl", out]);
      expect(r.stderr).toMatch(new RegExp(`\\(shard ${i}/3\\)\\n$`));
      shards.push(
        readFileSync(out, "utf8")
          .trimEnd()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).name),
      );
    }
    const union = shards.flat();
    expect(new Set(union).size).toBe(union.length);
    expect(union).toHaveLength(12);
    for (const [k, names] of shards.entries()) for (const n of names) expect(shardOf(n, 3)).toBe(k);
    // the same share on another run (and machine: a hash of the key, not a position)
    const again = path.join(dir, "shard-2-again.jsonl");
    await cli(["verify", folder, ...common, "--shard", "2/3", "--jsonl", again]);
    expect(
      readFileSync(again, "utf8")
        .trimEnd()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).name),
    ).toEqual(shards[1]);
    const merged = await cli(["summary", ...files, again, "--json"]);
    expect(merged.code).toBe(1);
    expect(JSON.parse(merged.stdout)).toMatchObject({
      messages: 12,
      verdicts: { valid: 9, invalid: 3, error: 0 },
      problems: { SENDER_MISMATCH: 3 },
    });
    const text = await cli(["summary", ...files]);
    expect(text.stdout.trimEnd().split("\n").pop()).toBe("12 messages: 9 valid, 3 invalid, 0 unreadable");
    for (const v of ["0/3", "4/3", "1/0", "a/b", "1", "-1/3"]) {
      const r = await cli(["verify", folder, ...common, "--shard", v]);
      expect(r.code, v).toBe(2);
      expect(r.stderr).toMatch(/--shard: .* is not i\/n with 1 <= i <= n/);
    }
  });

  it("a shard opens only its own .eml files and Maildir messages; their messages stay together", async () => {
    const shardDir = path.join(dir, "shard-reads");
    for (let i = 0; i < 24; i++) write(`shard-reads/mail/${i}.eml`, good(40 + i));
    // A Maildir entry written as an mbox of two messages: both go with the entry's shard.
    write("shard-reads/md/cur/1700000100.M1.host:2,S", mboxrd([good(70), good(71)]));
    for (let i = 2; i < 9; i++) write(`shard-reads/md/cur/17000001${i}0.M${i}.host:2,S`, good(70 + i));
    write("shard-reads/md/new/1700000190.M9.host", good(79));
    const sizes = new Map<string, number>();
    const keys: string[][] = [];
    for (const k of [0, 1, 2]) {
      let read = 0;
      const items: MessageItem[] = [];
      for await (const it of messageItems([shardDir], {
        want: (key) => shardOf(key, 3) === k,
        onRead: (n) => {
          read += n;
        },
      }))
        items.push(it);
      // Only the files of this shard were read: the bytes read are theirs alone.
      const own = [...new Set(items.map((it) => it.name.replace(/#\d+$/, "")))];
      for (const name of own) sizes.set(name, statSync(name).size);
      expect(read, `shard ${k + 1}/3`).toBe(own.reduce((a, name) => a + sizes.get(name)!, 0));
      keys.push(items.map((it) => it.key));
    }
    const all = keys.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(24 + 2 + 8);
    // Each file (and both messages of the mbox entry) in the shard of the file's key.
    for (const [k, list] of keys.entries())
      for (const key of list) expect(shardOf(key.replace(/@\d+$/, ""), 3), key).toBe(k);
    expect(all.filter((key) => /@\d+$/.test(key))).toHaveLength(2);
  });

  it("a run that cannot start leaves no results file behind; --json and --jsonl - cannot share stdout", async () => {
    const onlyCerts = path.dirname(write("certs-only/root.pem", f.root.pem));
    const out = path.join(dir, "never.jsonl");
    const r = await cli(["verify", onlyCerts, ...common, "--jsonl", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no messages to verify/);
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
    const both = await cli(["verify", folder, ...common, "--json", "--jsonl", "-"]);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe("");
    expect(both.stderr).toMatch(/--json and --jsonl - both print on stdout/);
  });

  it("summary refuses a file that is not results, naming file:line (exit 2)", async () => {
    const badFile = write("bad.jsonl", '{"name":"a","verdict":"valid"}\nnot json\n');
    const r = await cli(["summary", badFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^smimetrust: ${badFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not JSON`),
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const noVerdict = write("bad2.jsonl", '{"name":"a"}\n');
    expect((await cli(["summary", noVerdict])).stderr).toMatch(
      /bad2\.jsonl:1: not a verify --jsonl results object/,
    );
    const resumeBad = await cli(["verify", folder, ...common, "--resume", badFile]);
    expect(resumeBad.code).toBe(2);
    expect(resumeBad.stderr).toMatch(/bad\.jsonl:2: not JSON/);
  });
});

describe("the worker pool over a stream", () => {
  it("jobs 1 reading runs of messages: the same results in order; an input that fails part-way delivers what was read first", async () => {
    const msgs = Array.from({ length: 23 }, (_, i) => ({
      name: `m${i}`,
      bytes: i % 5 === 2 ? bad(i) : good(i),
    }));
    const run = async (readRun: number, failAt?: number) => {
      const got: string[] = [];
      async function* items() {
        for (const [k, m] of msgs.entries()) {
          if (k === failAt) throw new Error("the folder went away");
          yield m;
        }
      }
      let error: string | undefined;
      try {
        await verifyBatch(items(), setup, {
          jobs: 1,
          readRun,
          onResult: (i, item, r) => {
            got.push(`${i}:${item.name}:${r.verdict}`);
          },
        });
      } catch (e) {
        error = (e as Error).message;
      }
      return { got, error };
    };
    const one = await run(1);
    expect(one.got).toHaveLength(23);
    expect(one.got.filter((g) => g.endsWith(":invalid"))).toHaveLength(5);
    expect((await run(8)).got).toEqual(one.got);
    expect((await run(64)).got).toEqual(one.got);
    // 19 messages were read before the input failed: all 19 are delivered (runs of 8: 8, 8, then the 3 before the failure)
    const failed = await run(8, 19);
    expect(failed.error).toBe("the folder went away");
    expect(failed.got).toEqual(one.got.slice(0, 19));
  });

  it("jobs 2: this thread verifies beside one worker, and rendered results equal those made in one thread", () => {
    const out = runScript("test/smime/pool-run.ts");
    expect(out.count).toEqual([1200, 1200, 1200]);
    // 24 altered after signing, 13 that cannot be read
    expect(Object.fromEntries(out.reference)).toEqual({ valid: 1163, invalid: 24, error: 13 });
    for (const run of [out.helped, out.workersOnly]) {
      expect(run.inOrder).toBe(true);
      expect(run.sameAsInThread).toBe(true);
      expect(run.hashed).toBe(1187);
      expect(run.verdicts).toEqual({ valid: 1163, invalid: 24, error: 13 });
    }
    // jobs 2 is this thread (0) and one worker; without help, two workers
    expect(out.helped.threads).toEqual([0, 1]);
    expect(out.workersOnly.threads).toEqual([1, 2]);
  });

  it("reads at most a bounded window ahead of the results, delivers in order, hashes in the workers", () => {
    const out = runScript("test/smime/window-run.ts");
    expect(out.count).toBe(200);
    expect(out.inOrder).toBe(true);
    // 2 * jobs * window + batch = 2 * 2 * 4 + 2
    expect(out.maxAhead).toBeLessThanOrEqual(18);
    expect(out.maxAhead).toBeGreaterThan(1);
  });
});
