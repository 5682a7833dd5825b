/**
 * Nothing is lost: the broker's app is stopped while chargers keep sending, then started again.
 * Every MeterValues must reach the database exactly once, every session billed exactly once.
 * The broker is a private RabbitMQ node of this test: stopping it disturbs nobody else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aSampledValue, aStartTransaction, aStopTransaction, type OcppConnection } from '../../../src/ocpp/index.ts';
import { aChargePoint, aCustomer, aTariffIn, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { describeRabbit, startPrivateRabbit, uniqueNamespace, type PrivateRabbit } from '../../helpers/rabbit.ts';

const CHARGERS = 5;

describeRabbit('broker outage (rabbitmqctl stop_app / start_app)', () => {
  const ns = uniqueNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'ev-outage-'));
  let t: TestCsms;
  let broker: PrivateRabbit;
  const chargers: { conn: OcppConnection<any, any, unknown>; transactionId: number; meterWh: number; sent: number; customerId: number }[] = [];

  beforeAll(async () => {
    broker = await startPrivateRabbit();
    t = await startCsms({ enableRabbitmq: true, rabbitmqUrl: broker.url, rabbitmqNamespace: ns, dbPath: join(dir, 'csms.db'), messageLogRetention: 100_000 });
    const tariff = await aTariffIn(t.store, { pricePerKwh: 20, sessionFee: 0, pricePerMinute: 0 });
    for (let i = 0; i < CHARGERS; i++) {
      await aChargePoint(t.store, { id: `OUT-${i}`, tariffId: tariff.id, connectors: 1 });
      const customer = await aCustomer(t.store, { idTag: `OUTTAG${i}`, balance: 100_000 });
      const conn = await t.connect(`OUT-${i}`);
      await conn.call('BootNotification', aBootNotification());
      const { transactionId } = await conn.call('StartTransaction', aStartTransaction({ idTag: `OUTTAG${i}`, meterStart: 0 }));
      chargers.push({ conn, transactionId, meterWh: 0, sent: 0, customerId: customer.id });
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps answering chargers, then delivers every message exactly once and bills every session once', async () => {
    let sending = true;
    const loops = chargers.map(async (c) => {
      while (sending) {
        c.meterWh += 100;
        await c.conn.call('MeterValues', { connectorId: 1, transactionId: c.transactionId, meterValue: [aMeterValue({ sampledValue: [aSampledValue({ value: String(c.meterWh) })] })] });
        c.sent++;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const sent = () => chargers.reduce((n, c) => n + c.sent, 0);
    await waitFor(() => sent() >= CHARGERS * 10, 30_000); // some traffic before the outage
    await broker.stopApp();
    await waitFor(async () => (await t.csms.health()).broker.ok === false, 10_000);
    const sentBeforeOutage = chargers.reduce((n, c) => n + c.sent, 0);
    // Chargers were answered all along: many calls answered while the broker is down.
    await waitFor(() => sent() - sentBeforeOutage > CHARGERS * 10, 30_000);
    const ready = await t.api('/ready');
    expect(ready.status).toBe(503);
    expect(await t.store.outbox.count()).toBeGreaterThan(0);
    await broker.startApp();
    await waitFor(async () => (await t.csms.health()).broker.ok, 60_000);
    const sentAfterOutage = sent();
    await waitFor(() => sent() >= sentAfterOutage + CHARGERS * 10, 30_000); // and some after it
    sending = false;
    await Promise.all(loops);

    for (const c of chargers) {
      await c.conn.call('StopTransaction', aStopTransaction({ transactionId: c.transactionId, meterStop: c.meterWh }));
    }
    await waitFor(async () => await t.store.outbox.count() === 0 && (await Promise.all(chargers.map((c) => t.store.sessions.get(c.transactionId)))).every((s) => s?.status === 'completed'), 60_000);

    for (const c of chargers) {
      const samples = await t.store.sessions.meterSamples(c.transactionId, { limit: 100_000 });
      expect(samples).toHaveLength(c.sent); // exactly once: none lost, none twice
      const session = (await t.store.sessions.get(c.transactionId))!;
      expect(session.energyWh).toBe(c.meterWh);
      const charges = (await t.store.wallet.list(c.customerId)).filter((e) => e.kind === 'charge');
      expect(charges).toHaveLength(1);
      expect(charges[0].amountMinor).toBe(-Math.round((c.meterWh * 20) / 1000));
    }
    expect((await t.api('/ready')).status).toBe(200);
  }, 120_000);
});
