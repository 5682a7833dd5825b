import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV_NAMES, kebab } from '../../src/csms/config.ts';
import { createTestSchema, POSTGRES_URL, postgresMissing } from '../helpers/postgres.ts';

const noPostgres = await postgresMissing();

const BIN = new URL('../../bin/ev-csms.js', import.meta.url).pathname;

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('ev-csms CLI', () => {
  const dirs: string[] = [];
  /** Servers a test expects to exit by themselves: killed here if one did not (a test timeout skips its own finally). */
  const children: ReturnType<typeof run>['child'][] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('serve --help lists a flag for every configuration key', async () => {
    const p = run(['serve', '--help']);
    expect(await p.exited).toBe(0);
    for (const [key, env] of Object.entries(ENV_NAMES)) {
      expect(p.out()).toContain(`--${kebab(key)}`);
      expect(p.out()).toContain(env);
    }
  });

  it('a bad value stops with exit 2 and names the flag or variable', async () => {
    const flag = run(['serve', '--port', 'abc']);
    expect(await flag.exited).toBe(2);
    expect(flag.err()).toMatch(/--port/);
    const env = run(['serve'], { OCPP_PORT: '70000' });
    expect(await env.exited).toBe(2);
    expect(env.err()).toMatch(/OCPP_PORT/);
  });

  it('serves on ports chosen by the OS, prints them, answers /health and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ev-cli-'));
    dirs.push(dir);
    const p = run(['serve', '--port', '0', '--ocpp-port', '0', '--host', '127.0.0.1', '--db', join(dir, 'csms.db'), '--demo', '--ready-file', join(dir, 'ready.json')]);
    const deadline = Date.now() + 45_000;
    while (!/REST API\s+(\S+)\/api/.test(p.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const http = /REST API\s+(\S+)\/api/.exec(p.out())?.[1];
    expect(http, p.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(p.out()).toMatch(/OCPP 1\.6J\s+ws:\/\/127\.0\.0\.1:\d+\/ocpp/);
    expect(p.out()).toMatch(/password: \S+/);
    // --ready-file: the same addresses, machine-readable, with the server's own PID.
    const ready = JSON.parse(readFileSync(join(dir, 'ready.json'), 'utf8'));
    expect(ready).toMatchObject({ pid: p.child.pid, mode: 'embedded', httpUrl: http, ocppUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/ocpp$/) });
    expect(ready.httpUrl).toBe(`http://127.0.0.1:${ready.httpPort}`);
    const health = await fetch(`${http}/health`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain('stopped.');
    expect(existsSync(join(dir, 'csms.db'))).toBe(true);
  });

  it.skipIf(noPostgres)('serve --db postgres://… runs on PostgreSQL: the banner and /ready name it, without the password', async () => {
    const schema = await createTestSchema('test_cli');
    const url = POSTGRES_URL.replace('postgres@', 'postgres:not-shown@');
    const p = run(['serve', '--port', '0', '--ocpp-port', '0', '--host', '127.0.0.1', '--db', url, '--database-schema', schema.name]);
    children.push(p.child);
    try {
      const deadline = Date.now() + 45_000;
      while (!/REST API\s+(\S+)\/api/.test(p.out()) && p.child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const http = /REST API\s+(\S+)\/api/.exec(p.out())?.[1];
      expect(http, p.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(p.out()).toContain(`store         postgres 127.0.0.1:5432/test schema ${schema.name}`);
      const ready = await fetch(`${http}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: true, store: { kind: 'postgres', location: `postgres 127.0.0.1:5432/test schema ${schema.name}` } });
      expect(p.out() + p.err()).not.toContain('not-shown');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      await schema.drop();
    }
  });

  it('exits 1 with one line naming the database when PostgreSQL does not answer, never its password', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const p = run(['serve', '--port', '0', '--ocpp-port', '0', '--host', '127.0.0.1'], { DATABASE_URL: 'postgres://csms:hunter22@127.0.0.1:1/csms' });
    children.push(p.child);
    expect(await p.exited, p.err()).toBe(1);
    expect(p.err()).toMatch(/^ev-csms: CSMS_ERR_DATABASE_UNAVAILABLE: The database is not reachable: postgres 127\.0\.0\.1:1\/csms: .*ECONNREFUSED/m);
    expect(p.err()).not.toContain('hunter22');
    expect(p.out()).not.toContain('ev-csms is running');
  });

  it('exits 1 on its own with a line naming the busy HTTP port, after opening the OCPP port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ev-cli-'));
    dirs.push(dir);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as { port: number }).port;
    // The OCPP port (any free one) opens first, then the HTTP port fails.
    const p = run(['serve', '--port', String(busy), '--ocpp-port', '0', '--host', '127.0.0.1', '--db', join(dir, 'csms.db')]);
    children.push(p.child);
    try {
      // It exits on its own (before, the open OCPP port kept it running): nothing the failed start opened is left.
      expect(await p.exited, p.err()).toBe(1);
      expect(p.err()).toContain(`ev-csms: CSMS_ERR_PORT_UNAVAILABLE: A port the CSMS must listen on cannot be opened: the HTTP port ${busy} on 127.0.0.1 is already in use`);
      expect(p.out()).not.toContain('ev-csms is running');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
