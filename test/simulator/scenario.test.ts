import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleScenario } from '../../src/simulator/scenario/example.ts';
import { loadScenario, parseScenario, scenarioFile } from '../../src/simulator/scenario/loader.ts';
import { scenarioJsonSchema } from '../../src/simulator/scenario/schema.ts';

const valid = `name: t
duration: 8s
chargers:
  - idPattern: SIM-{000}
    count: 3
thresholds:
  - ocpp.StartTransaction.p99 < 200ms
`;

function errorsOf(text: string) {
  const r = parseScenario(text);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('scenario loader', () => {
  it('parses a minimal scenario with defaults, durations in ms', () => {
    const r = parseScenario(valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.duration).toBe(8000);
    expect(r.scenario.chargers[0]).toMatchObject({ connectors: 2, heartbeatInterval: 60_000, powerKw: { min: 22, max: 22 } });
    expect(r.scenario.customers.sessions.interval).toEqual({ min: 2000, max: 5000 });
    expect(r.scenario.target).toMatchObject({ kind: 'embedded', csms: { rabbitmq: false } });
  });

  it('names line and column of a YAML syntax error', () => {
    const [e] = errorsOf('name: t\nduration: [1s\nchargers: []\n');
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.message).toMatch(/^YAML:/);
  });

  it('names the line and field of an unknown field', () => {
    const errors = errorsOf(valid.replace('    count: 3', '    count: 3\n    colour: red'));
    expect(errors).toEqual([expect.objectContaining({ line: 6, column: 5, path: 'chargers[0].colour', message: 'unknown field "colour"' })]);
  });

  it('names the line and field of a wrong type', () => {
    const errors = errorsOf(valid.replace('count: 3', 'count: three'));
    expect(errors).toEqual([expect.objectContaining({ line: 5, path: 'chargers[0].count' })]);
    expect(errors[0].message).toMatch(/number/);
  });

  it('refuses a threshold on a metric the simulator does not measure, at its line', () => {
    const errors = errorsOf(valid.replace('ocpp.StartTransaction.p99', 'ocpp.StartTransactoin.p99'));
    expect(errors).toEqual([expect.objectContaining({ line: 7, column: 5, path: 'thresholds[0]' })]);
    expect(errors[0].message).toMatch(/unknown metric "ocpp.StartTransactoin.p99"/);
  });

  it('reports a missing required field at its parent', () => {
    const errors = errorsOf(valid.replace('    count: 3\n', ''));
    expect(errors).toEqual([expect.objectContaining({ line: 4, path: 'chargers[0].count', message: 'missing required field "count"' })]);
  });

  it('takes OCPP configuration keys for a charger template, and names a bad one at its line', () => {
    const r = parseScenario(valid.replace('    count: 3', '    count: 3\n    configuration: { TransactionMessageAttempts: 5, LocalAuthorizeOffline: false }'));
    expect(r.ok && r.scenario.chargers[0].configuration).toEqual({ TransactionMessageAttempts: '5', LocalAuthorizeOffline: 'false' });
    const errors = errorsOf(valid.replace('    count: 3', '    count: 3\n    configuration:\n      NoSuchKey: 1\n      NumberOfConnectors: 4\n      TransactionMessageRetryInterval: soon'));
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [7, 'chargers[0].configuration.NoSuchKey'], [8, 'chargers[0].configuration.NumberOfConnectors'], [9, 'chargers[0].configuration.TransactionMessageRetryInterval'],
    ]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/^unknown configuration key NoSuchKey; known: /), 'NumberOfConnectors is read-only', 'a number of seconds ≥ 0']);
  });

  it('reads the reboot and end-sessions chaos actions with their defaults', () => {
    const r = parseScenario(`${valid}chaos:\n  - { at: 5s, action: reboot, share: 0.2 }\n  - { at: 6s, action: end-sessions }\n`);
    expect(r.ok && r.scenario.chaos).toEqual([{ at: 5000, action: 'reboot', share: 0.2, downtime: 5000 }, { at: 6000, action: 'end-sessions', share: 1 }]);
  });

  it('refuses a chaos action it does not implement', () => {
    const errors = errorsOf(`${valid}chaos:\n  - { at: 1s, action: unplug-everything }\n`);
    expect(errors[0]).toMatchObject({ line: 9, path: 'chaos[0].action' });
  });

  it('refuses restart-csms with signal KILL on the in-process CSMS, naming the field and what to set', () => {
    const errors = errorsOf(`${valid}chaos:\n  - { at: 1s, action: restart-csms, signal: KILL }\n`);
    expect(errors).toEqual([expect.objectContaining({ line: 9, path: 'chaos[0].signal' })]);
    expect(errors[0].message).toMatch(/signal KILL needs the CSMS in a child process: set target\.csms\.process: child/);
  });

  it('accepts KILL with the child-process target; TERM is the default signal, in-process and shared broker the default target', () => {
    const r = parseScenario(`${valid}target: { kind: embedded, csms: { process: child, rabbitmq: true, broker: private } }\nchaos:\n  - { at: 1s, action: restart-csms, signal: KILL }\n  - { at: 2s, action: restart-csms }\n  - { at: 3s, action: rabbitmq-outage, duration: 5s, onlyMode: rabbitmq }\n`);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.scenario.target).toEqual({ kind: 'embedded', csms: { process: 'child', rabbitmq: true, broker: 'private', rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672', walletSelfTopup: true, loadManagement: 'on', localList: 'off' } });
    expect(r.scenario.chaos.map((c) => (c.action === 'restart-csms' ? c.signal : c.onlyMode))).toEqual(['KILL', 'TERM', 'rabbitmq']);
    const plain = parseScenario(valid);
    expect(plain.ok && plain.scenario.target).toEqual({ kind: 'embedded', csms: { process: 'in-process', rabbitmq: false, broker: 'shared', rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672', walletSelfTopup: true, loadManagement: 'on', localList: 'off' } });
  });

  it('takes a remote target\'s ocppUrl as one URL or as a list (the failover order), always a list after parsing', () => {
    const remote = (ocpp: string) => `${valid}target: { kind: remote, httpUrl: 'http://h:3000', ${ocpp}, admin: { email: a@b.c, password: x } }\n`;
    const one = parseScenario(remote(`ocppUrl: 'ws://a:9000/ocpp/'`));
    expect(one.ok && one.scenario.target).toMatchObject({ kind: 'remote', ocppUrl: ['ws://a:9000/ocpp'] });
    const two = parseScenario(remote(`ocppUrl: ['ws://a:9000/ocpp', 'wss://b:9443/ocpp']`));
    expect(two.ok && two.scenario.target).toMatchObject({ kind: 'remote', ocppUrl: ['ws://a:9000/ocpp', 'wss://b:9443/ocpp'] });
  });

  it('names a bad OCPP URL list: empty, or an entry that is not ws(s), at its line and index', () => {
    const remote = (ocpp: string) => `${valid}target: { kind: remote, httpUrl: 'http://h:3000', ${ocpp}, admin: { email: a@b.c, password: x } }\n`;
    expect(errorsOf(remote('ocppUrl: []'))).toEqual([
      expect.objectContaining({ line: 8, path: 'target.ocppUrl', message: expect.stringMatching(/^at least one OCPP URL/) }),
    ]);
    expect(errorsOf(remote(`ocppUrl: ['ws://a:9000/ocpp', 'http://b:9000/ocpp']`))).toEqual([
      expect.objectContaining({ line: 8, path: 'target.ocppUrl[1]', message: 'a ws(s) URL of the OCPP endpoint, e.g. ws://host:9000/ocpp' }),
    ]);
    expect(errorsOf(remote(`ocppUrl: 'http://a:9000/ocpp'`))).toEqual([
      expect.objectContaining({ path: 'target.ocppUrl', message: 'a ws(s) URL of the OCPP endpoint, e.g. ws://host:9000/ocpp' }),
    ]);
  });

  it('reads files and remembers where a scenario came from', async () => {
    const missing = await loadScenario('/nonexistent/scenario.yaml');
    expect(missing.ok).toBe(false);
    const r = await loadScenario({ text: valid, file: 'mem.yaml' });
    expect(r.ok && scenarioFile(r.scenario)).toBe('mem.yaml');
  });

  it('ships an example (for ev-sim init) that is itself valid', () => {
    const r = parseScenario(exampleScenario());
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('keeps scenarios/schema.json in step with the zod schema', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../scenarios/schema.json', import.meta.url), 'utf8'));
    expect(onDisk).toEqual(scenarioJsonSchema());
    expect(Object.keys(onDisk.properties)).toEqual(expect.arrayContaining(['chargers', 'customers', 'thresholds', 'chaos', 'target']));
  });
});
