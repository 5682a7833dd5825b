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

it('reboots chargers mid-session and ends a burst of sessions at once; every transaction still ends', async () => {
  const logs: string[] = [];
  const result = await runScenario(aScenario(`
name: reboot-chaos
seed: 5
duration: 8s
chargers:
  - idPattern: RB-{0000}
    count: 8
    connectors: 1
    heartbeatInterval: 2s
    meterValues: { interval: 0.5s }
    faults: { reconnect: { initial: 0.2s, max: 1s } }
    configuration: { TransactionMessageRetryInterval: 1 }
customers:
  count: 8
  sessions: { interval: [0.2s, 0.4s], duration: [3s, 4s] }
chaos:
  - { at: 2.5s, action: reboot, share: 0.5, downtime: 1s }
  - { at: 5s, action: end-sessions, share: 1 }
notifications: { lossDeadline: 5s }
thresholds:
  - errors.unexpected == 0
  - notifications.lost == 0
`), { log: (l) => logs.push(l) });
  const reboot = logs.map((l) => /chaos: (\d+) chargers lose power for 1000 ms \((\d+) of them mid-session\)/.exec(l)).find(Boolean);
  expect(reboot?.[1]).toBe('4');
  expect(Number(reboot?.[2])).toBeGreaterThan(0);
  const ended = logs.map((l) => /chaos: drivers end (\d+) sessions at once/.exec(l)).find(Boolean);
  expect(Number(ended?.[1])).toBeGreaterThan(0);
  const { latency } = result.final;
  // The rebooted chargers booted again; every transaction that started got its StopTransaction answered.
  expect(latency['ocpp.BootNotification'].count).toBe(8 + 4);
  expect(latency['ocpp.StopTransaction'].count).toBe(latency['ocpp.StartTransaction'].count);
  expect(result.reason).toBe('all 2 thresholds held');
}, 60_000);
