/**
 * The CSMS under test, in its own process so the load generator does not share its event loop.
 * Seeds `CHARGERS` charge points and customers (one idTag each, with credit), starts, and reports its
 * ports and, on request, its counters over IPC. The store is SQLite at `DB_PATH`, or PostgreSQL with
 * `BENCH_DATABASE_URL` and `BENCH_DATABASE_SCHEMA` (the config's databaseUrl and databaseSchema: the
 * CSMS creates and migrates the schema at its start). Not DATABASE_URL itself: one left in the
 * shell's environment must not turn a SQLite bench into a PostgreSQL one.
 */
import { createHmac } from 'node:crypto';
import { loadConfig } from '../../src/csms/config.ts';
import { createCsms } from '../../src/csms/server.ts';
import { createSqliteStore, openPostgresStore } from '../../src/csms/store/index.ts';
import { serveBenchIpc } from './ipc.ts';

const chargers = Number(process.env.CHARGERS ?? 1000);
const customersWithTokens = Number(process.env.TOKENS ?? 0);
const dbPath = process.env.DB_PATH!;
const rabbit = process.env.BENCH_RABBITMQ_NAMESPACE;
const databaseUrl = process.env.BENCH_DATABASE_URL;
const databaseSchema = process.env.BENCH_DATABASE_SCHEMA;
const ADMIN_PASSWORD = 'bench-password';
const config = loadConfig({
  port: 0, ocppPort: 0, host: '127.0.0.1', dbPath, logLevel: 'warn', jwtSecret: 'bench-secret-bench-secret', adminPassword: ADMIN_PASSWORD,
  ocppPingIntervalS: 0, ocppRateLimitPerSecond: 1000, ocppMaxQueuedCalls: 1000,
  // bench:fleet's simulated customers all sign up from 127.0.0.1.
  registrationsPerAddressPerHour: 0,
  ...(rabbit && { enableRabbitmq: true, rabbitmqNamespace: rabbit }),
  ...(databaseUrl && { databaseUrl, databaseSchema }),
  // A bench that measures a limit sets it here, e.g. '{"ocppRateLimitPerSecond":200}'.
  ...(process.env.BENCH_CSMS_CONFIG && JSON.parse(process.env.BENCH_CSMS_CONFIG)),
}, {});
const csms = createCsms(config);

async function main(): Promise<void> {
  const info = await csms.start();
  // Seeded through a connection of our own to the same database, as a second process would. A second
  // node of the same run finds everything seeded already (but the tariff, which nothing else uses).
  const store = databaseUrl ? await openPostgresStore(databaseUrl, { schema: databaseSchema, poolSize: 2 }) : createSqliteStore(dbPath);
  await store.transaction(async () => {
    const tariff = await store.tariffs.create({ name: 'bench', currency: 'EUR', pricePerKwh: 30, pricePerMinute: 1, sessionFee: 10 });
    for (let i = 0; i < chargers; i++) {
      const id = `BENCH-${i}`;
      if (await store.chargePoints.get(id)) continue;
      await store.chargePoints.create({ id, tariffId: tariff.id, connectors: 1, registrationStatus: 'Accepted' });
      const user = await store.users.create({ email: `bench${i}@bench.local`, name: `Bench ${i}`, passwordHash: 'x', role: 'customer', idTag: `BT${i}` });
      await store.wallet.add({ customerId: user.id, amountMinor: 10_000_000, kind: 'topup', createdAt: new Date().toISOString() });
    }
  });
  // Tokens signed directly: logging 500 customers in would cost 500 scrypt hashes of CPU.
  const tokens = await Promise.all(Array.from({ length: customersWithTokens }, async (_, i) => {
    const user = (await store.users.findByIdTag(`BT${i}`))!;
    return signToken(config.jwtSecret!, { sub: String(user.id), role: 'customer' });
  }));
  await store.close();
  serveBenchIpc(
    async () => {
      const { processor, broker, outbox } = await csms.stats();
      return { processed: processor.processed, failed: processor.failed, backlog: broker.backlog, outbox };
    },
    () => csms.close(),
  );
  process.send!({ type: 'ready', ocppUrl: info.ocppUrl, httpUrl: info.httpUrl, tokens, admin: { email: info.admin.email, password: ADMIN_PASSWORD } });
}

/** An HS256 JWT as the API signs them (RFC 7519), with `iat`. */
function signToken(secret: string, claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ...claims, iat: Math.floor(Date.now() / 1000) })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
