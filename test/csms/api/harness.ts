/**
 * A real REST API for a test: SQLite in memory, the real Charging service, the embedded broker and
 * the real OCPP gateway as CommandSender (listening only for `live` tests: otherwise every charger
 * is offline), on port 0.
 */
import pino from 'pino';
import { createApi, ensureAdmin } from '../../../src/csms/api/app.ts';
import { createFileStore } from '../../../src/csms/api/file-store.ts';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import { testConfig, type CsmsConfigInput } from '../../../src/csms/config.ts';
import { createCharging } from '../../../src/csms/domain/charging.ts';
import { hashPassword } from '../../../src/csms/domain/secrets.ts';
import type { NewUser } from '../../../src/csms/domain/ports.ts';
import type { Notification, User } from '../../../src/csms/domain/types.ts';
import { createReservations } from '../../../src/csms/domain/reservations.ts';
import { createWallet } from '../../../src/csms/domain/wallet.ts';
import { createGateway } from '../../../src/csms/gateway/gateway.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';
import { aUser } from '../builders.ts';

export const ADMIN_PASSWORD = 'admin-password';
export const PASSWORD = 'password-123';

export interface CallInit {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** `live: true` also opens the gateway's OCPP endpoint, so a test can connect a real charger. */
export async function startApi(overrides: CsmsConfigInput = {}, opts: { live?: boolean } = {}) {
  const config = testConfig({ adminPassword: ADMIN_PASSWORD, ...overrides });
  const store = createSqliteStore(':memory:');
  const clock = { now: () => new Date() };
  const charging = createCharging({ store, clock, currency: config.currency, minStartBalance: 100, holdMinor: config.walletHoldMinor });
  const broker = createMemoryBroker();
  await broker.start();
  const notifications: Notification[] = [];
  broker.consumeNotifications((n) => notifications.push(n));
  const gateway = createGateway({ config, store, charging, broker, clock, logger: pino({ level: 'silent' }), nodeId: 'test' });
  const ocppPort = opts.live ? await gateway.listen(0, '127.0.0.1') : 0;
  await ensureAdmin(store, config);
  const files = createFileStore(null);
  await files.start();
  const app = createApi({
    files,
    config, store, charging, broker, clock,
    commands: gateway.commands,
    reservations: createReservations({ store, clock, commands: gateway.commands, minutes: config.reservationMinutes, feeMinor: config.reservationFee }),
    wallet: createWallet({ store, clock, currency: config.currency, payments: null }),
    readiness: async () => ({ database: await store.ping(), broker: broker.health() }),
    storeInfo: { kind: store.kind, location: store.location },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  async function call(path: string, init: CallInit = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await call('/api/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  /** A customer in the store (password PASSWORD) with a token from the real login route. */
  async function customer(overrides: Partial<NewUser> & { balance?: number } = {}): Promise<{ user: User; token: string }> {
    const { balance, ...rest } = overrides;
    const user = await store.users.create(aUser({ ...rest, passwordHash: await hashPassword(PASSWORD) }));
    if (balance) await store.wallet.add({ customerId: user.id, amountMinor: balance, kind: 'topup', createdAt: clock.now().toISOString() });
    return { user, token: await login(user.email, PASSWORD) };
  }

  return {
    app, store, broker, config, base, notifications, call, login, customer,
    filesDir: files.dir,
    ocppUrl: `ws://127.0.0.1:${ocppPort}/ocpp`,
    adminToken: await login(config.adminEmail, ADMIN_PASSWORD),
    async close() {
      await app.close();
      await files.close();
      await gateway.close();
      await broker.close();
      await store.close();
    },
  };
}

export type ApiHarness = Awaited<ReturnType<typeof startApi>>;

/** The `error` of an error response. */
export async function errorOf(res: Response): Promise<{ code: string; message: string; data?: Record<string, unknown> }> {
  return ((await res.json()) as { error: { code: string; message: string; data?: Record<string, unknown> } }).error;
}
