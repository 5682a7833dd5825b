import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/simulator/report/index.ts';
import { evSim } from './ev-sim-helpers.ts';

describe('ev-sim bench rest', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('--embedded --duration 2 measures each endpoint with and without If-None-Match and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ev-bench-'));
    dirs.push(dir);
    const p = evSim(['bench', 'rest', '--embedded', '--duration', '2', '--connections', '10', '--report-dir', dir]);
    expect(await p.exited, p.err()).toBe(0);
    expect(p.out()).toMatch(/GET \/api\/user\/sessions\/active\s+full\s+\d+/);
    expect(p.out()).toContain('What the ETags save');
    const result = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as BenchResult;
    expect(result.rows.map((r) => `${r.endpoint} ${r.conditional}`)).toEqual([
      'GET /api/user/sessions/active false',
      'GET /api/user/sessions/active true',
      'GET /api/user/stations false',
      'GET /api/user/stations true',
      'GET /api/cms/dashboard false',
      'GET /api/cms/dashboard true',
    ]);
    for (const row of result.rows) {
      expect(row.requests).toBeGreaterThan(0);
      expect(row.p99).toBeGreaterThanOrEqual(row.p50);
      // Nothing writes during the run: full reads are all 200, conditional ones all 304.
      expect(row.status[row.conditional ? '304' : '200']).toBe(row.requests);
    }
    expect(readFileSync(join(dir, 'bench.txt'), 'utf8')).toContain('req/s');
  }, 60_000);

  it('refuses a target that is not on this machine', async () => {
    const p = evSim(['bench', 'rest', '--target', 'http://example.com:3000', '--email', 'a@b.c', '--password', 'x', '--admin-email', 'a@b.c', '--admin-password', 'x']);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain('only targets localhost or 127.0.0.1');
  });

  it('needs either --target or --embedded, and credentials with --target', async () => {
    const neither = evSim(['bench', 'rest']);
    expect(await neither.exited).toBe(2);
    expect(neither.err()).toContain('either --target');
    const noLogin = evSim(['bench', 'rest', '--target', 'http://127.0.0.1:1']);
    expect(await noLogin.exited).toBe(2);
    expect(noLogin.err()).toContain('--email/--password');
  });
});
