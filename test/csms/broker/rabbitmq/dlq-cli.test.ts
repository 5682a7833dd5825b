import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import { dlqCommand, runDlqList, runDlqReplay } from '../../../../src/cli/dlq.ts';
import type { Delivery } from '../../../../src/csms/domain/ports.ts';
import type { OcppEvent } from '../../../../src/csms/domain/types.ts';
import { aRabbitBroker, closeTestBrokers, deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { anEvent, until } from './fixtures.ts';

const BIN = new URL('../../../../bin/ev-csms.js', import.meta.url).pathname;
const CLI_SOURCE = new URL('../../../../src/cli/ev-csms.ts', import.meta.url);
/** The lead registers `dlq` in ev-csms.ts; until then the end-to-end spawn tests are skipped. */
const registered = readFileSync(CLI_SOURCE, 'utf8').includes('dlqCommand');

describeRabbit('ev-csms dlq', () => {
  let ns = '';
  afterEach(async () => {
    vi.restoreAllMocks();
    await closeTestBrokers();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  /** A namespace with two dead letters (and a broker whose handler now succeeds for them). */
  async function withTwoDeadLetters() {
    ns = uniqueNamespace();
    const broker = aRabbitBroker(ns, { maxAttempts: 1 });
    const dead = [anEvent({ chargePointId: 'CP-DEAD-1' }), anEvent({ chargePointId: 'CP-DEAD-2', kind: 'call', action: 'MeterValues' } as never)];
    const processed: string[] = [];
    let failing = true;
    broker.consumeEvents(async (batch: Delivery<OcppEvent>[]) => {
      const failed = batch.filter((d) => failing && d.body.chargePointId.startsWith('CP-DEAD')).map((delivery) => ({ delivery, error: new Error(`no such connector on ${delivery.body.chargePointId}`) }));
      processed.push(...batch.filter((d) => !failed.some((f) => f.delivery === d)).map((d) => d.body.eventId));
      return { failed };
    });
    await broker.start();
    // One after the other: the two chargers' shards are consumed side by side, so their dead letters
    // would otherwise land in either order.
    for (const [i, e] of dead.entries()) {
      broker.publishEvent(e);
      await until(() => broker.stats().consume.deadLettered === i + 1, 30_000, `dead letter ${i + 1}`);
    }
    return { broker, dead, processed, heal: () => (failing = false) };
  }

  it('lists the dead letters as a table and as JSON, leaving them in the queue', async () => {
    const { dead } = await withTwoDeadLetters();
    const lines: string[] = [];
    await runDlqList({ url: RABBIT_URL, namespace: ns }, {}, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/EVENT ID\s+CHARGE POINT\s+KIND\/ACTION\s+ATTEMPTS\s+ERROR\s+WHEN/);
    expect(text).toContain(dead[0]!.eventId);
    expect(text).toMatch(/CP-DEAD-1\s+connected\s+1\s+no such connector on CP-DEAD-1/);
    expect(text).toMatch(/CP-DEAD-2\s+call\/MeterValues\s+1\s+no such connector on CP-DEAD-2/);
    expect(text).toContain(`2 dead letters in ${ns}.ocpp.dead`);

    const json: string[] = [];
    const limited = await runDlqList({ url: RABBIT_URL, namespace: ns }, { json: true, limit: 1 }, (l) => json.push(l));
    expect(limited).toHaveLength(1);
    expect(JSON.parse(json.join(''))).toEqual([expect.objectContaining({ event: dead[0], attempts: 1, error: 'no such connector on CP-DEAD-1' })]);

    // Through commander, as `ev-csms dlq list --json --rabbitmq-namespace <ns>` runs it.
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await new Command('ev-csms').exitOverride().addCommand(dlqCommand()).parseAsync(['dlq', 'list', '--json', '--rabbitmq-url', RABBIT_URL, '--rabbitmq-namespace', ns], { from: 'user' });
    const printed = out.mock.calls.map((c) => String(c[0])).join('');
    out.mockRestore();
    expect((JSON.parse(printed) as { event: OcppEvent }[]).map((l) => l.event.eventId)).toEqual(dead.map((e) => e.eventId));
  });

  it('replays them (with --yes) back to the work queue, attempts reset', async () => {
    const { dead, processed, heal } = await withTwoDeadLetters();
    await expect(runDlqReplay({ url: RABBIT_URL, namespace: ns }, {}, () => {})).rejects.toThrow(/pass --yes/);
    heal();
    const lines: string[] = [];
    expect(await runDlqReplay({ url: RABBIT_URL, namespace: ns }, { yes: true }, (l) => lines.push(l))).toBe(2);
    expect(lines).toEqual([`Replayed 2 dead letters to ${ns}.ocpp.events.`]);
    await until(() => dead.every((e) => processed.includes(e.eventId)), 30_000, 'the replayed events');
    const after: string[] = [];
    await runDlqList({ url: RABBIT_URL, namespace: ns }, {}, (l) => after.push(l));
    expect(after).toEqual([`No dead letters in ${ns}.ocpp.dead.`]);
  });

  it('says in one line that the broker is unreachable, or the namespace unknown', async () => {
    await expect(runDlqList({ url: 'amqp://guest:guest@127.0.0.1:1', namespace: 'x' })).rejects.toMatchObject({ code: 'CSMS_ERR_BROKER_UNAVAILABLE', message: expect.stringContaining('amqp://guest:***@127.0.0.1:1') });
    await expect(runDlqList({ url: RABBIT_URL, namespace: uniqueNamespace() })).rejects.toMatchObject({ code: 'CSMS_ERR_NOT_FOUND' });
  });

  it.runIf(registered)('runs as `ev-csms dlq list` and exits 0; 1 with one line when the broker is unreachable', async () => {
    const { dead } = await withTwoDeadLetters();
    const ok = spawnSync(process.execPath, [BIN, 'dlq', 'list', '--rabbitmq-namespace', ns], { encoding: 'utf8', env: { ...process.env, RABBITMQ_URL: RABBIT_URL }, timeout: 30_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(dead[1]!.eventId);
    const down = spawnSync(process.execPath, [BIN, 'dlq', 'list', '--rabbitmq-url', 'amqp://127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/not reachable/);
  });
});
