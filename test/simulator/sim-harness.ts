/**
 * One or two simulated chargers (the real SimCharger) against a real embedded CSMS on ephemeral
 * ports and a temporary SQLite file, which a test can stop and start again on the same ports and
 * database. It records every CALL the chargers put on the wire, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { testConfig, type CsmsConfig, type CsmsConfigInput } from '../../src/csms/config.ts';
import { createCsms, type Csms } from '../../src/csms/server.ts';
import { createSqliteStore, type SqliteStore } from '../../src/csms/store/index.ts';
import { MessageType } from '../../src/ocpp/index.ts';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import type { Actor, SimContext } from '../../src/simulator/context.ts';
import { createExpectations } from '../../src/simulator/expectations.ts';
import { createLedger } from '../../src/simulator/ledger.ts';
import { createMetrics } from '../../src/simulator/metrics.ts';
import { createRandom } from '../../src/simulator/random.ts';
import { createRestClient } from '../../src/simulator/rest.ts';
import type { ChargerTemplate } from '../../src/simulator/scenario/schema.ts';
import { createScheduler } from '../../src/simulator/scheduler.ts';
import { createSitePower } from '../../src/simulator/site-power.ts';
import { aChargePoint, aCustomer, waitFor } from '../helpers/csms.ts';
import { aScenario, TEST_LOSS_DEADLINE_MS } from './helpers.ts';

export interface SentCall {
  action: string;
  payload: any;
}

export interface SimHarness {
  csms: Csms;
  ctx: SimContext;
  /** Every CALL the charger sent, in order (one charger per harness, so the order is its own). */
  sent: SentCall[];
  /** The test's own connection to the CSMS's database file; usable while the CSMS is stopped too. */
  store(): SqliteStore;
  /**
   * The harness's charger, of the template given as YAML lines under `chargers:` (idPattern and
   * count are added), registered at the CSMS; resolves once its BootNotification was accepted.
   */
  charger(template?: string): Promise<SimCharger>;
  /** An idTag the CSMS accepts (a customer with credit). */
  idTag(): Promise<string>;
  /** Starts a transaction at connector `i` as after a RemoteStart; resolves with its transactionId. */
  startTransaction(charger: SimCharger, i?: number): Promise<number>;
  /** Admin REST command (`POST /api/charger/<path>`); returns the charger's answer. */
  command(path: string, body: Record<string, unknown>): Promise<any>;
  /** Admin REST GET of `path` (e.g. `/api/cms/points/X`); returns the JSON body, throws unless 200. */
  get(path: string): Promise<any>;
  /** Admin REST `method` of `path` with a JSON `body`; returns the JSON answer, throws unless 2xx. */
  send(method: string, path: string, body: unknown): Promise<any>;
  /** The CALLs sent since `mark` (an index into `sent`). */
  since(mark: number): SentCall[];
  stopCsms(): Promise<void>;
  startCsms(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** A run's context for chargers that talk to `ocppUrl` (a list: the failover order), seeded, with no customers or admins. */
export function aSimContext(ocppUrl: string | string[], httpUrl = 'http://127.0.0.1:0'): SimContext {
  const metrics = createMetrics();
  return {
    metrics, expectations: createExpectations(metrics, TEST_LOSS_DEADLINE_MS), ledger: createLedger(),
    scheduler: createScheduler<Actor>((e) => e.target.onTimer(e.kind, e.at, e.gen)),
    rest: createRestClient(httpUrl, metrics), random: createRandom(1),
    ocppUrls: typeof ocppUrl === 'string' ? [ocppUrl] : ocppUrl, httpUrl, realtime: 'polling', cmsUrl: null,
    pollIntervalsMs: { activeSession: 1000, detail: 3000, list: 10_000 },
    admins: [], ownersByIdTag: new Map(), sites: createSitePower(), stopping: false, chaosUntil: 0, log: () => {},
  };
}

/** A charger template from YAML lines as they would stand under `chargers:` (idPattern and count added). */
export function aTemplate(yaml = ''): ChargerTemplate {
  return aScenario(`name: t\nduration: 1s\nchargers:\n  - idPattern: T-{000}\n    count: 1\n${yaml.replace(/^/gm, '    ')}`).chargers[0];
}

/** `overrides`: CSMS settings on top of the test config (e.g. `{ localList: 'on' }`). */
export async function startSimHarness(overrides: CsmsConfigInput = {}): Promise<SimHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-harness-'));
  let config: CsmsConfig = testConfig({ ...overrides, dbPath: join(dir, 'csms.db') });
  let csms: Csms | null = createCsms(config);
  const info = await csms.start();
  // A restart comes back on the same ports, so the chargers find it again.
  config = Object.freeze({ ...config, port: info.httpPort, ocppPort: info.ocppPort });
  const db = createSqliteStore(config.dbPath);
  const ctx = aSimContext(info.ocppUrl, info.httpUrl);
  const sent: SentCall[] = [];
  const shared = createFleetShared(ctx);
  const count = shared.onMessage;
  shared.onMessage = (m) => {
    count(m);
    if (m.direction === 'out' && m.messageType === MessageType.CALL) sent.push({ action: m.action!, payload: m.payload });
  };
  const chargers: SimCharger[] = [];
  let token: string | null = null;

  const store = () => db;
  const adminToken = async (): Promise<string> => {
    const login = await fetch(`${info.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: config.adminEmail, password: config.adminPassword }) });
    return ((await login.json()) as { token: string }).token;
  };

  const harness: SimHarness = {
    get csms() {
      if (!csms) throw new Error('the CSMS is stopped');
      return csms;
    },
    ctx,
    sent,
    store,
    async charger(template = '') {
      const tpl = aTemplate(template);
      const id = `H${++seq}-001`;
      await aChargePoint(store(), { id, connectors: tpl.connectors });
      const charger = new SimCharger(chargers.length, id, tpl, null, ctx, shared);
      chargers.push(charger);
      charger.scheduleConnect(performance.now());
      await waitFor(() => charger.link());
      return charger;
    },
    async idTag() {
      return (await aCustomer(store(), { balance: 100_000 })).idTag!;
    },
    async startTransaction(charger, i = 0) {
      const tx = charger.claim(i, await harness.idTag());
      void charger.runStart(i, tx, 'app', performance.now());
      return waitFor(() => tx.transactionId);
    },
    async command(path, body) {
      token ??= await adminToken();
      const res = await fetch(`${info.httpUrl}/api/charger/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`POST /api/charger/${path}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { response: unknown }).response;
    },
    async get(path) {
      token ??= await adminToken();
      const res = await fetch(`${info.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async send(method, path, body) {
      token ??= await adminToken();
      const res = await fetch(`${info.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    since(mark) {
      return sent.slice(mark);
    },
    async stopCsms() {
      await csms?.close();
      csms = null;
    },
    async startCsms() {
      const next = createCsms(config);
      await next.start();
      csms = next;
    },
    async close() {
      for (const c of chargers) c.shutdown();
      ctx.scheduler.clear();
      await csms?.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
