/**
 * `ev-sim bench rest`: autocannon against the REST endpoints that open pages poll, each once with
 * full answers and once with If-None-Match, to show what the ETags save. Local targets only.
 */
import autocannon from 'autocannon';
import { testConfig } from '../csms/config.ts';
import { createCsms } from '../csms/server.ts';
import { aBootNotification, aStartTransaction, aStatusNotification, connectOcpp, type OcppConnection } from '../ocpp/index.ts';
import type { BenchResult, BenchRow } from '../simulator/report/index.ts';
import { BENCH_LIMITS } from './bench-limits.ts';

export interface BenchRestOptions {
  /** `http://127.0.0.1:3000`, or null to start an embedded CSMS with demo data. */
  target: string | null;
  connections: number;
  /** Total seconds for all endpoints and modes together. */
  durationS: number;
  customer?: { email: string; password: string };
  admin?: { email: string; password: string };
  log?: (line: string) => void;
  signal?: AbortSignal;
}


/** The pages' polled reads: a customer's active session and station list, the CMS dashboard. */
const ENDPOINTS = [
  { path: '/api/user/sessions/active', caller: 'customer' },
  { path: '/api/user/stations', caller: 'customer' },
  { path: '/api/cms/dashboard', caller: 'admin' },
] as const;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** A reason to refuse the target, or null when it is a local http(s) URL. */
export function refuseTarget(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: ${url}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `not an http(s) URL: ${url}`;
  if (!LOCAL_HOSTS.has(parsed.hostname)) return `refusing to load-test ${parsed.hostname}: bench rest only targets localhost or 127.0.0.1 (run it on the server's machine)`;
  return null;
}

/** Runs the benchmark; throws with a readable message when the target is refused or login fails. */
export async function benchRest(opts: BenchRestOptions): Promise<BenchResult> {
  const log = opts.log ?? (() => {});
  if (opts.target) {
    const refused = refuseTarget(opts.target);
    if (refused) throw new Error(refused);
  }
  const durationS = Math.min(Math.max(opts.durationS, 1), BENCH_LIMITS.maxDurationS);
  const connections = Math.min(Math.max(Math.floor(opts.connections), 1), BENCH_LIMITS.maxConnections);
  const embedded = opts.target === null ? createCsms(testConfig({ demo: true })) : null;
  let charger: OcppConnection<any, any, unknown> | null = null;
  try {
    let base = opts.target?.replace(/\/+$/, '') ?? '';
    let customer = opts.customer;
    let admin = opts.admin;
    if (embedded) {
      const info = await embedded.start();
      base = info.httpUrl;
      customer = { email: info.demo!.customerEmail, password: info.demo!.customerPassword };
      admin = { email: info.admin.email, password: 'admin-password' };
      charger = await chargeOnce(info.ocppUrl, info.demo!.chargePointIds[0], info.demo!.idTag);
      await waitForActiveSession(base, customer);
      log(`embedded CSMS on ${base} (demo data, one session charging)`);
    }
    if (!customer || !admin) throw new Error('a remote target needs --email/--password (a customer) and --admin-email/--admin-password');
    const tokens = { customer: await login(base, customer), admin: await login(base, admin) };
    const runS = durationS / (ENDPOINTS.length * 2);
    const startedAt = new Date().toISOString();
    const rows: BenchRow[] = [];
    for (const ep of ENDPOINTS) {
      const url = `${base}${ep.path}`;
      const auth = { authorization: `Bearer ${tokens[ep.caller]}` };
      const first = await fetch(url, { headers: auth });
      if (first.status !== 200) throw new Error(`GET ${ep.path} answered ${first.status} before the benchmark`);
      const etag = first.headers.get('etag');
      for (const conditional of [false, true]) {
        if (opts.signal?.aborted) break;
        if (conditional && !etag) {
          log(`GET ${ep.path}: no ETag, skipping the If-None-Match run`);
          continue;
        }
        log(`GET ${ep.path} ${conditional ? 'with If-None-Match' : 'full'}: ${runS.toFixed(1)} s, ${connections} connections`);
        const headers = conditional ? { ...auth, 'if-none-match': etag! } : auth;
        rows.push(toRow(`GET ${ep.path}`, ep.caller, conditional, await cannon(url, headers, connections, runS, opts.signal)));
      }
    }
    return { target: base, embedded: embedded !== null, connections, runS, startedAt, rows };
  } finally {
    charger?.close();
    await embedded?.close();
  }
}

/** The demo charger boots and starts a session for the demo customer, so /sessions/active has a row. */
async function chargeOnce(ocppUrl: string, identity: string, idTag: string): Promise<OcppConnection<any, any, unknown>> {
  const conn = await connectOcpp<any, any, unknown>(ocppUrl, identity);
  await conn.call('BootNotification', aBootNotification());
  await conn.call('StatusNotification', aStatusNotification({ connectorId: 1, status: 'Preparing' }));
  await conn.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag }));
  return conn;
}

async function waitForActiveSession(base: string, customer: { email: string; password: string }): Promise<void> {
  const token = await login(base, customer);
  // The processor applies StartTransaction asynchronously (through the broker).
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${base}/api/user/sessions/active`, { headers: { authorization: `Bearer ${token}` } });
    if (((await res.json()) as { items: unknown[] }).items.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function login(base: string, who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (res.status !== 200) throw new Error(`login as ${who.email} failed: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

function cannon(url: string, headers: Record<string, string>, connections: number, durationS: number, signal?: AbortSignal): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    // One worker thread: the load must not share an event loop with an embedded server.
    const instance = autocannon({ url, headers, connections, duration: durationS, workers: 1 }, (err, result) => (err ? reject(err) : resolve(result)));
    signal?.addEventListener('abort', () => instance.stop(), { once: true });
  });
}

function toRow(endpoint: string, caller: BenchRow['caller'], conditional: boolean, r: autocannon.Result): BenchRow {
  const stats = (r as autocannon.Result & { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  const seconds = Math.max(r.duration, 0.001);
  const requests = r.requests.total;
  return {
    endpoint,
    caller,
    conditional,
    requests,
    // Per-second histograms are empty for sub-second runs: totals over the duration work for any length.
    requestsPerS: requests / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    status: Object.fromEntries(Object.entries(stats).map(([code, s]) => [code, s?.count ?? 0])),
    errors: r.errors,
    bytesPerS: r.throughput.total / seconds,
  };
}
