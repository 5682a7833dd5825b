/**
 * The simulated charger's retries (E2 §4.8, TransactionMessageAttempts and
 * TransactionMessageRetryInterval). Our CSMS never answers a StartTransaction or StopTransaction
 * with a CALLERROR (docs/ocpp-notes.md: it must not), so the CSMS here is a scripted peer on a real socket,
 * built on our own OCPP connection, that fails the sends a test tells it to.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { OcppError } from '../../src/ocpp/index.ts';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import type { SimContext } from '../../src/simulator/context.ts';
import { MAX_QUEUED_METER_VALUES } from '../../src/simulator/tx-outbox.ts';
import { waitFor } from '../helpers/csms.ts';
import { closeAll, deferred, startServer, type TestServer } from '../ocpp/helpers.ts';
import { aSimContext, aTemplate } from './sim-harness.ts';

interface Seen {
  action: string;
  payload: any;
  at: number;
}

let charger: SimCharger | null = null;
let ctx: SimContext | null = null;
afterEach(async () => {
  charger?.shutdown();
  ctx?.scheduler.clear();
  await closeAll();
});

/** A CSMS that accepts everything except what `script` decides for Start/StopTransaction and MeterValues. */
async function scriptedCsms(script: Partial<Record<'StartTransaction' | 'StopTransaction' | 'MeterValues', (payload: any, n: number) => unknown>>) {
  const seen: Seen[] = [];
  const counts: Record<string, number> = {};
  const note = (action: string, payload: any) => {
    seen.push({ action, payload, at: performance.now() });
    return (counts[action] = (counts[action] ?? 0) + 1);
  };
  const now = () => new Date().toISOString();
  const server: TestServer = await startServer({
    handlers: {
      BootNotification: (p) => (note('BootNotification', p), { status: 'Accepted', currentTime: now(), interval: 60 }),
      StatusNotification: (p) => (note('StatusNotification', p), {}),
      Heartbeat: () => ({ currentTime: now() }),
      Authorize: () => ({ idTagInfo: { status: 'Accepted' } }),
      StartTransaction: (p) => {
        const n = note('StartTransaction', p);
        return (script.StartTransaction?.(p, n) ?? { transactionId: 42, idTagInfo: { status: 'Accepted' } }) as any;
      },
      StopTransaction: (p) => {
        const n = note('StopTransaction', p);
        return (script.StopTransaction?.(p, n) ?? {}) as any;
      },
      MeterValues: (p) => {
        const n = note('MeterValues', p);
        return (script.MeterValues?.(p, n) ?? {}) as any;
      },
    },
  });
  return { server, seen, of: (action: string) => seen.filter((s) => s.action === action) };
}

async function aCharger(endpoint: string, template: string): Promise<SimCharger> {
  ctx = aSimContext(endpoint);
  charger = new SimCharger(0, 'RETRY-1', aTemplate(template), null, ctx, createFleetShared(ctx));
  charger.scheduleConnect(performance.now());
  await waitFor(() => charger!.link());
  return charger;
}

function start(c: SimCharger): void {
  void c.runStart(0, c.claim(0, 'TAG-1'), 'app', performance.now());
}

const failing = () => {
  throw new OcppError('InternalError', 'not now');
};

it('resends a failed StopTransaction after the retry interval times the attempt, and drops it after the last attempt', async () => {
  const csms = await scriptedCsms({ StopTransaction: failing });
  const c = await aCharger(csms.server.endpoint, `
connectors: 1
meterValues: { interval: 1h }
configuration: { TransactionMessageAttempts: 3, TransactionMessageRetryInterval: 0.2 }
`);
  start(c);
  await waitFor(() => c.connectors[0].tx?.transactionId === 42);
  c.stop(0, 'Local');
  await waitFor(() => !c.charging);

  const stops = csms.of('StopTransaction');
  expect(stops).toHaveLength(3);
  // The same message each time; the waits grow: 1 × 0.2 s, then 2 × 0.2 s (less a timer's slack).
  expect(new Set(stops.map((s) => JSON.stringify(s.payload))).size).toBe(1);
  expect(stops[1].at - stops[0].at).toBeGreaterThanOrEqual(190);
  expect(stops[2].at - stops[1].at).toBeGreaterThanOrEqual(390);
  // Given up: an unexpected error, and nothing in the ledger (it was never acknowledged).
  const { top, unexpected } = ctx!.metrics.errors();
  expect(top).toContainEqual({ key: 'ocpp.StopTransaction: dropped after 3 attempts', count: 1 });
  expect(unexpected).toBeGreaterThanOrEqual(1);
  expect(ctx!.ledger.stops.size).toBe(0);
  expect(ctx!.ledger.starts.get(42)).toMatchObject({ chargerId: 'RETRY-1', idTag: 'TAG-1', accepted: true });
}, 15_000);

