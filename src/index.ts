/** smimetrust as a library: the core modules, with no console or process access. */

// audit
export { type AuditOptions, auditTrustList } from "./audit/check.js";
export { diffBreakage, diffTrustLists, type LeafBreakage, type TrustListDiff } from "./audit/diff.js";
export { createCertsOnlyPkcs7 } from "./cms/certs-only.js";
export {
  type ContentInfo,
  cmsContentType,
  parseContentInfo,
  parseSignedData,
  type SignedData,
} from "./cms/signed-data.js";
export type {
  Attribute,
  AttributeFault,
  EssCertId,
  EssSigningCertificate,
  SignedAttributeName,
  SignedAttributes,
  SignerIdentifier,
  SignerInfo,
  SmimeCapability,
} from "./cms/signer-info.js";
export * from "./errors.js";
// Exchange Online
export { type DesiredState, parseConfig } from "./exchange/config.js";
export { readSmimeExport, type SmimeExport } from "./exchange/export.js";
export { type DesiredInput, type ExchangePlan, makePlan, type PlanOptions } from "./exchange/plan.js";
export { psString } from "./exchange/powershell.js";
export {
  type ApplyScriptSpec,
  type ExportScriptSpec,
  generateApplyScript,
  generateExportScript,
  type ListedCertificate,
  type ScriptMeta,
} from "./exchange/script.js";
export { SETTINGS, type SettingName } from "./exchange/settings.js";
// Preview: the direct Exchange Online client (docs/exchange-api.md).
export {
  AppCertificateSignIn,
  clientAssertion,
  DeviceCodeSignIn,
  type TokenProvider,
} from "./exchange-api/auth.js";
export { decodeByteArray, ExchangeOnlineClient } from "./exchange-api/client.js";
export { type AppCredential, readAppCredential } from "./exchange-api/credential.js";
export { ExchangeApiError, SignInError } from "./exchange-api/errors.js";
export { type Connection, connect, runTenant, type TenantOutcome } from "./exchange-api/run.js";
export {
  classifyDer,
  type InputFormat,
  READ_LIMITS,
  type ReadOptions,
  type ReadResult,
  readCertificateBytes,
} from "./formats/read.js";
export {
  createSst,
  isSst,
  type NewSstEntry,
  readSst,
  type SstElement,
  type SstProperty,
  type SstStore,
  writeSst,
} from "./formats/sst.js";
export {
  type CacheEntry as FetchCacheEntry,
  createFetchCache,
  createHttpFetcher,
  type FetchCache,
  FetchError,
  type HttpFetcher,
  type HttpFetcherOptions,
} from "./io/http-fetcher.js";
export {
  ARCHIVE_READERS,
  type ArchiveMessage,
  type ArchiveReader,
  type MessageItem,
  messageItems,
  type StreamOptions,
  shardOf,
} from "./io/message-stream.js";
export { readResults, type StoredResult } from "./io/results-file.js";
export {
  type BatchItem,
  type BatchOptions,
  contentHash,
  type ResultInfo,
  verifyBatch,
} from "./io/verify-pool.js";
export { type DerElement, DerError } from "./lib/der.js";
export type { Fetcher, FetchResult } from "./lib/fetcher.js";
export { PBE_LIMITS } from "./lib/pbe.js";
// signed mail
export {
  type MboxMessage,
  MboxSplitter,
  type MboxStreamMessage,
  type MimeEntity,
  type MimeLimits,
  parseMessage,
  splitMbox,
} from "./mime/index.js";
export { type CacheEntry as ChainCacheEntry, ChainCache } from "./path/cache.js";
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
export {
  countsLine,
  type ResultFacts,
  type ResultRecord,
  type RunSummary,
  resultFacts,
  SummaryBuilder,
  summaryDetails,
} from "./smime/summary.js";
export { Verifier, type VerifySetup } from "./smime/verifier.js";
export {
  type SignerResult,
  type Verdict,
  type VerifyContext,
  type VerifyResult,
  verifyMessage,
} from "./smime/verify.js";
export {
  type BuildOptions,
  type BuildResult,
  buildTrustStore,
  EXCHANGE_MAX_SST_BYTES,
  ExchangeRefusalError,
} from "./trust/build-store.js";
export { TrustList } from "./trust/trust-list.js";
export { Certificate, type CertificateRole, type PublicKeyInfo, parseSpki } from "./x509/certificate.js";
export { type CertificateSummary, summarize } from "./x509/describe.js";
export type { Extension } from "./x509/extensions.js";
export { Name } from "./x509/name.js";
