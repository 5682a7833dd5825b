import { describe, expect, it } from 'vitest';
import { etagSavings, renderBenchSummary, type BenchResult, type BenchRow } from '../../../src/simulator/report/index.ts';

function aRow(overrides: Partial<BenchRow> = {}): BenchRow {
  return { endpoint: 'GET /api/user/stations', caller: 'customer', conditional: false, requests: 3000, requestsPerS: 1500, p50: 11, p99: 32, status: { '200': 3000 }, errors: 0, bytesPerS: 3_000_000, ...overrides };
}

function aBench(rows: BenchRow[]): BenchResult {
  return { target: 'http://127.0.0.1:3000', embedded: false, connections: 50, runS: 2, startedAt: '2025-05-01T10:00:00.000Z', rows };
}

describe('renderBenchSummary', () => {
  it('prints req/s, p50, p99 and 200/304 counts per endpoint and mode, then the ETag savings', () => {
    const rows = [aRow(), aRow({ conditional: true, requestsPerS: 6000, requests: 12000, p50: 2, p99: 10, status: { '304': 11990, '200': 10 }, errors: 2, bytesPerS: 1_200_000 })];
    const text = renderBenchSummary(aBench(rows));
    expect(text).toMatch(/GET \/api\/user\/stations\s+full\s+1500\s+11ms\s+32ms\s+3000\s+0\s+0\s+2930/);
    expect(text).toMatch(/GET \/api\/user\/stations\s+If-None-Match\s+6000\s+2\.0ms\s+10ms\s+10\s+11990\s+2\s+1172/);
    // bytes per request: 2000 full vs 200 conditional
    expect(text).toContain('4.0× req/s, p99 32ms → 10ms, 90% fewer bytes per request');
  });

  it('reports no savings for an endpoint measured in one mode only', () => {
    expect(etagSavings([aRow()])).toEqual([]);
    expect(renderBenchSummary(aBench([aRow()]))).not.toContain('What the ETags save');
  });
});
