import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evSim } from './ev-sim-helpers.ts';

const VALID = `name: tiny
duration: 2s
chargers:
  - count: 2
    idPattern: SIM-{000}
thresholds:
  - ocpp.BootNotification.p99 < 500ms
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ev-sim-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('ev-sim validate', () => {
  it('says valid and exits 0 for a good scenario', async () => {
    const p = evSim(['validate', file('ok.yaml', VALID)]);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/^valid: .*ok\.yaml \(tiny: 2 chargers, 0 customers, 1 thresholds\)/);
  });

  it('exits 2 and names the line and field of each error', async () => {
    const bad = file('bad.yaml', 'name: tiny\nduration: 2s\nchargers:\n  - count: 0\n    idPattern: SIM-{000}\n    colour: red\n');
    const p = evSim(['validate', bad]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain(`${bad}:4:`);
    expect(p.err()).toContain('chargers[0].count');
    expect(p.err()).toMatch(new RegExp(`${bad.replace(/[.]/g, '\\.')}:6:\\d+\\s+chargers\\[0\\]\\.colour: unknown field "colour"`));
    expect(p.err()).toContain('invalid:');
  });

  it('exits 2 for a file that does not exist', async () => {
    const p = evSim(['validate', join(dir, 'nope.yaml')]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain('cannot read');
  });
});

describe('ev-sim run (before the engine starts)', () => {
  it('exits 2 with line and field when the scenario is invalid', async () => {
    const bad = file('bad.yaml', 'name: tiny\nduration: soon\nchargers: []\n');
    const p = evSim(['run', bad, '--report-dir', join(dir, 'r')]);
    expect(await p.exited).toBe(2);
    expect(p.err()).toMatch(/bad\.yaml:2:\d+\s+duration:/);
    expect(p.err()).toMatch(/bad\.yaml:3:\d+\s+chargers:/);
  });

  it('refuses a bad --duration or --target with exit 2', async () => {
    const ok = file('ok.yaml', VALID);
    const d = evSim(['run', ok, '--duration', 'soon']);
    expect(await d.exited).toBe(2);
    expect(d.err()).toContain('--duration');
    const t = evSim(['run', ok, '--target', 'http://127.0.0.1:3000']);
    expect(await t.exited).toBe(2);
    expect(t.err()).toContain('--admin-email');
  });
});

describe('ev-sim init', () => {
  it('writes the commented example, which validates, and refuses to overwrite it without --force', async () => {
    const target = join(dir, 'sub', 'scenario.yaml');
    const first = evSim(['init', target]);
    expect(await first.exited, first.err()).toBe(0);
    const text = readFileSync(target, 'utf8');
    expect(text).toMatch(/^#/m);
    const check = evSim(['validate', target]);
    expect(await check.exited, check.err()).toBe(0);

    writeFileSync(target, 'mine\n');
    const again = evSim(['init', target]);
    expect(await again.exited).toBe(2);
    expect(again.err()).toContain('--force');
    expect(readFileSync(target, 'utf8')).toBe('mine\n');

    const forced = evSim(['init', target, '--force']);
    expect(await forced.exited).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe(text);
  });

  it('writes scenario.yaml in the current directory by default', async () => {
    const p = evSim(['init'], { cwd: dir });
    expect(await p.exited, p.err()).toBe(0);
    expect(readFileSync(join(dir, 'scenario.yaml'), 'utf8').length).toBeGreaterThan(100);
  });
});

describe('ev-sim usage', () => {
  it('lists the commands and exit codes in --help, and exits 2 on an unknown command', async () => {
    const help = evSim(['--help']);
    expect(await help.exited).toBe(0);
    for (const cmd of ['run', 'validate', 'init', 'bench']) expect(help.out()).toContain(cmd);
    expect(help.out()).toContain('Exit codes');
    const bad = evSim(['frobnicate']);
    expect(await bad.exited).toBe(2);
  });
});
