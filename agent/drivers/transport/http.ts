// The HTTP request seam for drivers that speak HTTP (miner web interfaces and REST APIs). The
// real implementation is built in agent/main.ts from node:http; tests use the same one against
// hw-sim. Small on purpose: one request, one buffered response, no redirects, no cookies, no
// auth (digest and tokens are protocol logic and live with the driver that needs them).

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly host: string;
  readonly port: number;
  /** Path and query, e.g. "/cgi-bin/get_miner_conf.cgi". */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The response body is refused beyond this size (default 1 MiB). */
  readonly maxBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * Performs one request over a fresh connection (no keep-alive: miners' web servers are small
 * and a kept socket is one more thing to go stale). Rejects on transport failures, on an
 * oversized body, and with the signal's reason when it aborts. Never rejects for an HTTP status.
 */
export type HttpRequester = (req: HttpRequest, signal: AbortSignal) => Promise<HttpResponse>;

export const DEFAULT_HTTP_MAX_BYTES = 1 << 20;
