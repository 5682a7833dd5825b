/**
 * Dead letters through the CMS API: an event the processor cannot apply (left in the embedded
 * broker's journal, as a crash would leave an accepted event: the gateway lets no such event through)
 * ends up listed after its retries, survives a restart of the embedded CSMS (the journal keeps it),
 * and can be replayed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { OcppEvent } from '../../../src/csms/domain/types.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';
import { login, startCsms, type TestCsms } from '../../helpers/csms.ts';

let dir = '';
const open: TestCsms[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

const poison: OcppEvent = { eventId: 'poison-1', chargePointId: 'CP-X', nodeId: 'test', receivedAt: new Date().toISOString(), kind: 'call', action: 'StopTransaction', messageId: 'm1', request: null as never, response: {}, error: null };

async function csms(dbPath: string): Promise<{ t: TestCsms; list: () => Promise<{ total: number; items: { eventId: string; action: string; attempts: number }[] }>; token: string }> {
  const t = await startCsms({ dbPath, processingMaxAttempts: 2, processingRetryDelayMs: 10 });
  open.push(t);
  const token = await login(t, 'admin@ev-csms.local', 'admin-password');
  const list = async () => (await (await t.api('/api/cms/dead-letters', { token })).json()) as { total: number; items: { eventId: string; action: string; attempts: number }[] };
  return { t, list, token };
}

/**
 * The list once it holds something (the retries take a few turns), or what it holds after 30 s: that
 * deadline only reports a hang, within the test's timeout.
 */
async function listedOnce<T extends { total: number }>(list: () => Promise<T>): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const got = await list();
    if (got.total > 0 || Date.now() > end) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('lists an event that kept failing, keeps it across a restart, and replays it', async () => {
  dir = await mkdtemp(join(tmpdir(), 'dlq-'));
  const db = join(dir, 'csms.db');
  // Accepted before a crash, never processed: the next start takes it up from the journal.
  const before = createSqliteStore(db);
  await before.journal.write({ append: [JSON.stringify(poison)], done: [], dead: [] }, new Date().toISOString());
  await before.close();
  const first = await csms(db);
  const listed = await listedOnce(first.list);
  expect(listed.items.map((d) => [d.eventId, d.action, d.attempts])).toEqual([['poison-1', 'StopTransaction', 2]]);
  await first.t.close();
  open.length = 0;

  const second = await csms(db);
  expect((await second.list()).total).toBe(1);
  const customer = await second.t.api('/api/cms/dead-letters', {});
  expect(customer.status).toBe(401);
  const replay = await second.t.api('/api/cms/dead-letters/replay', { method: 'POST', token: second.token });
  expect(await replay.json()).toEqual({ replayed: 1 });
  // It fails again (nothing changed), so it is back among the dead letters after its retries.
  expect((await listedOnce(second.list)).total).toBe(1);
  expect((await second.t.csms.stats()).processor.failed).toBe(2);
});
