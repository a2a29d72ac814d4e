/**
 * Loads the path engine (src/path/validate.ts) for the front ends. Kept in one place so the audit
 * rules themselves receive `validate` as an argument.
 */
import type { ValidateChain } from "./leaves.js";

let cached: ValidateChain | undefined;

export async function loadValidateChain(): Promise<ValidateChain> {
  if (cached) return cached;
  const path = "../path/validate.js";
  const mod = (await import(path)) as { validateChain: ValidateChain };
  cached = mod.validateChain;
  return cached;
}