it('resends a failed StartTransaction as is; the readings and the stop queued behind it carry the transactionId it got', async () => {
  const csms = await scriptedCsms({ StartTransaction: (_p, n) => (n === 1 ? failing() : undefined) });
  const c = await aCharger(csms.server.endpoint, `
connectors: 1
meterValues: { interval: 0.05s }
configuration: { TransactionMessageAttempts: 3, TransactionMessageRetryInterval: 0.5 }
`);
  start(c);
  // While the StartTransaction waits for its retry, the meter samples and the driver unplugs.
  await waitFor(() => csms.of('StartTransaction').length === 1 && c.outbox.queue.filter((m) => m.action === 'MeterValues').length >= 2);
  c.stop(0, 'Local');
  await waitFor(() => !c.charging);

  const starts = csms.of('StartTransaction');
  expect(starts).toHaveLength(2);
  expect(starts[1].payload).toEqual(starts[0].payload);
  const after = csms.seen.filter((s) => s.at > starts[1].at && (s.action === 'MeterValues' || s.action === 'StopTransaction'));
  expect(after.length).toBeGreaterThanOrEqual(3);
  expect(after.at(-1)!.action).toBe('StopTransaction');
  expect(after.every((s) => s.payload.transactionId === 42)).toBe(true);
  expect(csms.of('MeterValues').every((s) => s.at > starts[1].at)).toBe(true);
  expect(ctx!.ledger.stops.get(42)).toMatchObject({ reason: 'Local', meterStop: after.at(-1)!.payload.meterStop });
  expect(ctx!.ledger.meters.get(42)!.length).toBe(after.length - 1);
}, 15_000);

it('keeps at most so many readings per transaction while offline, dropping the oldest unsent ones, never the one on the wire', async () => {
  const held = deferred();
  const csms = await scriptedCsms({ MeterValues: () => held.promise.then(() => ({})) });
  const c = await aCharger(csms.server.endpoint, `
connectors: 1
meterValues: { interval: 0.01s }
faults: { reconnect: { initial: 0.05s, max: 0.1s } }
`);
  start(c);
  await waitFor(() => csms.of('MeterValues').length === 1);
  const onTheWire = csms.of('MeterValues')[0].payload.meterValue[0].timestamp;
  // The CSMS goes away with that reading unanswered; the charger samples on, offline.
  await new Promise<void>((resolve) => {
    for (const client of csms.server.server.clients) client.terminate();
    csms.server.server.close(() => resolve());
  });
  await waitFor(() => c.state !== 'online' && ctx!.metrics.errors().top.some((e) => e.key.startsWith('ocpp.MeterValues: oldest unsent reading dropped')), 10_000);

  const meters = c.outbox.queue.filter((m) => m.action === 'MeterValues');
  expect(meters.length).toBeLessThanOrEqual(MAX_QUEUED_METER_VALUES);
  expect(meters[0]).toMatchObject({ sent: true });
  expect(meters[0].meterValue![0].timestamp).toBe(onTheWire);
  // The unsent ones left are the newest, in order.
  const times = meters.slice(1).map((m) => m.meterValue![0].timestamp);
  expect(times).toEqual([...times].sort());
  expect(meters[1].meterValue![0].timestamp > onTheWire).toBe(true);
  held.resolve();
}, 15_000);
