import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OFFSET } from '../../../src/csms/api/schemas.ts';
import { aChargePoint } from '../builders.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
let customerToken: string;
let customerId: number;
/** Every GET route of the OpenAPI document with a `limit` or `offset` query parameter, and which of the two. */
let paging: { path: string; params: string[] }[];

beforeAll(async () => {
  h = await startApi();
  await h.store.chargePoints.create(aChargePoint({ id: 'CP-PAGE' }));
  ({ token: customerToken, user: { id: customerId } } = await h.customer());
  const doc = (await (await h.call('/docs/json')).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
  };
  paging = Object.entries(doc.paths).flatMap(([path, ops]) => {
    const params = (ops.get?.parameters ?? []).filter((p) => p.in === 'query' && (p.name === 'limit' || p.name === 'offset')).map((p) => p.name);
    return params.length > 0 ? [{ path: path.replace('{chargePointId}', 'CP-PAGE').replace('{id}', String(customerId)), params }] : [];
  });
});
afterAll(async () => {
  await h.close();
});

const tokenFor = (path: string) => (path.startsWith('/api/user/') ? customerToken : h.adminToken);

const OUT_OF_RANGE: [string, string][] = [
  ['offset', '99999999999999999999'],
  ['offset', String(MAX_OFFSET + 1)],
  ['offset', '-1'],
  ['offset', 'abc'],
  ['limit', '0'],
  ['limit', '1e9'],
  ['limit', 'abc'],
];

describe('paging parameters of every list route', () => {
  it('finds the admin, customer and charger-command list routes', () => {
    const withOffset = paging.filter((r) => r.params.includes('offset')).map((r) => r.path);
    expect(withOffset).toEqual(expect.arrayContaining([
      '/api/cms/stations', '/api/cms/points', '/api/cms/tariffs', '/api/cms/sessions', '/api/cms/customers',
      '/api/charger/CP-PAGE/commands', '/api/user/sessions', '/api/user/wallet/transactions',
      `/api/cms/customers/${customerId}/wallet/transactions`,
    ]));
    expect(paging.map((r) => r.path)).toContain('/api/cms/points/CP-PAGE/messages');
  });

  it('answers 400 CSMS_ERR_VALIDATION naming the parameter for a value out of range, never a 500', async () => {
    const seen: string[] = [];
    for (const { path, params } of paging) {
      for (const [param, value] of OUT_OF_RANGE.filter(([p]) => params.includes(p))) {
        const res = await h.call(`${path}?${param}=${value}`, { token: tokenFor(path) });
        seen.push(`${res.status} ${path}?${param}=${value}`);
        if (res.status !== 400) continue;
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const error = await errorOf(res);
        expect(error).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: `querystring.${param}` } });
      }
    }
    expect(seen.filter((s) => !s.startsWith('400 '))).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(8 * 7);
  });

  it('still takes the largest offset and limit in range', async () => {
    for (const { path, params } of paging) {
      const query = params.map((p) => (p === 'offset' ? `offset=${MAX_OFFSET}` : 'limit=1')).join('&');
      const res = await h.call(`${path}?${query}`, { token: tokenFor(path) });
      expect(`${res.status} ${path}`).toBe(`200 ${path}`);
    }
  });
});
