/**
 * The shape of one RFC 5280 section 6.1 step: `(certificate, position, state) -> Problem[]`. The engine
 * (path/validate.ts) walks a path from the anchor down and runs every step on every certificate in order;
 * the problems a step returns are the certificate's own. State that carries from one certificate to the
 * next (max_path_length, the permitted/excluded subtrees, the valid_policy_tree) lives in `PathState`.
 */

import { type Problem, type ProblemCode, type ProblemParams, problem } from "../../problems.js";
import type { Certificate } from "../../x509/certificate.js";
import type { NameConstraints } from "../../x509/extensions.js";
import type { Budget } from "../budget.js";
import type { BuildNode } from "../build.js";
import type { PolicyProcessor } from "../policy.js";
import type { ValidationProfile } from "../profile.js";
import type { ValidationSession } from "../session.js";

/** Where a certificate sits in the path being checked. */
export interface Position {
  /** 0 = the anchor (or, for a path without one, the last certificate found), counting down to the leaf. */
  k: number;
  /** The path ends at a trust anchor and this is it. */
  isAnchor: boolean;
  isLeaf: boolean;
  /** Issues the next certificate down (every certificate but the leaf). */
  isIssuer: boolean;
}

/** What the steps share while one path is checked, anchor first. */
export interface PathState {
  readonly profile: ValidationProfile;
  readonly session: ValidationSession;
  readonly budget: Budget;
  /** The path as built, leaf first. */
  readonly nodes: readonly BuildNode[];
  /** The path ends at a trust anchor. */
  readonly hasAnchor: boolean;
  /** Validation time, truncated to the second. */
  readonly time: number;
  /** The k-th certificate from the anchor side. */
  at(k: number): Certificate;
  /** max_path_length (6.1.2 (k)) and the CA whose pathLenConstraint set it. */
  maxPath: number;
  constrainer?: Certificate;
  /** The name constraints of the CAs above (each set kept as given). */
  readonly ncSets: NameConstraints[];
  /** The valid_policy_tree processing; undefined for an incomplete path. */
  readonly policy?: PolicyProcessor;
  /** Set once policy processing failed: the path then has its POLICY problem. */
  policyFailed: boolean;
  /** Problems about the path as a whole (POLICY). */
  readonly pathProblems: Problem[];
}

export type Check = (cert: Certificate, pos: Position, state: PathState) => Problem[];

/** The problem parameters naming `c`. */
export function params(c: Certificate, extra: ProblemParams = {}): ProblemParams {
  return { name: c.name, sha1: c.sha1, ...extra };
}

/** A collector for one certificate's problems: `add(code, extra)`. */
export function collector(c: Certificate): {
  problems: Problem[];
  add: (code: ProblemCode, extra?: ProblemParams) => void;
} {
  const problems: Problem[] = [];
  return { problems, add: (code, extra = {}) => problems.push(problem(code, params(c, extra))) };
}
