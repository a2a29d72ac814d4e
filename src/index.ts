/** smimetrust as a library: the core modules, with no console or process access. */

// audit
export { type AuditOptions, auditTrustList } from "./audit/check.js";
export { diffBreakage, diffTrustLists, type TrustListDiff } from "./audit/diff.js";
export { Certificate, type CertificateRole, parseSpki } from "./certs/certificate.js";
export { type CertificateSummary, summarize } from "./certs/describe.js";
export { Name } from "./certs/name.js";
export {
  classifyDer,
  type InputFormat,
  READ_LIMITS,
  type ReadOptions,
  type ReadResult,
  readCertificateBytes,
} from "./certs/read.js";
export { createCertsOnlyPkcs7 } from "./cms/certs-only.js";
export { parseContentInfo, parseSignedData, type SignedData, type SignerInfo } from "./cms/signed-data.js";
export * from "./errors.js";
// Exchange Online
export { type DesiredState, parseConfig } from "./exchange/config.js";
export { readSmimeExport, type SmimeExport } from "./exchange/export.js";
export { type ExchangePlan, makePlan } from "./exchange/plan.js";
export { psString } from "./exchange/powershell.js";
export { generateApplyScript, generateExportScript } from "./exchange/script.js";
export { SETTINGS, type SettingName } from "./exchange/settings.js";
export { PBE_LIMITS } from "./lib/pbe.js";
// signed mail
export { type MimeEntity, parseMessage, splitMbox } from "./mime/index.js";
export type { Fetcher, FetchResult } from "./net/fetcher.js";
export { createFetchCache, createHttpFetcher, type HttpFetcherOptions } from "./net/http-fetcher.js";
export { ChainCache } from "./path/cache.js";
export type {
  CertSource,
  ChainResult,
  PathElement,
  PolicyInputs,
  Profile,
  ValidationOptions,
} from "./path/types.js";
// paths and revocation
export { validateChain } from "./path/validate.js";
export * from "./problems.js";
export { checkRevocation, type RevocationContext, type RevocationResult } from "./revocation/check.js";
export { type Crl, parseCrl, readCrls } from "./revocation/crl.js";
export { Verifier, verifyBatch } from "./smime/bulk.js";
export {
  type SignerResult,
  type Verdict,
  type VerifyContext,
  type VerifyResult,
  verifyMessage,
} from "./smime/verify.js";
export {
  createSst,
  isSst,
  readSst,
  type SstElement,
  type SstProperty,
  type SstStore,
  writeSst,
} from "./sst/codec.js";
export {
  type BuildOptions,
  type BuildResult,
  buildTrustStore,
  EXCHANGE_MAX_SST_BYTES,
  ExchangeRefusalError,
} from "./trust/build-store.js";
export { TrustList } from "./trust/trust-list.js";
