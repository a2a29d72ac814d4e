/** The network edge for --online: HTTP GET/POST with timeouts and a cache. Core code receives a Fetcher. */

export interface FetchResult {
  status: number;
  body: Uint8Array;
  contentType?: string;
}

export interface FetchOptions {
  /**
   * Give up at this wall-clock time (ms since the epoch, Date.now()): the path engine's accumulative
   * budget for one validation (like Exchange's OWACRLRetrievalTimeout, the total for all CRLs of a chain).
   */
  deadline?: number;
}

export interface Fetcher {
  /** GET a URL (http: only is required; https: where allowed). Rejects on timeout or network error. */
  get(url: string, opts?: FetchOptions): Promise<FetchResult>;
  /** POST a body (OCSP). */
  post(url: string, body: Uint8Array, contentType: string, opts?: FetchOptions): Promise<FetchResult>;
}

/**
 * A fetcher whose calls all end by `deadline` (ms since the epoch): calls after it fail at once, calls
 * before it are given the deadline (the HTTP fetcher then aborts the request when it passes).
 */
export function withDeadline(fetcher: Fetcher, deadline: number, budgetMs: number): Fetcher {
  const late = (url: string) =>
    Promise.reject(
      new Error(`no time left of the ${budgetMs} ms allowed for retrieval (${url} not fetched)`),
    );
  const cap = (o?: FetchOptions): FetchOptions => ({ deadline: Math.min(deadline, o?.deadline ?? Infinity) });
  return {
    get: (url, o) => (Date.now() >= deadline ? late(url) : fetcher.get(url, cap(o))),
    post: (url, body, contentType, o) =>
      Date.now() >= deadline ? late(url) : fetcher.post(url, body, contentType, cap(o)),
  };
}
