import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness | null = null;
afterEach(async () => { await h?.close(); h = null; });

describe('health, readiness, config, OpenAPI, unknown routes', () => {
  it('/health is ok; /ready is ready, then degraded with the broker down', async () => {
    h = await startApi();
    expect(await (await h.call('/health')).json()).toEqual({ status: 'ok' });
    const ready = await h.call('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: true, store: { kind: 'sqlite', location: expect.stringMatching(/^sqlite /) }, broker: { ok: true, detail: 'embedded' } });
    await h.broker.close();
    const degraded = await h.call('/ready');
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({ status: 'degraded', database: true, broker: { ok: false } });
    // For a load balancer that should keep sending chargers to a node whose events wait in the outbox.
    const tolerated = await h.call('/ready?degraded=ok');
    expect(tolerated.status).toBe(200);
    expect(await tolerated.json()).toMatchObject({ status: 'degraded' });
    expect((await h.call('/health')).status).toBe(200);
  });

  it('/api/config reports polling or socket.io and the intervals from the config', async () => {
    h = await startApi({ pollActiveSessionMs: 1500, pollDetailMs: 4000, pollListMs: 9000, currency: 'JPY' });
    expect(await (await h.call('/api/config')).json()).toEqual({
      ENABLE_RABBITMQ: false,
      realtime: 'polling',
      currency: 'JPY',
      pollIntervalsMs: { activeSession: 1500, detail: 4000, list: 9000 },
      wallet: { currency: 'JPY', selfTopup: false, checkout: false },
    });
    await h.close();
    h = await startApi({ enableRabbitmq: true });
    expect(await (await h.call('/api/config')).json()).toMatchObject({ ENABLE_RABBITMQ: true, realtime: 'socket.io' });
  });

  it('serves the OpenAPI document listing every route, and the UI at /docs', async () => {
    h = await startApi();
    const doc = (await (await h.call('/docs/json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes).toEqual(expect.arrayContaining([
      'POST /api/auth/login', 'POST /api/user/register', 'GET /api/user/me', 'POST /api/user/charging/start',
      'POST /api/user/wallet/topup', 'POST /api/charger/reset', 'GET /api/charger/{chargePointId}/commands',
      'PUT /api/cms/points/{chargePointId}', 'DELETE /api/cms/customers/{id}', 'GET /api/cms/dashboard',
      'GET /api/config', 'GET /health', 'GET /ready',
      'POST /api/user/wallet/checkout', 'POST /api/payments/webhook', 'POST /api/cms/customers/{id}/wallet', 'GET /api/cms/customers/{id}/wallet/transactions',
    ]));
    expect(routes.length).toBeGreaterThanOrEqual(45);
    const ui = await h.call('/docs/');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('answers unknown routes, malformed JSON and server faults in the error envelope', async () => {
    h = await startApi();
    const unknown = await h.call('/api/nope');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('CSMS_ERR_NOT_FOUND');
    const broken = await h.call('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: undefined });
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).code).toBe('CSMS_ERR_VALIDATION');
    const garbled = await fetch(`${h.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect((await errorOf(garbled)).code).toBe('CSMS_ERR_VALIDATION');
    // A closed database makes the store throw a driver error: it must not leak.
    const { token } = await h.customer();
    await h.store.close();
    const fault = await h.call('/api/user/wallet', { token });
    expect(fault.status).toBe(500);
    const err = await errorOf(fault);
    expect(err).toEqual({ code: 'CSMS_ERR_INTERNAL', message: 'Internal error' });
  });
});
