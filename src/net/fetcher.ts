/** The network edge for --online: HTTP GET/POST with timeouts and a cache. Core code receives a Fetcher. */

export interface FetchResult {
  status: number;
  body: Uint8Array;
  contentType?: string;
}

export interface Fetcher {
  /** GET a URL (http: only is required; https: where allowed). Rejects on timeout or network error. */
  get(url: string): Promise<FetchResult>;
  /** POST a body (OCSP). */
  post(url: string, body: Uint8Array, contentType: string): Promise<FetchResult>;
}
