import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/simulator/types.ts';
import { evSim } from './ev-sim-helpers.ts';

/**
 * Small enough to finish in a few seconds on the embedded CSMS. Its generator overload verdict never
 * comes (`sustain: 24h`) and a notification is lost only after 20 s: a busy shared machine must not
 * end a test run with exit 3 or count a late notification as lost.
 */
const TINY = `name: tiny
duration: 3s
generator: { sustain: 24h }
chargers:
  - count: 3
    idPattern: RUN-{000}
    meterValues: { interval: 1s }
customers:
  count: 2
  sessions: { interval: [0.5, 1], duration: [1, 2] }
notifications: { lossDeadline: 20s }
thresholds:
  - ocpp.BootNotification.count == 3
  - isolation.leaks == 0
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ev-sim-run-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scenario(text: string): string {
  const path = join(dir, 'tiny.yaml');
  writeFileSync(path, text);
  return path;
}

describe('ev-sim run on the embedded CSMS', () => {
  it('runs, prints the summary and progress, writes the three reports and exits with the result code', async () => {
    const reports = join(dir, 'reports');
    const p = evSim(['run', scenario(TINY), '--report-dir', reports]);
    expect(await p.exited, p.err()).toBe(0);
    // Not a terminal: plain progress lines, no ink escape sequences.
    expect(p.out()).toMatch(/^\[\s*\d+s\] done {2}chargers \d+\/3 /m);
    expect(p.out()).not.toContain('\u001b[');
    expect(p.out()).toContain('ev-sim tiny: PASSED (exit 0');
    expect(p.out()).toMatch(/✓ ocpp\.BootNotification\.count == 3/);
    expect(p.out()).toContain(join(reports, 'report.html'));

    const result = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as RunResult;
    expect(result.scenario.name).toBe('tiny');
    expect(result.exitCode).toBe(0);
    expect(result.final.latency['ocpp.BootNotification'].count).toBe(3);
    const junit = readFileSync(join(reports, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(junit)).toBe(true);
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    const html = readFileSync(join(reports, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('ocpp.BootNotification');
  }, 60_000);

  it('exits 1 when a threshold fails, and --json prints only the RunResult on stdout', async () => {
    const failing = TINY.replace('ocpp.BootNotification.count == 3', 'ocpp.BootNotification.count > 1000');
    const p = evSim(['run', scenario(failing), '--json', '--duration', '1s', '--report-dir', join(dir, 'r')]);
    expect(await p.exited, p.err()).toBe(1);
    const result = JSON.parse(p.out()) as RunResult;
    expect(result.exitCode).toBe(1);
    expect(result.thresholds.find((t) => t.expression.startsWith('ocpp.BootNotification'))?.ok).toBe(false);
    expect(p.err()).toContain('reports:');
    const junit = readFileSync(join(dir, 'r', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="[^"]*1000[^"]*"/);
  }, 60_000);

  it('stops early on Ctrl-C, still writes the reports and exits 0 when the thresholds held', async () => {
    // Only a threshold that has its data from the start: the interrupt may come before every charger booted.
    const long = TINY.replace('duration: 3s', 'duration: 5m').replace('  - ocpp.BootNotification.count == 3\n', '');
    const reports = join(dir, 'reports');
    const p = evSim(['run', scenario(long), '--report-dir', reports]);
    // Interrupt once the load is on.
    while (!/setup: 2 customers/.test(p.err()) && p.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    p.child.kill('SIGINT');
    expect(await p.exited, p.err()).toBe(0);
    expect(p.err()).toContain('stopped early by Ctrl-C');
    const result = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as RunResult;
    expect(result.reason).toMatch(/^interrupted/);
    expect(result.durationS).toBeLessThan(5 * 60);
  }, 60_000);

  it('refuses restart-csms signal KILL on the in-process CSMS before running: exit 2, naming the field', async () => {
    const p = evSim(['run', scenario(`${TINY}chaos:\n  - { at: 1s, action: restart-csms, signal: KILL }\n`), '--report-dir', join(dir, 'r')]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toMatch(/chaos\[0\]\.signal: signal KILL needs the CSMS in a child process: set target\.csms\.process: child/);
    expect(p.out()).not.toContain('PASSED');
  });

  it('--csms-mode overrides the scenario\'s mode; a chaos action for the other mode is skipped; bad values exit 2', async () => {
    const rabbit = TINY.replace('duration: 3s', 'duration: 3s\ntarget: { kind: embedded, csms: { rabbitmq: true, broker: private } }')
      + 'chaos:\n  - { at: 1s, action: rabbitmq-outage, duration: 5s, onlyMode: rabbitmq }\n';
    const file = scenario(rabbit);
    const bad = evSim(['run', file, '--csms-mode', 'kafka']);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain('--csms-mode: "kafka" is not embedded or rabbitmq');
    const remote = evSim(['run', file, '--csms-mode', 'rabbitmq', '--target', 'http://127.0.0.1:9', '--admin-email', 'a@b.c', '--admin-password', 'x']);
    expect(await remote.exited).toBe(2);
    expect(remote.err()).toContain('--csms-mode applies to an embedded target');

    const reports = join(dir, 'reports');
    const p = evSim(['run', file, '--csms-mode', 'embedded', '--report-dir', reports]);
    expect(await p.exited, p.err()).toBe(0);
    // No private broker was started: the CSMS ran with its in-process broker, so the outage had nothing to stop.
    expect(p.err()).not.toContain('private RabbitMQ');
    expect(p.err()).toContain('chaos: rabbitmq-outage at 1000 ms skipped (onlyMode rabbitmq; the CSMS runs in embedded mode)');
    const result = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as RunResult;
    expect(result.final.target.realtime).toBe('polling');
    expect(result.final.reconciliation).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 0 });
  }, 60_000);
});
