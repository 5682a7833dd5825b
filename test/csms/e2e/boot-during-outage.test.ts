/**
 * A BootNotification accepted while RabbitMQ is away: its event waits in the outbox, but the
 * acceptance itself must not. After a restart the charger goes on without booting again (J §5.4),
 * and a queued boot event must not undo what an admin changed after it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { aBootNotification } from '../../../src/ocpp/index.ts';
import { aChargePoint, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';

const CLOSED_PORT = 'amqp://guest:guest@127.0.0.1:1';

describeRabbit('a boot accepted while the broker is away', () => {
  let ns = '';
  let dir = '';
  const open: TestCsms[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    if (dir) await rm(dir, { recursive: true, force: true });
    ns = '';
    dir = '';
  });

  async function csms(url: string): Promise<TestCsms> {
    const t = await startCsms({ dbPath: join(dir, 'csms.db'), enableRabbitmq: true, rabbitmqUrl: url, rabbitmqNamespace: ns });
    open.push(t);
    return t;
  }

  it('is kept across a restart: the charger is not answered SecurityError without booting again', async () => {
    ns = uniqueNamespace();
    dir = await mkdtemp(join(tmpdir(), 'boot-'));
    const first = await csms(CLOSED_PORT);
    const cp = (await aChargePoint(first.store)).id;
    const conn = await first.connect(cp);
    expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Accepted');
    expect(await first.store.outbox.count()).toBeGreaterThan(0); // the boot event waits for the broker
    await first.close();
    open.length = 0;

    const second = await csms(CLOSED_PORT);
    const again = await second.connect(cp);
    const hb = await again.call('Heartbeat', {});
    expect(typeof hb.currentTime).toBe('string');
  });

  it('does not put back a registration status an admin changed after it', async () => {
    ns = uniqueNamespace();
    dir = await mkdtemp(join(tmpdir(), 'boot-'));
    const first = await csms(CLOSED_PORT);
    const cp = (await aChargePoint(first.store)).id;
    const conn = await first.connect(cp);
    expect((await conn.call('BootNotification', aBootNotification())).status).toBe('Accepted');
    const admin = await login(first, 'admin@ev-csms.local', 'admin-password');
    const put = await first.api(`/api/cms/points/${cp}`, { method: 'PUT', token: admin, body: { registrationStatus: 'Rejected' } });
    expect(put.status).toBe(200);
    const queued = await first.store.outbox.count();
    expect(queued).toBeGreaterThan(0);
    await first.close();
    open.length = 0;

    // The broker is back: every queued event (the boot among them) is relayed and processed.
    const second = await csms(RABBIT_URL);
    await waitFor(async () => await second.store.outbox.count() === 0, 30_000);
    await waitFor(async () => {
      const { processed, failed, duplicates } = (await second.csms.stats()).processor;
      return processed + failed + duplicates >= queued;
    }, 30_000);
    expect((await second.store.chargePoints.get(cp))!.registrationStatus).toBe('Rejected');
  });
});
