/**
 * A private RabbitMQ node (never the shared one): the test helper on its own, then a run whose
 * broker outage has a kill -9 of the CSMS inside it. Afterwards no beam process and no directory
 * of the node are left.
 */
import { existsSync } from 'node:fs';
import { connect } from 'amqplib';
import { expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { beamOf, describeRabbit, startPrivateRabbit } from '../helpers/rabbit.ts';
import { aScenario } from './helpers.ts';

async function amqpAnswers(url: string): Promise<boolean> {
  try {
    await (await connect(url, { timeout: 20_000 })).close();
    return true;
  } catch {
    return false;
  }
}

describeRabbit('a private RabbitMQ node', () => {
  it('starts on its own port, goes away with stop_app and comes back with start_app, and leaves nothing behind', async () => {
    const node = await startPrivateRabbit();
    try {
      expect(node.url).not.toContain(':5672');
      expect(beamOf(node.node)).toBe(node.pid);
      expect(await amqpAnswers(node.url)).toBe(true);
      await node.stopApp();
      expect(await amqpAnswers(node.url)).toBe(false);
      expect(beamOf(node.node)).toBe(node.pid); // the node lives on: only the app stopped
      await node.startApp();
      expect(await amqpAnswers(node.url)).toBe(true);
    } finally {
      await node.stop();
    }
    expect(beamOf(node.node)).toBeNull();
    expect(existsSync(node.dir)).toBe(false);
  }, 120_000);

  it('runs a broker outage with a kill -9 of the child CSMS inside it: the CSMS comes back degraded at once, the node is gone afterwards', async () => {
    const logs: string[] = [];
    const result = await runScenario(aScenario(`
name: outage-with-restart
seed: 5
duration: 12s
target: { kind: embedded, csms: { rabbitmq: true, broker: private, process: child } }
chargers:
  - idPattern: PRV-{00}
    count: 4
    heartbeatInterval: 2s
    meterValues: { interval: 1s }
    faults: { reconnect: { initial: 0.3s, max: 1s } }
customers:
  count: 2
  sessions: { interval: [0.3s, 0.6s], duration: [1s, 2s] }
chaos:
  - { at: 2s, action: rabbitmq-outage, duration: 7s }
  - { at: 3s, action: restart-csms, signal: KILL, downtime: 0.3s }
notifications: { lossDeadline: 3s }
`), { log: (l) => logs.push(l), reconcileSettleMs: 3000 });

    const index = (re: RegExp) => logs.findIndex((l) => re.test(l));
    const node = /starting node (\S+) on (\S+) \(dir (\S+)\)/.exec(logs.find((l) => l.startsWith('private RabbitMQ: starting node')) ?? '');
    expect(node, logs.join('\n')).not.toBeNull();
    const [, name, url, dir] = node!;
    expect(url).not.toContain(':5672');
    // stop_app on the private node, the restart inside the outage and back before start_app: actions overlap.
    const order = [
      index(new RegExp(`^chaos: rabbitmqctl stop_app on ${name}`)),
      index(/^chaos: restarting the embedded CSMS \(kill -9/),
      index(/^chaos: the embedded CSMS is back \(pid \d+/),
      index(new RegExp(`^chaos: rabbitmqctl start_app on ${name} done`)),
    ];
    expect(order.every((i) => i >= 0), logs.join('\n')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(result.exitCode, result.reason).not.toBe(3);
    expect(result.final.reconciliation).not.toBeNull();
    expect(logs).toContain(`private RabbitMQ: node ${name} stopped, ${dir} removed`);
    expect(beamOf(name)).toBeNull();
    expect(existsSync(dir)).toBe(false);
  }, 180_000);
});
