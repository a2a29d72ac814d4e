/** The Windows-made .sst files in test/corpora/sst (read in place, never copied). */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const FIXTURES = resolve(REPO_ROOT, "test/corpora/sst");

export interface ManifestEntry {
  file: string;
  bytes: number;
  certificates: number;
  crls_ctls: number;
  trailing_bytes: number;
  property_ids: Record<string, number>;
  sha1: string[];
}

export const manifest: ManifestEntry[] = JSON.parse(readFileSync(resolve(FIXTURES, "manifest.json"), "utf8"));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(FIXTURES, name)));
}
