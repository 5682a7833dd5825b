/**
 * The Local Authorization List sync as the server's timers call it (`void syncAll(...)`, no catch):
 * a database that does not answer is reported to onError, never left as an unhandled rejection
 * (which ends a Node process).
 */
import pino from 'pino';
import { expect, it } from 'vitest';
import { createMemoryBroker } from '../../../src/csms/broker/memory.ts';
import { testConfig } from '../../../src/csms/config.ts';
import { createCharging } from '../../../src/csms/domain/charging.ts';
import { createLocalListSync } from '../../../src/csms/domain/local-list.ts';
import { createGateway } from '../../../src/csms/gateway/gateway.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';

it('syncAll reports a database that went away to onError and resolves', async () => {
  const store = createSqliteStore(':memory:');
  const broker = createMemoryBroker();
  const clock = { now: () => new Date() };
  const charging = createCharging({ store, clock, currency: 'EUR', minStartBalance: 0 });
  const gateway = createGateway({ config: testConfig(), store, charging, broker, clock, logger: pino({ level: 'silent' }), nodeId: 'n' });
  const errors: [unknown, string][] = [];
  const lists = createLocalListSync({ store, commands: gateway.commands, broker, clock, onError: (err, chargePointId) => errors.push([err, chargePointId]) });
  await store.close();
  await expect(lists.syncAll(['CP-1', 'CP-2'])).resolves.toBeUndefined();
  expect(errors).toHaveLength(1);
  expect(errors[0]![1]).toBe('CP-1, CP-2');
  await broker.close();
});
