/**
 * The committed Outlook fixtures (test/fixtures/outlook, made by its make.ts): their paths, the options that
 * verify them (their trust list and CRLs), and folders of many copies for the tests that need a long run.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./cli.js";

/** A path inside test/fixtures/outlook. */
export const OUTLOOK_FX = (p: string): string => path.join(REPO_ROOT, "test/fixtures/outlook", p);

/** `--trust` and `--crl` for the fixtures' messages. */
export const OUTLOOK_TRUST_ARGS: readonly string[] = [
  "--trust",
  OUTLOOK_FX("trust"),
  "--crl",
  OUTLOOK_FX("crls"),
];

/**
 * Makes `folder` with `n` copies of the fixture messages named (eml/NAME.eml), taken in turn, as 0000.eml,
 * 0001.eml, ... (in the order a folder is read).
 */
export function emlCopies(folder: string, names: readonly string[], n: number): void {
  mkdirSync(folder);
  for (let i = 0; i < n; i++)
    copyFileSync(
      OUTLOOK_FX(`eml/${names[i % names.length]}.eml`),
      path.join(folder, `${String(i).padStart(5, "0")}.eml`),
    );
}
