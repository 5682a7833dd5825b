/**
 * Provisioning before the run, through the CMS REST API as the admin: stations, tariffs, one charge
 * point per simulated charger (with a generated AuthorizationKey for Basic auth), then customer
 * accounts (self-registered or created by the admin) with their opening wallet top-up.
 * Against a remote CSMS, what already exists under the same name or id is reused.
 */
import type { Account } from './customer.ts';
import type { RestClient } from './rest.ts';
import type { ChargerTemplate, Scenario } from './scenario/schema.ts';

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export interface RemoteConfig {
  realtime: 'socket.io' | 'polling';
  pollIntervalsMs: { activeSession: number; detail: number; list: number };
  /** Customers may add money themselves (POST /api/user/wallet/topup); a CSMS that does not say allows it. */
  walletSelfTopup: boolean;
}

/** Expands `SIM-{0000}` for charger number n (from 1). */
export function chargerId(pattern: string, n: number): string {
  return pattern.replace(/\{(0+)\}/, (_, zeros: string) => String(n).padStart(zeros.length, '0'));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function fail(what: string, res: { status: number; code: string | null; data: any }): never {
  throw new SetupError(`${what}: ${res.status === 0 ? `no answer (${res.code})` : `HTTP ${res.status} ${res.code ?? ''} ${res.data?.error?.message ?? ''}`.trim()}`);
}

export async function readRemoteConfig(rest: RestClient): Promise<RemoteConfig> {
  const res = await rest.request('GET', '/api/config', '/api/config');
  if (res.status !== 200) fail(`GET ${rest.baseUrl}/api/config`, res);
  return { realtime: res.data.realtime, pollIntervalsMs: res.data.pollIntervalsMs, walletSelfTopup: res.data.wallet?.selfTopup ?? true };
}

/** The web CMS's address when the target serves one (ours does, at /cms/); null otherwise. */
export async function findCmsUrl(httpUrl: string): Promise<string | null> {
  try {
    const res = await fetch(`${httpUrl}/cms/`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok && (res.headers.get('content-type') ?? '').includes('text/html') ? `${httpUrl}/cms/` : null;
  } catch {
    return null;
  }
}

export async function adminLogin(rest: RestClient, admin: { email: string; password: string }): Promise<string> {
  const res = await rest.request('POST', '/api/auth/login', '/api/auth/login', { body: admin });
  if (res.status !== 200) fail(`admin login as ${admin.email}`, res);
  return res.data.token;
}

async function ensureNamed(rest: RestClient, token: string, kind: 'stations' | 'tariffs', items: { name: string }[], reuse?: (name: string, id: number) => Promise<void>): Promise<Map<string, number>> {
  const existing = await rest.request('GET', `/api/cms/${kind}`, `/api/cms/${kind}?limit=200`, { token });
  if (existing.status !== 200) fail(`GET /api/cms/${kind}`, existing);
  const ids = new Map<string, number>((existing.data.items as { name: string; id: number }[]).map((s) => [s.name, s.id]));
  for (const item of items) {
    const id = ids.get(item.name);
    if (id !== undefined) {
      await reuse?.(item.name, id);
      continue;
    }
    const res = await rest.request('POST', `/api/cms/${kind}`, `/api/cms/${kind}`, { token, body: item });
    if (res.status !== 201) fail(`POST /api/cms/${kind} ${item.name}`, res);
    ids.set(item.name, res.data.id);
  }
  return ids;
}

export interface ProvisionedCharger {
  id: string;
  tpl: ChargerTemplate;
  password: string | null;
}

type StationSpec = Scenario['setup']['stations'][number];

/** A station's load-management fields, only those the scenario sets: a CSMS without load management never sees them. */
function gridFields(s: StationSpec): { gridLimitW?: number; minPerSessionW?: number } {
  return { ...(s.gridLimitW !== undefined ? { gridLimitW: s.gridLimitW } : {}), ...(s.minPerSessionW !== undefined ? { minPerSessionW: s.minPerSessionW } : {}) };
}

/** Stations, tariffs and one charge point per charger; returns each charger's identity and Basic-auth key. */
export async function provisionChargers(rest: RestClient, token: string, scenario: Scenario): Promise<ProvisionedCharger[]> {
  const specs = scenario.setup.stations;
  const stations = await ensureNamed(rest, token, 'stations', specs.map((s) => ({ name: s.name, ...(s.address !== undefined ? { address: s.address } : {}), ...gridFields(s) })), async (name, id) => {
    // A station that already existed (a remote CSMS) gets the scenario's grid limit too.
    const grid = gridFields(specs.find((s) => s.name === name)!);
    if (Object.keys(grid).length === 0) return;
    const res = await rest.request('PUT', '/api/cms/stations/:id', `/api/cms/stations/${id}`, { token, body: grid });
    if (res.status !== 200) fail(`PUT /api/cms/stations/${id} (grid limit of ${name})`, res);
  });
  const tariffs = await ensureNamed(rest, token, 'tariffs', scenario.setup.tariffs);
  const list: { id: string; tpl: ChargerTemplate }[] = [];
  const seen = new Set<string>();
  for (const tpl of scenario.chargers) {
    for (let n = 1; n <= tpl.count; n++) {
      const id = chargerId(tpl.idPattern, n);
      if (seen.has(id)) throw new SetupError(`two chargers would be called ${id}: give each template its own idPattern`);
      seen.add(id);
      list.push({ id, tpl });
    }
  }
  return inBatches(list, 16, async ({ id, tpl }) => {
    const stationId = stations.get(tpl.station ?? scenario.setup.stations[0].name);
    const tariffId = tariffs.get(tpl.tariff ?? scenario.setup.tariffs[0].name);
    if (stationId === undefined) throw new SetupError(`charger template ${tpl.idPattern}: no station named "${tpl.station}"`);
    if (tariffId === undefined) throw new SetupError(`charger template ${tpl.idPattern}: no tariff named "${tpl.tariff}"`);
    const body = { stationId, tariffId, connectors: tpl.connectors, registrationStatus: 'Accepted', authKey: tpl.basicAuth ? 'generate' : null };
    let res = await rest.request('POST', '/api/cms/points', '/api/cms/points', { token, body: { id, ...body } });
    if (res.status === 409) {
      res = await rest.request('PUT', '/api/cms/points/:chargePointId', `/api/cms/points/${encodeURIComponent(id)}`, { token, body });
    }
    if (res.status !== 201 && res.status !== 200) fail(`registering charge point ${id}`, res);
    return { id, tpl, password: tpl.basicAuth ? (res.data.authKey as string) : null };
  });
}

/**
 * Customer accounts with tokens and idTags, each topped up with `initialBalance`: by the customer
 * (`credit: 'self'`), or by the admin where the CSMS lets no customer add money without paying.
 */
export async function provisionCustomers(rest: RestClient, adminToken: string, count: number, how: 'self' | 'cms', initialBalance: number, label: string, credit: 'self' | 'admin' = 'self'): Promise<Account[]> {
  const runTag = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  return inBatches(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    const email = `${label}-${runTag}-${i + 1}@ev-sim.test`;
    const password = `sim-password-${runTag}`;
    const name = `${label} ${i + 1}`;
    let account: Account;
    if (how === 'self') {
      const res = await rest.request('POST', '/api/user/register', '/api/user/register', { body: { email, password, name } });
      if (res.status !== 201) fail(`registering ${email}`, res);
      account = { id: res.data.user.id, email, password, token: res.data.token, idTag: res.data.user.idTag };
    } else {
      const created = await rest.request('POST', '/api/cms/customers', '/api/cms/customers', { token: adminToken, body: { email, password, name } });
      if (created.status !== 201) fail(`creating customer ${email}`, created);
      const login = await rest.request('POST', '/api/auth/login', '/api/auth/login', { body: { email, password } });
      if (login.status !== 200) fail(`logging in ${email}`, login);
      account = { id: created.data.id, email, password, token: login.data.token, idTag: created.data.idTag };
    }
    if (initialBalance > 0 && credit === 'self') {
      const topUp = await rest.request('POST', '/api/user/wallet/topup', '/api/user/wallet/topup', { token: account.token, body: { amount: initialBalance } });
      if (topUp.status !== 200) fail(`topping up ${email}`, topUp);
    } else if (initialBalance > 0) {
      const body = { kind: 'credit', amountMinor: initialBalance, reason: 'ev-sim opening balance' };
      const credited = await rest.request('POST', '/api/cms/customers/:id/wallet', `/api/cms/customers/${account.id}/wallet`, { token: adminToken, body });
      if (credited.status !== 201) fail(`crediting ${email}`, credited);
    }
    return account;
  });
}
