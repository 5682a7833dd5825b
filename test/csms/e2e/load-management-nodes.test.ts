/**
 * Load management across two CSMS nodes sharing RabbitMQ and PostgreSQL: charger A holds its
 * WebSocket on node 1, charger B on node 2. Whichever node processes B's start divides the station
 * and reaches A through node 1 (the command router); a stop gives A the whole limit back.
 */
import { afterEach, expect, it } from 'vitest';
import { aBootNotification, aStartTransaction, aStopTransaction } from '../../../src/ocpp/index.ts';
import type { SetChargingProfileRequest } from '../../../src/ocpp/messages.ts';
import { aChargePoint, aCustomer, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { createTestSchema, POSTGRES_URL, postgresMissing, type TestSchema } from '../../helpers/postgres.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';

const LIMIT = 11_000;
const pgMissing = await postgresMissing();

describeRabbit('load management across two nodes', () => {
  const nodes: TestCsms[] = [];
  let schema: TestSchema | null = null;
  let ns = '';
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.close();
    await schema?.drop();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
  });

  it.skipIf(pgMissing !== null)('divides a station whose chargers are on different nodes', { timeout: 60_000 }, async () => {
    schema = await createTestSchema();
    ns = uniqueNamespace();
    const shared = { enableRabbitmq: true, rabbitmqNamespace: ns, databaseUrl: POSTGRES_URL, databaseSchema: schema.name };
    nodes.push(await startCsms({ ...shared, nodeId: 'lm-node-1' }));
    nodes.push(await startCsms({ ...shared, nodeId: 'lm-node-2' }));
    const [one, two] = nodes as [TestCsms, TestCsms];
    const station = await one.store.stations.create({ name: 'Shared depot', gridLimitW: LIMIT });
    const got: Record<string, SetChargingProfileRequest[]> = { 'LMN-A': [], 'LMN-B': [] };
    const connect = async (node: TestCsms, id: string) => {
      await aChargePoint(one.store, { id, stationId: station.id, connectors: 1 });
      const conn = await node.connect(id);
      conn.handle('SetChargingProfile' as any, (req: SetChargingProfileRequest) => {
        got[id]!.push(req);
        return { status: 'Accepted' } as any;
      });
      await conn.call('BootNotification', aBootNotification());
      return conn;
    };
    const a = await connect(one, 'LMN-A');
    const b = await connect(two, 'LMN-B');
    const limitOf = (id: string) => got[id]!.at(-1)?.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]?.limit;
    const start = async (conn: typeof a) => {
      const customer = await aCustomer(one.store, { balance: 5000 });
      return (await conn.call('StartTransaction', aStartTransaction({ connectorId: 1, idTag: customer.idTag! }))).transactionId as number;
    };

    await start(a);
    await waitFor(() => limitOf('LMN-A') === LIMIT);
    const txB = await start(b);
    await waitFor(() => limitOf('LMN-A') === 5500 && limitOf('LMN-B') === 5500);
    // Both chargers confirmed: the store (shared by the nodes) holds both shares.
    await waitFor(async () => (await one.store.chargingProfiles.list('LMN-A')).some((p) => p.profile.chargingSchedule.chargingSchedulePeriod[0]?.limit === 5500));
    await b.call('StopTransaction', aStopTransaction({ transactionId: txB }));
    await waitFor(() => limitOf('LMN-A') === LIMIT);
    await waitFor(async () => (await one.store.chargingProfiles.list('LMN-B')).length === 0);
    expect(got['LMN-A']!.map((r) => r.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]?.limit)).toEqual([LIMIT, 5500, LIMIT]);
  });
});
