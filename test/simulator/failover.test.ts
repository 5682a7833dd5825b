/**
 * A charger with a list of OCPP URLs fails over: two embedded CSMS nodes share one SQLite file; the
 * charger (the simulator's own SimCharger) runs a transaction on node A, A goes away, the charger
 * reconnects to B and the transaction goes on there: what was queued offline and what comes after
 * is stored through B, and its StopTransaction completes the session. Provisioning and checks go
 * through the REST API (the simulator's own setup functions), not the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import { renderSummary } from '../../src/simulator/report/index.ts';
import { runScenario } from '../../src/simulator/runner.ts';
import type { SimContext } from '../../src/simulator/context.ts';
import { adminLogin, provisionChargers, provisionCustomers } from '../../src/simulator/setup.ts';
import { startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { aScenario } from './helpers.ts';
import { aSimContext } from './sim-harness.ts';

const ADMIN = { email: 'admin@ev-csms.local', password: 'admin-password' };

/** Polls an async condition (REST reads) until it holds. */
async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('eventually timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A ws URL on which nothing listens (a port that was free a moment ago). */
async function deadOcppUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return `ws://127.0.0.1:${port}/ocpp`;
}

describe('a charger with several OCPP URLs', () => {
  let dir: string;
  let a: TestCsms | null;
  let b: TestCsms;
  let ctx: SimContext | null;
  let chargers: SimCharger[];
  let logs: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'failover-'));
    const dbPath = join(dir, 'shared.db');
    a = await startCsms({ dbPath });
    b = await startCsms({ dbPath });
    ctx = null;
    chargers = [];
    logs = [];
  });

  afterEach(async () => {
    for (const ch of chargers) ch.shutdown();
    ctx?.scheduler.clear();
    await a?.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One charger registered over node B's REST API, on `urls`, with a 1 s reconnect backoff; and an idTag with credit. */
  async function setUp(urls: string[]): Promise<{ ch: SimCharger; idTag: string; token: string }> {
    ctx = aSimContext(urls, b.info.httpUrl);
    ctx.log = (line) => logs.push(line);
    const scenario = aScenario(`name: failover
duration: 10s
chargers:
  - idPattern: FO-{000}
    count: 1
    connectors: 1
    heartbeatInterval: 1h
    meterValues: { interval: 1h }
    faults: { reconnect: { initial: 1s, max: 2s, jitter: 0 } }
`);
    const token = await adminLogin(ctx.rest, ADMIN);
    const [p] = await provisionChargers(ctx.rest, token, scenario);
    const [customer] = await provisionCustomers(ctx.rest, token, 1, 'cms', 10_000, 'customer', 'admin');
    const ch = new SimCharger(0, p.id, p.tpl, p.password, ctx, createFleetShared(ctx));
    ch.scriptedMeter = true;
    chargers.push(ch);
    ch.scheduleConnect(performance.now());
    return { ch, idTag: customer.idTag, token };
  }

  async function session(token: string, id: number): Promise<any> {
    const res = await ctx!.rest.request('GET', '/api/cms/sessions/:id', `/api/cms/sessions/${id}`, { token });
    expect(res.status).toBe(200);
    return res.data;
  }

  async function meterValues(token: string, id: number): Promise<{ at: string; energyWh: number | null }[]> {
    const res = await ctx!.rest.request('GET', '/api/cms/sessions/:id/meter-values', `/api/cms/sessions/${id}/meter-values`, { token });
    expect(res.status).toBe(200);
    return res.data.items;
  }

  it('reconnects to the next URL when its node goes, and the transaction goes on there to its stop', async () => {
    const urlA = a!.info.ocppUrl;
    const urlB = b.info.ocppUrl;
    expect(urlA).not.toBe(urlB);
    const { ch, idTag, token } = await setUp([urlA, urlB]);
    await waitFor(() => ch.link());
    // A list is a failover order: the first connection goes to the first URL.
    expect(ch.onlineUrl).toBe(0);
    expect(ch.failovers).toBe(0);

    const tx = ch.claim(0, idTag);
    void ch.runStart(0, tx, 'app', performance.now());
    const txId = await waitFor(() => tx.transactionId);
    // The register as it was at the start: the session's energy is counted from it.
    const base = tx.meterStart;
    expect(ch.meterReading(0, base + 1_000, 7_000)).toBe(true);
    await eventually(async () => (await meterValues(token, txId)).some((m) => m.energyWh === 1_000));

    // Node A goes away (its sockets with it); B, on the same database, stays.
    await a!.close();
    a = null;
    await waitFor(() => ch.state !== 'online');
    // Offline: the reading waits in the charger's queue until it is connected again.
    expect(ch.link()).toBeNull();
    expect(ch.meterReading(0, base + 2_000, 7_000)).toBe(true);
    expect(ch.outbox.queue.filter((m) => m.action === 'MeterValues' && !m.done)).toHaveLength(1);

    await waitFor(() => ch.link());
    expect(ch.ctx.ocppUrls[ch.onlineUrl]).toBe(urlB);
    expect(ch.failovers).toBe(1);
    expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^failover: ${ch.id} connected to ${urlB} \\(was ${urlA}; failover 1\\)$`)));
    // Only B is there to store what came after A went: the queued reading, then a new one.
    await eventually(async () => (await meterValues(token, txId)).some((m) => m.energyWh === 2_000));
    expect(ch.meterReading(0, base + 3_000, 7_000)).toBe(true);
    await eventually(async () => (await meterValues(token, txId)).some((m) => m.energyWh === 3_000));

    ch.stop(0, 'Local');
    const stopped = await eventually(async () => {
      const s = await session(token, txId);
      return s.status !== 'active' ? s : null;
    });
    expect(stopped).toMatchObject({ status: 'completed', meterStop: base + 3_000, energyWh: 3_000 });
    // A node that dies is a real failure for the run: the one lost connection, and nothing else.
    expect(ch.ctx.metrics.errors()).toMatchObject({ unexpected: 1, top: [{ key: 'ocpp.connection lost', count: 1 }] });
  });

  it('connects to the second URL when the first is down at the start, and counts that as a failover', async () => {
    const dead = await deadOcppUrl();
    const { ch } = await setUp([dead, b.info.ocppUrl]);
    await waitFor(() => ch.link());
    expect(ch.ctx.ocppUrls[ch.onlineUrl]).toBe(b.info.ocppUrl);
    expect(ch.failovers).toBe(1);
    expect(logs).toContainEqual(`failover: ${ch.id} connected to ${b.info.ocppUrl} (was ${dead}; failover 1)`);
    expect(ch.ctx.metrics.errors().top).toContainEqual(expect.objectContaining({ key: expect.stringMatching(/^ocpp\.connect: /) }));
  });

  it('goes round the list: from the last URL back to the first', async () => {
    const dead = await deadOcppUrl();
    const { ch } = await setUp([a!.info.ocppUrl, dead]);
    await waitFor(() => ch.link());
    expect(ch.onlineUrl).toBe(0);
    // Its connection drops: the next attempt goes to the dead URL, the one after back to A.
    ch.conn!.socket.terminate();
    await waitFor(() => ch.state !== 'online');
    expect(ch.urlIndex).toBe(1);
    await waitFor(() => ch.link(), 15_000);
    expect(ch.onlineUrl).toBe(0);
    // Back where it was last online: no failover.
    expect(ch.failovers).toBe(0);
  });

  it('with one URL reconnects to it as before, without failovers', async () => {
    const { ch } = await setUp([b.info.ocppUrl]);
    await waitFor(() => ch.link());
    ch.conn!.socket.terminate();
    await waitFor(() => ch.state !== 'online');
    expect(ch.urlIndex).toBe(0);
    await waitFor(() => ch.link(), 15_000);
    expect(ch.failovers).toBe(0);
    expect(logs.filter((l) => l.startsWith('failover:'))).toEqual([]);
  });
});

describe('an ev-sim run against two nodes with ocppUrl [A, B]', () => {
  it('moves every charger to B when A dies mid-run; the sessions open then complete at B and the report counts the failovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-run-'));
    const dbPath = join(dir, 'shared.db');
    let a: TestCsms | null = await startCsms({ dbPath });
    const b = await startCsms({ dbPath });
    const urls = [a.info.ocppUrl, b.info.ocppUrl];
    try {
      // RFID sessions: the charger starts them itself, so no remote start has to cross nodes.
      const scenario = aScenario(`name: failover-run
seed: 3
duration: 8s
target: { kind: remote, httpUrl: '${b.info.httpUrl}', ocppUrl: ['${urls[0]}', '${urls[1]}'], admin: { email: ${ADMIN.email}, password: ${ADMIN.password} } }
chargers:
  - idPattern: FR-{00}
    count: 3
    connectors: 1
    heartbeatInterval: 2s
    meterValues: { interval: 0.5s }
    faults: { reconnect: { initial: 0.5s, max: 1s, jitter: 0 } }
customers:
  count: 3
  register: cms
  sessions: { mix: { app: 0, rfid: 1 }, interval: [0.2s, 0.4s], duration: [4s, 5s] }
thresholds:
  - failovers.total == 3
  - ocpp.acked_lost == 0
  - sessions.stuck == 0
`);
      const logs: string[] = [];
      const running = runScenario(scenario, { log: (line) => logs.push(line) });
      // A dies once a session runs at it (it has metered), with every charger online at A since the ramp-up.
      const token = ((await (await b.api('/api/auth/login', { body: ADMIN })).json()) as { token: string }).token;
      const sessionsAtB = async (): Promise<any[]> => ((await (await b.api('/api/cms/sessions?limit=200', { token })).json()) as { items: any[] }).items;
      const open = await eventually(async () => (await sessionsAtB()).find((x) => x.status === 'active' && x.energyWh > 0));
      await a.close();
      a = null;
      const closedAt = new Date().toISOString();
      const result = await running;
      expect(result.reason).toBe('all 3 thresholds held');
      expect(result.final.target.ocppUrl).toBe(`${urls[0]}, ${urls[1]}`);
      expect(result.final.failovers).toEqual({ total: 3, byCharger: { 'FR-01': 1, 'FR-02': 1, 'FR-03': 1 } });
      expect(logs.filter((l) => l.startsWith('failover: '))).toHaveLength(3);
      expect(result.final.reconciliation).toMatchObject({ ackedLost: 0, sessionsStuck: 0 });
      // The session that ran when A went completed at B: its stop, and what it metered after A, went to B.
      const done = (await sessionsAtB()).find((x) => x.id === open.id);
      expect(done).toMatchObject({ status: 'completed' });
      expect(done.stoppedAt > closedAt).toBe(true);
      const points = ((await (await b.api(`/api/cms/sessions/${open.id}/meter-values`, { token })).json()) as { items: { at: string }[] }).items;
      expect(points.some((m) => m.at > closedAt)).toBe(true);
      expect(renderSummary(result)).toMatch(/^Failovers {6}3 \(3 chargers: FR-01 1, FR-02 1, FR-03 1\)$/m);
    } finally {
      await a?.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
