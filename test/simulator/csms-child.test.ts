/**
 * The embedded CSMS as a child process (`ev-csms serve`): kill -9 and back on the same ports and
 * database, and a run that says so when the child dies on its own.
 */
import { expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { aScenario } from './helpers.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const fleet = (duration: string, chaos = '') => aScenario(`
name: child
seed: 4
duration: ${duration}
target: { kind: embedded, csms: { process: child } }
chargers:
  - idPattern: KID-{00}
    count: 6
    heartbeatInterval: 2s
    meterValues: { interval: 1s }
    faults: { reconnect: { initial: 0.3s, max: 1s } }
customers:
  count: 3
  sessions: { interval: [0.3s, 0.6s], duration: [1s, 2s] }
notifications: { lossDeadline: 3s }
${chaos}
`);

it('restart-csms signal KILL: the child is killed, starts again with a new PID on the same ports, and the chargers come back', async () => {
  const logs: string[] = [];
  let back = false;
  let onlineAfterBack = 0;
  const result = await runScenario(fleet('12s', 'chaos:\n  - { at: 3s, action: restart-csms, signal: KILL, downtime: 0.5s }'), {
    log: (l) => {
      logs.push(l);
      if (l.startsWith('chaos: the embedded CSMS is back')) back = true;
    },
    onSnapshot: (s) => {
      if (back && s.phase === 'hold') onlineAfterBack = Math.max(onlineAfterBack, s.fleet.available + s.fleet.charging + s.fleet.faulted);
    },
    snapshotIntervalMs: 100,
    reconcileSettleMs: 3000,
  });
  const killed = logs.find((l) => l.startsWith('chaos: restarting the embedded CSMS (kill -9 of pid'));
  const backLine = logs.find((l) => l.startsWith('chaos: the embedded CSMS is back'));
  const [, newPid, oldPid] = /\(pid (\d+), was (\d+)\)/.exec(backLine ?? '') ?? [];
  expect(killed, logs.join('\n')).toContain(`pid ${oldPid}`);
  expect(Number(newPid)).toBeGreaterThan(0);
  expect(newPid).not.toBe(oldPid);
  expect(alive(Number(oldPid))).toBe(false);
  // Every charger reconnected to the new process (same OCPP port), and the run was judged, not cut short.
  expect(onlineAfterBack).toBe(6);
  expect(result.exitCode, result.reason).not.toBe(3);
  expect(result.final.reconciliation).not.toBeNull();
  // ev-sim stopped its child at the end.
  expect(alive(Number(newPid))).toBe(false);
}, 120_000);

it('says clearly when the child CSMS exits on its own: exit 3 with its PID and how it ended', async () => {
  let pid = 0;
  const result = await runScenario(fleet('60s'), {
    log: (l) => {
      const m = /^CSMS child process pid (\d+)/.exec(l);
      if (m) {
        pid = Number(m[1]);
        // Someone else kills it (the OOM killer, an operator): not ev-sim's doing.
        setTimeout(() => process.kill(pid, 'SIGKILL'), 3000);
      }
    },
  });
  expect(pid).toBeGreaterThan(0);
  expect(result.exitCode).toBe(3);
  expect(result.reason).toMatch(new RegExp(`^the CSMS child process \\(pid ${pid}\\) exited unexpectedly \\(signal SIGKILL\\); log \\S+csms\\.log`));
  expect(result.final.reconciliation).toBeNull();
  // Ended by the kill, not by the scenario's 60 s.
  expect(result.durationS).toBeLessThan(60);
}, 90_000);

it('two restarts due at once (late timers on a busy machine) run one after the other, and the run is judged', async () => {
  const logs: string[] = [];
  const result = await runScenario(fleet('10s', `chaos:
  - { at: 3s, action: restart-csms, signal: KILL, downtime: 0.5s }
  - { at: 3s, action: restart-csms, signal: KILL, downtime: 0.5s }`), { log: (l) => logs.push(l), reconcileSettleMs: 3000 });
  const backs = logs.map((l) => /^chaos: the embedded CSMS is back \(pid (\d+), was (\d+)\)/.exec(l)).filter((m) => m !== null);
  // The second restart killed the process the first one started, not one still starting.
  expect(backs, logs.join('\n')).toHaveLength(2);
  expect(backs[1][2]).toBe(backs[0][1]);
  expect(logs.filter((l) => l.startsWith('chaos: restarting the embedded CSMS (kill -9 of pid'))).toHaveLength(2);
  expect(result.exitCode, result.reason).not.toBe(3);
  expect(result.final.reconciliation).not.toBeNull();
}, 120_000);
