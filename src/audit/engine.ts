/**
 * The path engine for the front ends, in one place: the audit rules themselves receive `validate` as an
 * argument (so they stay pure and testable with any engine).
 */
import { validateChain } from "../path/validate.js";
import type { ValidateChain } from "./leaves.js";

export async function loadValidateChain(): Promise<ValidateChain> {
  return validateChain;
}
