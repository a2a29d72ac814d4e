/** smimetrust as a library: the core modules, with no console or process access. */
export * from "./errors.js";
export * from "./problems.js";
export { Certificate, type CertificateRole, parseSpki } from "./certs/certificate.js";
export { Name } from "./certs/name.js";
export { summarize, type CertificateSummary } from "./certs/describe.js";
export { readCertificateBytes, classifyDer, type ReadOptions, type ReadResult, type InputFormat } from "./certs/read.js";
export { readSst, writeSst, createSst, isSst, type SstStore, type SstElement, type SstProperty } from "./sst/codec.js";
export { TrustList } from "./trust/trust-list.js";
export { buildTrustStore, EXCHANGE_MAX_SST_BYTES, ExchangeRefusalError, type BuildResult, type BuildOptions } from "./trust/build-store.js";
export { parseSignedData, parseContentInfo, type SignedData, type SignerInfo } from "./cms/signed-data.js";
export { createCertsOnlyPkcs7 } from "./cms/certs-only.js";

// paths and revocation
export { validateChain } from "./path/validate.js";
export { ChainCache } from "./path/cache.js";
export type { ValidationOptions, ChainResult, PathElement, CertSource, Profile, PolicyInputs } from "./path/types.js";
export { parseCrl, readCrls, type Crl } from "./revocation/crl.js";
export { checkRevocation, type RevocationContext, type RevocationResult } from "./revocation/check.js";
export type { Fetcher, FetchResult } from "./net/fetcher.js";
export { createHttpFetcher, createFetchCache, type HttpFetcherOptions } from "./net/http-fetcher.js";

// signed mail
export { parseMessage, splitMbox, type MimeEntity } from "./mime/index.js";
export { verifyMessage, type VerifyContext, type VerifyResult, type SignerResult, type Verdict } from "./smime/verify.js";
export { Verifier, verifyBatch } from "./smime/bulk.js";

// audit
export { auditTrustList, type AuditOptions } from "./audit/check.js";
export { diffTrustLists, diffBreakage, type TrustListDiff } from "./audit/diff.js";

// Exchange Online
export { parseConfig, type DesiredState } from "./exchange/config.js";
export { readSmimeExport, type SmimeExport } from "./exchange/export.js";
export { makePlan, type ExchangePlan } from "./exchange/plan.js";
export { generateApplyScript, generateExportScript } from "./exchange/script.js";
export { psString } from "./exchange/powershell.js";
export { SETTINGS, type SettingName } from "./exchange/settings.js";
