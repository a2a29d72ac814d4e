/**
 * What --online fetches with, from the environment: Exchange's CRL timeouts (OWACRLConnectionTimeout 60 s,
 * OWACRLRetrievalTimeout 10 s) unless SMIMETRUST_CONNECT_TIMEOUT_MS / SMIMETRUST_TIMEOUT_MS say otherwise
 * (positive whole milliseconds; anything else is ignored), and HTTP_PROXY for http: URLs.
 * SMIMETRUST_TIMEOUT_MS is also the total allowed for all retrievals of one chain, as Exchange's is.
 */
import type { HttpFetcherOptions } from "../io/http-fetcher.js";

export function fetchOptionsFromEnv(env: NodeJS.ProcessEnv): HttpFetcherOptions {
  const ms = (v: string | undefined) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);
  return {
    connectTimeoutMs: ms(env.SMIMETRUST_CONNECT_TIMEOUT_MS),
    timeoutMs: ms(env.SMIMETRUST_TIMEOUT_MS),
    proxy: env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy || undefined,
  };
}
