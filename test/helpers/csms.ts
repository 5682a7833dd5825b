/**
 * Starts a real CSMS (real sockets on port 0, a real SQLite file or PostgreSQL schema) for a test, and
 * tracks what the test opens so that `close()` ends all of it. The test reads and seeds the database
 * through its own connection, as a second process would: the CSMS exposes no internals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOcpp, type ConnectOcppOptions, type OcppConnection, type ActionMap } from '../../src/ocpp/index.ts';
import { testConfig, type CsmsConfigInput } from '../../src/csms/config.ts';
import { hashAuthKey, hashPassword } from '../../src/csms/domain/secrets.ts';
import type { ChargePointInput, TariffInput } from '../../src/csms/domain/ports.ts';
import { createCsms, type Csms, type CsmsInfo, type CsmsOptions } from '../../src/csms/server.ts';
import type { Store } from '../../src/csms/domain/ports.ts';
import { createSqliteStore, openPostgresStore } from '../../src/csms/store/index.ts';
import { createTestSchema } from './postgres.ts';
import { isMemory } from '../../src/csms/store/sqlite/sqlite-store.ts';

export interface TestCsms {
  csms: Csms;
  info: CsmsInfo;
  /** A connection of the test's own to the CSMS's database (the file, or the PostgreSQL schema). */
  store: Store;
  /** fetch against the REST API; `token` adds a Bearer header. */
  api(path: string, init?: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Response>;
  connect<In extends ActionMap = any>(identity: string, options?: ConnectOcppOptions<In>): Promise<OcppConnection<In, any, unknown>>;
  /** Resolves once every accepted event has been processed. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `options.clock` lets a test move time (limits, expiries) without waiting. Without a `dbPath` (or
 * with `:memory:`) the database is a file in a temporary directory, removed by close(). With a
 * `databaseUrl` and no `databaseSchema`, the CSMS gets a fresh PostgreSQL schema, dropped by close().
 */
export async function startCsms(overrides: CsmsConfigInput = {}, options: CsmsOptions = {}): Promise<TestCsms> {
  const onPostgres = overrides.databaseUrl !== undefined;
  const schema = onPostgres && overrides.databaseSchema === undefined ? await createTestSchema() : null;
  const tempDir = !onPostgres && (overrides.dbPath === undefined || isMemory(overrides.dbPath)) ? mkdtempSync(join(tmpdir(), 'csms-test-')) : null;
  const config = testConfig({ ...overrides, ...(tempDir && { dbPath: join(tempDir, 'csms.db') }), ...(schema && { databaseSchema: schema.name }) });
  const csms = createCsms(config, options);
  let store: Store;
  let info: CsmsInfo;
  const removeData = async () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    await schema?.drop();
  };
  try {
    info = await csms.start();
    store = config.databaseUrl !== undefined
      ? await openPostgresStore(config.databaseUrl, { schema: config.databaseSchema === 'public' ? undefined : config.databaseSchema })
      : createSqliteStore(config.dbPath);
  } catch (err) {
    await csms.close();
    await removeData();
    throw err;
  }
  const sockets: OcppConnection<any, any, unknown>[] = [];
  return {
    csms,
    info,
    store,
    async api(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${info.httpUrl}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    },
    async connect(identity, options) {
      const conn = await connectOcpp(info.ocppUrl, identity, options as ConnectOcppOptions<any>);
      sockets.push(conn);
      return conn as any;
    },
    async settle() {
      const backlog = async () => (await csms.stats()).broker.backlog;
      // By the clock, not by turns of the loop: through RabbitMQ a batch takes a few round trips. The
      // deadline only reports a hang, within the test's own 60 s timeout.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await new Promise((r) => setImmediate(r));
        if (await backlog() === 0) {
          await new Promise((r) => setTimeout(r, 5));
          if (await backlog() === 0) return;
        } else {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      throw new Error(`events still pending: ${await backlog()}`);
    },
    async close() {
      for (const s of sockets) s.close();
      try {
        await csms.close();
      } finally {
        await store.close();
        await removeData();
      }
    },
  };
}

export async function aChargePoint(store: TestCsms['store'], overrides: Partial<ChargePointInput> & { authKey?: string | Buffer } = {}) {
  const { authKey, ...rest } = overrides;
  return await store.chargePoints.create({ id: `CP-${Math.random().toString(36).slice(2, 8)}`, connectors: 2, registrationStatus: 'Accepted', ...rest, ...(authKey !== undefined && { authKeyHash: hashAuthKey(authKey) }) });
}

export async function aTariffIn(store: TestCsms['store'], overrides: Partial<TariffInput> = {}) {
  return await store.tariffs.create({ name: 'Test tariff', currency: 'EUR', pricePerKwh: 30, pricePerMinute: 0, sessionFee: 0, ...overrides });
}

let customerSeq = 0;
/** A customer with an idTag and (optionally) a wallet credit; password is `password-123`. */
export async function aCustomer(store: TestCsms['store'], overrides: { idTag?: string; balance?: number; email?: string; blocked?: boolean } = {}) {
  customerSeq++;
  const user = await store.users.create({
    email: overrides.email ?? `customer${customerSeq}-${Math.random().toString(36).slice(2, 6)}@test.local`,
    name: `Customer ${customerSeq}`,
    passwordHash: await hashPassword('password-123'),
    role: 'customer',
    idTag: overrides.idTag ?? `TAG${customerSeq}${Math.random().toString(36).slice(2, 6).toUpperCase()}`,
  });
  if (overrides.balance) await store.wallet.add({ customerId: user.id, amountMinor: overrides.balance, kind: 'topup', createdAt: new Date().toISOString() });
  if (overrides.blocked) await store.users.update(user.id, { blocked: true });
  return (await store.users.get(user.id))!;
}

/** Logs in over the real API and returns the token. */
export async function login(t: TestCsms, email: string, password: string): Promise<string> {
  const res = await t.api('/api/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * Resolves with `fn()`'s first truthy value. The deadline only turns a hang into an error before the
 * test's own 60 s timeout: how long a condition takes is not judged (the machine may be busy).
 */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
