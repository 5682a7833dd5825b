import { afterEach, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../src/csms/domain/ports.ts';
import { aRabbitBroker, closeTestBrokers, deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { PROBE, untilServing } from './fixtures.ts';

function aRemoteCommand(overrides: Partial<RemoteCommand> = {}): RemoteCommand {
  return { chargePointId: 'CP-1', action: 'Reset', payload: { type: 'Soft' }, requestedBy: 'admin@example.com', timeoutMs: 2000, ...overrides };
}

describeRabbit('rabbitmq broker: commands between nodes', () => {
  let ns = '';
  afterEach(async () => {
    await closeTestBrokers();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  it('forwards a command to the node that holds the charger and returns its outcome', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { nodeId: 'node-a' });
    const b = aRabbitBroker(ns, { nodeId: 'node-b' });
    await Promise.all([a.start(), b.start()]);
    const served: RemoteCommand[] = [];
    b.commands.serve(async (cmd) => {
      if (cmd.chargePointId !== PROBE) served.push(cmd);
      return { commandId: 'cmd-1', status: 'answered', response: { status: 'Accepted' } };
    });
    await untilServing(a, 'node-b');
    const cmd = aRemoteCommand();
    const outcome = await a.commands.forward('node-b', cmd);
    expect(outcome).toEqual({ commandId: 'cmd-1', status: 'answered', response: { status: 'Accepted' } });
    expect(served).toEqual([cmd]);
    // Several at once, each to its own answer.
    const many = await Promise.all([1, 2, 3].map((i) => a.commands.forward('node-b', aRemoteCommand({ chargePointId: `CP-${i}` }))));
    expect(many.map((o) => o.status)).toEqual(['answered', 'answered', 'answered']);
    expect(served.map((c) => c.chargePointId).slice(1).sort()).toEqual(['CP-1', 'CP-2', 'CP-3']);
  });

  it('answers offline at once for a node that is gone', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { nodeId: 'node-a' });
    await a.start();
    const outcome = await a.commands.forward('node-gone', aRemoteCommand({ timeoutMs: 5000 }));
    // 'node gone' is the broker returning the unroutable command, not the timeout ('timeout' status).
    expect(outcome).toEqual({ commandId: '', status: 'offline', response: { description: 'node gone' } });
    expect(a.stats().commands).toMatchObject({ offline: 1, timeouts: 0 });
  });

  it('answers timeout when the serving node is slower than the command timeout', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { nodeId: 'node-a' });
    const b = aRabbitBroker(ns, { nodeId: 'node-b' });
    await Promise.all([a.start(), b.start()]);
    // A node that does not answer until the test has its verdict.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    b.commands.serve(async (cmd) => {
      if (cmd.chargePointId !== PROBE) await held;
      return { commandId: 'late', status: 'answered', response: {} };
    });
    await untilServing(a, 'node-b');
    const t0 = Date.now();
    const outcome = await a.commands.forward('node-b', aRemoteCommand({ timeoutMs: 300 }));
    release();
    expect(outcome.status).toBe('timeout');
    // Never before the command's own timeout (a timer does not fire early).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('answers offline at once while the broker is unreachable', async () => {
    ns = uniqueNamespace();
    const a = aRabbitBroker(ns, { url: 'amqp://guest:guest@127.0.0.1:1' });
    await a.start();
    const outcome = await a.commands.forward('node-b', aRemoteCommand());
    expect(outcome.status).toBe('offline');
  });
});
