/**
 * A station's grid limit at setup: the scenario's gridLimitW and minPerSessionW go to the CSMS with
 * the station, and only when set (a CSMS without load management refuses fields it does not know).
 * The CSMS here is a bare HTTP server on a real socket that records what it is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/simulator/metrics.ts';
import { parseScenario } from '../../src/simulator/scenario/loader.ts';
import { createRestClient } from '../../src/simulator/rest.ts';
import { provisionChargers } from '../../src/simulator/setup.ts';
import { aScenario } from './helpers.ts';

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

interface Seen {
  method: string;
  url: string;
  body: any;
}

/** A CMS API that knows the stations in `existing` (name → id) and creates everything else. */
async function aCmsApi(existing: Record<string, number> = {}): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let nextId = 50;
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const body = text ? JSON.parse(text) : null;
      seen.push({ method: req.method!, url: req.url!, body });
      const send = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
      if (req.method === 'GET' && req.url!.startsWith('/api/cms/stations')) return send(200, { items: Object.entries(existing).map(([name, id]) => ({ name, id })) });
      if (req.method === 'GET') return send(200, { items: [] });
      if (req.method === 'PUT' && req.url!.startsWith('/api/cms/stations/')) return send(200, { id: Number(req.url!.split('/').pop()), ...body });
      return send(201, { id: ++nextId, ...body });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const scenario = (stations: string) => aScenario(`name: grid
duration: 1s
setup:
  stations:
${stations}
chargers:
  - idPattern: G-{0}
    count: 1
`);

describe('stations with a grid limit', () => {
  it('sends gridLimitW and minPerSessionW with the station that sets them, and nothing new with the one that does not', async () => {
    const api = await aCmsApi();
    const s = scenario('    - { name: Depot, gridLimitW: 22000, minPerSessionW: 4000 }\n    - { name: Office, address: Main St 1 }');
    await provisionChargers(createRestClient(api.url, createMetrics()), 'token', s);
    const posted = api.seen.filter((r) => r.method === 'POST' && r.url === '/api/cms/stations').map((r) => r.body);
    expect(posted).toEqual([{ name: 'Depot', gridLimitW: 22_000, minPerSessionW: 4000 }, { name: 'Office', address: 'Main St 1' }]);
  });

  it('gives a station that already exists the scenario\'s limit with a PUT', async () => {
    const api = await aCmsApi({ Depot: 7, Office: 8 });
    await provisionChargers(createRestClient(api.url, createMetrics()), 'token', scenario('    - { name: Depot, gridLimitW: 11000 }\n    - { name: Office }'));
    expect(api.seen.filter((r) => r.url.startsWith('/api/cms/stations') && r.method !== 'GET')).toEqual([
      { method: 'PUT', url: '/api/cms/stations/7', body: { gridLimitW: 11_000 } },
    ]);
  });

  it('switches the embedded CSMS\'s load management with target.csms.loadManagement (default on)', () => {
    const target = (yaml: string) => {
      const r = parseScenario(`name: g\nduration: 1s\n${yaml}chargers:\n  - idPattern: G-{0}\n    count: 1\n`);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.scenario.target;
    };
    expect(target('')).toMatchObject({ kind: 'embedded', csms: { loadManagement: 'on' } });
    expect(target('target: { kind: embedded, csms: { loadManagement: off } }\n')).toMatchObject({ csms: { loadManagement: 'off' } });
    expect(() => target('target: { kind: embedded, csms: { loadManagement: maybe } }\n')).toThrow(/loadManagement/);
  });

  it('refuses minPerSessionW without a gridLimitW, or above it', () => {
    const errors = (stations: string) => {
      const r = parseScenario(`name: g\nduration: 1s\nsetup:\n  stations:\n${stations}\nchargers:\n  - idPattern: G-{0}\n    count: 1\n`);
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    };
    expect(errors('    - { name: A, minPerSessionW: 4000 }')).toEqual(['setup.stations[0].minPerSessionW: minPerSessionW divides a gridLimitW: set gridLimitW too']);
    expect(errors('    - { name: A, gridLimitW: 3000, minPerSessionW: 4000 }')).toEqual(['setup.stations[0].minPerSessionW: minPerSessionW (4000) is above gridLimitW (3000)']);
    expect(errors('    - { name: A, gridLimitW: 3000, minPerSessionW: 3000 }')).toEqual([]);
  });
});
