/**
 * On PostgreSQL each batch is a transaction on a connection of its own, and the RabbitMQ broker hands
 * over a batch per shard: the processor applies at most `concurrency` of them at once, the others
 * wait their turn. Shown with one slot: a batch held up by a row lock (another transaction, held by
 * the test) keeps the next batch waiting, which then commits after it.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import { createCharging } from '../../../src/csms/domain/charging.ts';
import type { Broker } from '../../../src/csms/domain/ports.ts';
import type { OcppAnsweredCall } from '../../../src/csms/domain/types.ts';
import { createProcessor } from '../../../src/csms/processor/processor.ts';
import { openPostgresStore, type PostgresStore } from '../../../src/csms/store/index.ts';
import { waitFor } from '../../helpers/csms.ts';
import { createTestSchema, POSTGRES_URL, postgresMissing, type TestSchema } from '../../helpers/postgres.ts';

const noPostgres = await postgresMissing();

let store: PostgresStore | null = null;
let broker: Broker | null = null;
let schema: TestSchema | null = null;
let locker: pg.Client | null = null;
afterEach(async () => {
  await locker?.query('ROLLBACK').catch(() => {});
  await locker?.end();
  await broker?.close();
  await store?.close();
  await schema?.drop();
  store = null;
  broker = null;
  schema = null;
  locker = null;
});

let seq = 0;
const aStatus = (chargePointId: string) => {
  seq++;
  const body = {
    eventId: `c-${seq}`, chargePointId, nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'call', action: 'StatusNotification',
    messageId: `m-${seq}`, request: { connectorId: 1, errorCode: 'NoError', status: 'Charging' }, response: {}, error: null,
  } as OcppAnsweredCall;
  return [{ body, redelivered: false, attempts: 0 }];
};

it.skipIf(noPostgres)('applies at most `concurrency` batches at once: the next waits for a slot, then commits after the one before', async () => {
  schema = await createTestSchema('test_processor');
  store = await openPostgresStore(POSTGRES_URL, { schema: schema.name });
  for (const id of ['CP-A', 'CP-B']) await store.chargePoints.create({ id, connectors: 1, registrationStatus: 'Accepted' });
  broker = createMemoryBroker();
  const clock = { now: () => new Date() };
  const processor = createProcessor({ store, charging: createCharging({ store, clock, currency: 'EUR', minStartBalance: 0 }), broker, clock, messageLogRetention: 100, concurrency: 1 });

  // Another transaction holds CP-A's connector row: the batch for CP-A waits on its lock.
  locker = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema.name}` });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`SELECT 1 FROM connectors WHERE charge_point_id = 'CP-A' FOR UPDATE`);
  const first = processor.handle(aStatus('CP-A'));
  const second = processor.handle(aStatus('CP-B'));
  // The batch for CP-B, which needs no lock, waits for the one slot instead of committing first.
  await waitFor(() => processor.stats.waiting === 1);
  await locker.query('COMMIT');
  expect(await first).toEqual({ failed: [] });
  expect(await second).toEqual({ failed: [] });
  expect(processor.stats).toMatchObject({ processed: 2, waiting: 0 });
  const [a] = await store.messages.list('CP-A');
  const [b] = await store.messages.list('CP-B');
  expect(b.id).toBeGreaterThan(a.id);
  processor.close();
});
