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
