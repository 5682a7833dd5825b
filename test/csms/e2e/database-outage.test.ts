/**
 * PostgreSQL goes away under a running session (a TCP proxy in front of it is cut, so the shared
 * server keeps running for the other tests) and comes back: nothing the CSMS acknowledged is lost,
 * nothing is dead-lettered, and the session's readings are applied once the database answers again.
 * With RabbitMQ the readings are acknowledged during the outage (they are safe in the broker) and
 * wait there; with the embedded broker the journal cannot take them, so the charger is told to try
 * again and resends them.
 */
import { afterEach, expect, it } from 'vitest';
import { aChargePoint, aCustomer, aTariffIn, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { postgresMissing } from '../../helpers/postgres.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';
import { aTestCharger } from '../../helpers/sim-charger.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

const noPostgres = await postgresMissing();
const CP = 'CP-DB-OUTAGE';

describeRabbit('a PostgreSQL outage under a running session', () => {
  let t: TestCsms | null = null;
  let proxy: TcpProxy | null = null;
  let ns: string | null = null;
  afterEach(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    t = null;
    proxy = null;
    ns = null;
  });

  for (const mode of ['rabbitmq', 'embedded'] as const) {
    it.skipIf(noPostgres)(`${mode}: loses and dead-letters nothing, and applies the readings once the database is back`, async () => {
      proxy = await startTcpProxy(5432);
      ns = mode === 'rabbitmq' ? uniqueNamespace() : null;
      // Two attempts and a short delay: an outage counted against the events would dead-letter them at once.
      t = await startCsms({
        databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        processingMaxAttempts: 2,
        processingRetryDelayMs: 10,
        ...(ns && { enableRabbitmq: true, rabbitmqNamespace: ns }),
      });
      const tariff = await aTariffIn(t.store, { pricePerKwh: 30 });
      await aChargePoint(t.store, { id: CP, tariffId: tariff.id, connectors: 1 });
      const customer = await aCustomer(t.store, { balance: 10_000 });
      const admin = await login(t, 'admin@ev-csms.local', 'admin-password');
      const charger = await aTestCharger(t, CP, { meterStartWh: 1000 });
      // Resent one second after a refusal (as after a ChangeConfiguration), not the template's minute.
      expect(charger.sim.config.change('TransactionMessageRetryInterval', '1')).toBe('Accepted');
      await charger.startTransaction(customer.idTag!);
      const { transactionId } = await waitFor(() => charger.transaction);
      await charger.meter(2000, 7000, 30);
      await t.settle();

      proxy.cut();
      const reading = charger.meter(5000, 7000, 60);
      if (mode === 'rabbitmq') {
        // Safe in RabbitMQ, so answered; the processor finds the database away, more often than its attempts allow.
        await reading;
        await waitFor(async () => (await t!.csms.stats()).processor.storeUnavailable >= 3);
      }
      const ready = await t.api('/ready');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not-ready', database: false, store: { kind: 'postgres' } });

      proxy.restore();
      await reading;
      await waitFor(async () => (await t!.store.sessions.get(transactionId))?.meterLast === 5000);
      await t.settle();
      const stats = await t.csms.stats();
      expect(stats.processor.failed).toBe(0);
      const dead = (await (await t.api('/api/cms/dead-letters', { token: admin })).json()) as { total: number };
      expect(dead.total).toBe(0);
      expect((await t.store.sessions.get(transactionId))!).toMatchObject({ status: 'active', energyWh: 4000 });
      expect((await t.api('/ready')).status).toBe(200);
    });
  }
});
