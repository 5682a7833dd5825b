import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aStation } from '../builders.ts';
import { startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
// Self top-up on: the top-up is a write through the API itself.
beforeEach(async () => { h = await startApi({ walletSelfTopup: true }); });
afterEach(async () => { await h.close(); });

describe('conditional GETs for polling', () => {
  it('answers 304 without a body when nothing changed, and a new tag after any write', async () => {
    const { token } = await h.customer();
    const first = await h.call('/api/user/stations', { token });
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^W\/".+"$/);
    expect(first.headers.get('cache-control')).toContain('no-cache');

    const same = await h.call('/api/user/stations', { token, headers: { 'if-none-match': tag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');

    await h.store.stations.create(aStation({ name: 'Fresh' }));
    const changed = await h.call('/api/user/stations', { token, headers: { 'if-none-match': tag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    expect(JSON.stringify(await changed.json())).toContain('Fresh');
  });

  it('changes after a write through the API itself (top-up)', async () => {
    const { token } = await h.customer();
    const tag = (await h.call('/api/user/wallet', { token })).headers.get('etag')!;
    await h.call('/api/user/wallet/topup', { token, body: { amount: 100 } });
    const after = await h.call('/api/user/wallet', { token, headers: { 'if-none-match': tag } });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ balanceMinor: 100 });
  });

  it('differs per user and per URL, so one caller\'s tag never validates another\'s page', async () => {
    const a = await h.customer();
    const b = await h.customer();
    const tagA = (await h.call('/api/user/me', { token: a.token })).headers.get('etag')!;
    const asB = await h.call('/api/user/me', { token: b.token, headers: { 'if-none-match': tagA } });
    expect(asB.status).toBe(200);
    expect(((await asB.json()) as { id: number }).id).toBe(b.user.id);
    const otherUrl = await h.call('/api/user/wallet', { token: a.token, headers: { 'if-none-match': tagA } });
    expect(otherUrl.status).toBe(200);
  });

  it('checks the token before answering 304', async () => {
    const { token } = await h.customer();
    const tag = (await h.call('/api/user/me', { token })).headers.get('etag')!;
    const anonymous = await h.call('/api/user/me', { headers: { 'if-none-match': tag } });
    expect(anonymous.status).toBe(401);
  });

  it('puts no tag on errors, and tags the CMS reads and /api/config', async () => {
    const missing = await h.call('/api/cms/stations/999', { token: h.adminToken });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    for (const path of ['/api/cms/stations', '/api/cms/points', '/api/cms/tariffs', '/api/cms/customers', '/api/cms/sessions', '/api/cms/dashboard']) {
      const res = await h.call(path, { token: h.adminToken });
      const tag = res.headers.get('etag');
      expect(tag, path).toBeTruthy();
      expect((await h.call(path, { token: h.adminToken, headers: { 'if-none-match': tag! } })).status, path).toBe(304);
    }
    const config = await h.call('/api/config');
    expect((await h.call('/api/config', { headers: { 'if-none-match': `"x", ${config.headers.get('etag')}` } })).status).toBe(304);
  });
});
