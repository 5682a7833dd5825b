/** Faults and chaos against a real embedded CSMS: transactions survive reconnects and a CSMS restart. */
import { expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { aScenario } from './helpers.ts';

it('survives dropped connections, a reconnect storm and a CSMS restart without losing a session', async () => {
  const logs: string[] = [];
  const result = await runScenario(aScenario(`
name: chaos
seed: 3
duration: 12s
chargers:
  - idPattern: CH-{0000}
    count: 12
    heartbeatInterval: 2s
    meterValues: { interval: 1s }
    faults: { disconnectPerMinute: 3, reconnect: { initial: 0.3s, max: 2s } }
customers:
  count: 6
  sessions: { interval: [0.3s, 0.6s], duration: [3s, 5s] }
admins: { count: 1 }
chaos:
  - { at: 3s, action: disconnect, share: 0.5 }
  - { at: 5s, action: reconnect-storm, share: 1 }
  - { at: 7s, action: restart-csms, downtime: 1s }
notifications: { lossDeadline: 5s }
thresholds:
  - errors.unexpected == 0
  - notifications.lost == 0
`), { log: (l) => logs.push(l) });
  expect(logs).toEqual(expect.arrayContaining([expect.stringMatching(/reconnect storm/), 'chaos: the embedded CSMS is back']));
  const { latency, errors } = result.final;
  // Every transaction that started was also stopped, across drops and the restart.
  expect(latency['ocpp.StartTransaction'].count).toBeGreaterThan(5);
  expect(latency['ocpp.StopTransaction'].count).toBe(latency['ocpp.StartTransaction'].count);
  // Injected drops and the restart's refused connections are errors, but expected ones.
  expect(errors.total).toBeGreaterThan(10);
  expect(result.reason).toBe('all 2 thresholds held');
  expect(result.exitCode).toBe(0);
}, 90_000);
