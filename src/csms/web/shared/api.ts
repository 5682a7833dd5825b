/**
 * The pages' REST client: Bearer token, JSON, `CSMS_ERR_*` errors as ApiError, and conditional
 * GETs: the last ETag per URL is sent back, so an unchanged poll is a body-less 304.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Fetched<T> {
  data: T;
  /** False when the server answered 304: the data is what the previous call returned. */
  changed: boolean;
}

export interface ApiClient {
  get<T>(path: string): Promise<Fetched<T>>;
  send<T = unknown>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** POSTs a file's raw bytes; the answer is JSON. */
  upload<T = unknown>(path: string, file: Blob): Promise<T>;
  /** GETs a file behind the token (a browser link could not send it). */
  blob(path: string): Promise<Blob>;
}

export interface ApiClientOptions {
  token(): string | null;
  /** The token was refused (expired, account blocked or deleted): the page should log out. */
  onUnauthorized(): void;
}

async function failure(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || 'Request failed';
  try {
    // docs/errors.md: every error is { error: { code, message } }.
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  return new ApiError(res.status, code, message);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const cache = new Map<string, { etag: string; data: unknown }>();

  function headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = options.token();
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
  }

  async function call(method: string, path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      // no-store: the browser's own cache must not answer for us; we revalidate ourselves.
      res = await fetch(path, { ...init, method, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached');
    }
    if (res.status === 401 && options.token()) options.onUnauthorized();
    return res;
  }

  return {
    async get<T>(path: string) {
      const cached = cache.get(path);
      const res = await call('GET', path, { headers: headers(cached ? { 'if-none-match': cached.etag } : {}) });
      if (res.status === 304 && cached) return { data: cached.data as T, changed: false };
      if (!res.ok) throw await failure(res);
      const data = (await res.json()) as T;
      const etag = res.headers.get('etag');
      if (etag) cache.set(path, { etag, data });
      else cache.delete(path);
      return { data, changed: true };
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
      const res = await call(method, path, {
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw await failure(res);
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async upload<T>(path: string, file: Blob) {
      const res = await call('POST', path, { headers: headers({ 'content-type': 'application/octet-stream' }), body: file });
      if (!res.ok) throw await failure(res);
      return (await res.json()) as T;
    },
    async blob(path: string) {
      const res = await call('GET', path, { headers: headers() });
      if (!res.ok) throw await failure(res);
      return await res.blob();
    },
  };
}
