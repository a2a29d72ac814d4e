/**
 * The committed Outlook fixtures (test/fixtures/outlook, made by make.ts there and checked with readpst and
 * libpff when made): the same messages as .eml, .msg and inside a PST give the same verdicts and problem codes.
 * These files do not change with the test helpers, so a change in the readers or in verify shows here.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, spawnCli } from "../helpers/cli.js";

const fx = path.join(REPO_ROOT, "test/fixtures/outlook");
const common = ["--trust", path.join(fx, "trust"), "--crl", path.join(fx, "crls"), "--jobs", "1", "--json"];
const NAMES = ["rsa-clear-signed", "p256-opaque-signed", "tampered", "untrusted-root", "unsigned"];
const EXPECTED: Record<string, { verdict: string; codes: string[] }> = {
  "rsa-clear-signed": { verdict: "valid", codes: [] },
  "p256-opaque-signed": { verdict: "valid", codes: [] },
  tampered: { verdict: "invalid", codes: ["DIGEST_MISMATCH"] },
  "untrusted-root": { verdict: "invalid", codes: ["UNTRUSTED_ROOT"] },
  unsigned: { verdict: "invalid", codes: ["NOT_SIGNED"] },
};

interface Row {
  file: string;
  verdict: string;
  problems: { code: string }[];
  signers: { problems: { code: string }[] }[];
}
const outcome = (r: Row) => ({
  verdict: r.verdict,
  codes: [...r.problems.map((p) => p.code), ...r.signers.flatMap((s) => s.problems.map((p) => p.code))],
});

describe("committed Outlook fixtures", () => {
  it(".eml, .msg and PST: the expected verdicts and codes, the same in each form", () => {
    const files = (dir: string, ext: string) => NAMES.map((n) => path.join(fx, dir, `${n}.${ext}`));
    const r = spawnCli([
      "verify",
      ...files("eml", "eml"),
      ...files("msg", "msg"),
      path.join(fx, "archive.pst"),
      ...common,
    ]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as Row[];
    const eml = rows.slice(0, 5);
    const msg = rows.slice(5, 9);
    const pst = rows.slice(9);
    NAMES.forEach((n, i) => {
      expect(outcome(eml[i]), n).toEqual(EXPECTED[n]);
    });
    const signed = NAMES.filter((n) => n !== "unsigned");
    expect(msg.map((x) => path.basename(x.file))).toEqual(signed.map((n) => `${n}.msg`));
    signed.forEach((n, i) => {
      expect(outcome(msg[i]), n).toEqual(EXPECTED[n]);
    });
    const inPst: [string, string][] = [
      ["Inbox/1", "rsa-clear-signed"],
      ["Inbox/3", "untrusted-root"],
      ["Inbox/Signed/1", "p256-opaque-signed"],
      ["Review/1", "tampered"],
    ];
    expect(pst.map((x) => x.file)).toEqual(
      inPst.map(([p]) => `${path.join(fx, "archive.pst")}#/Top of Outlook data file/${p}`),
    );
    inPst.forEach(([, n], i) => {
      expect(outcome(pst[i]), n).toEqual(EXPECTED[n]);
    });
    expect(r.stderr).toBe("note: 2 unsigned Outlook items skipped\n");
  });
});
