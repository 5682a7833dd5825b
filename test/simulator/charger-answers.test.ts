/**
 * How the simulated charger names what went wrong with a CALL it sent. The CSMS side is a bare
 * WebSocket peer on a real socket that writes its answers byte for byte, so it can answer with what
 * our own connection would refuse to send: a CALLRESULT that breaks the 1.6 schema.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createFleetShared, SimCharger } from '../../src/simulator/charger.ts';
import type { SimContext } from '../../src/simulator/context.ts';
import { waitFor } from '../helpers/csms.ts';
import { aSimContext, aTemplate } from './sim-harness.ts';

let charger: SimCharger | null = null;
let ctx: SimContext | null = null;
let server: WebSocketServer | null = null;
afterEach(async () => {
  charger?.shutdown();
  ctx?.scheduler.clear();
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A CSMS that answers every CALL with `answer(action)`, written as is. */
async function rawCsms(answer: (action: string) => unknown): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ocpp1.6' });
  await new Promise<void>((resolve) => server!.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const [type, id, action] = JSON.parse(data.toString()) as [number, string, string];
      if (type === 2) socket.send(JSON.stringify([3, id, answer(action)]));
    });
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ocpp`;
}

it('names a schema-invalid CALLRESULT an invalid answer, not a CALLERROR', async () => {
  const endpoint = await rawCsms((action) => {
    if (action === 'BootNotification') return { status: 'Accepted', currentTime: new Date().toISOString(), interval: 60 };
    // Heartbeat.conf requires currentTime, a date-time string.
    if (action === 'Heartbeat') return { currentTime: 42 };
    return {};
  });
  ctx = aSimContext(endpoint);
  charger = new SimCharger(0, 'ANSWER-1', aTemplate('connectors: 1\nheartbeatInterval: 0.1s'), null, ctx, createFleetShared(ctx));
  charger.scheduleConnect(performance.now());

  const keys = () => ctx!.metrics.errors().top.map((e) => e.key);
  await waitFor(() => keys().some((k) => k.startsWith('ocpp.Heartbeat:')));
  const heartbeat = keys().filter((k) => k.startsWith('ocpp.Heartbeat:'));
  expect(heartbeat[0]).toMatch(/^ocpp\.Heartbeat: invalid answer [A-Za-z]+$/);
  expect(keys().filter((k) => k.includes('CALLERROR'))).toEqual([]);
});
