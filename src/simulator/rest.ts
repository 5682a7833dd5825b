/**
 * The simulator's HTTP client: every request is timed from its scheduled time under its route
 * pattern (`rest.POST /api/user/charging/start`), and polled GETs send If-None-Match.
 */
import { performance } from 'node:perf_hooks';
import type { Metrics } from './metrics.ts';

export interface RestResponse<T = any> {
  /** 0 when the request never got an answer (connection refused, reset, timeout). */
  status: number;
  data: T | null;
  /** For error answers: the CSMS error code (`CSMS_ERR_...`) or the network error. */
  code: string | null;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** performance.now() when this request was due; default now. */
  scheduledAt?: number;
  /** Remember the ETag and send If-None-Match next time; a 304 answers with `data` of the last 200. */
  cache?: Map<string, { etag: string; data: unknown }>;
  timeoutMs?: number;
}

export interface RestClient {
  readonly baseUrl: string;
  request<T = any>(method: string, route: string, path: string, opts?: RequestOptions): Promise<RestResponse<T> & { notModified: boolean }>;
  setBaseUrl(url: string): void;
}

export function createRestClient(baseUrl: string, metrics: Metrics): RestClient {
  let base = baseUrl.replace(/\/+$/, '');
  return {
    get baseUrl() {
      return base;
    },
    setBaseUrl(url) {
      base = url.replace(/\/+$/, '');
    },
    async request(method, route, path, opts = {}) {
      const scheduledAt = opts.scheduledAt ?? performance.now();
      const headers: Record<string, string> = {};
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const cached = opts.cache?.get(path);
      if (cached) headers['if-none-match'] = cached.etag;
      metrics.counters.restRequests++;
      const key = `rest.${method} ${route}`;
      // Not AbortSignal.timeout(): its timer cannot be cancelled, so every request (500/s from 500
      // polling customers) kept its fetch state alive and fired a TimeoutError 30 s after it was done.
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs).unref();
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: controller.signal,
        });
        const text = res.status === 304 || res.status === 204 ? '' : await res.text();
        metrics.latency(key, performance.now() - scheduledAt);
        if (res.status === 304 && cached) return { status: 304, data: cached.data as any, code: null, notModified: true };
        let data: any = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        const etag = res.headers.get('etag');
        if (opts.cache && etag && res.status === 200) opts.cache.set(path, { etag, data });
        const code = res.status >= 400 ? (data?.error?.code ?? `HTTP_${res.status}`) : null;
        return { status: res.status, data, code, notModified: false };
      } catch (error) {
        metrics.latency(key, performance.now() - scheduledAt);
        const err = error as Error & { cause?: { code?: string } };
        return { status: 0, data: null, code: err.cause?.code ?? err.name ?? 'NETWORK_ERROR', notModified: false };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
