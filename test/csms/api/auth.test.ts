import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../../../src/csms/api/app.ts';
import { testConfig } from '../../../src/csms/config.ts';
import { verifyPassword } from '../../../src/csms/domain/secrets.ts';
import { createSqliteStore } from '../../../src/csms/store/index.ts';
import { errorOf, PASSWORD, startApi, type ApiHarness } from './harness.ts';

/** An HS256 JWT signed with `secret`, for tokens our login would never issue (expired, forged). */
function aJwt(claims: Record<string, unknown>, secret: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

describe('POST /api/auth/login', () => {
  it('returns a token whose sub is the user id and role the stored role', async () => {
    const { user } = await h.customer();
    const res = await h.call('/api/auth/login', { body: { email: user.email.toUpperCase(), password: PASSWORD } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { token: string; user: Record<string, unknown> };
    const claims = JSON.parse(Buffer.from(out.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: String(user.id), role: 'customer' });
    expect(claims.exp - claims.iat).toBe(12 * 3600);
    expect(out.user).toMatchObject({ id: user.id, email: user.email, role: 'customer' });
    expect(out.user).not.toHaveProperty('passwordHash');
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const { user } = await h.customer();
    for (const body of [{ email: user.email, password: 'wrong-password' }, { email: 'nobody@example.test', password: PASSWORD }]) {
      const res = await h.call('/api/auth/login', { body });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_BAD_CREDENTIALS');
    }
  });

  it('refuses a blocked account', async () => {
    const { user } = await h.customer();
    await h.store.users.update(user.id, { blocked: true });
    const res = await h.call('/api/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('CSMS_ERR_ACCOUNT_BLOCKED');
  });

  it('rejects a body without a password, naming the field', async () => {
    const res = await h.call('/api/auth/login', { body: { email: 'a@b.c' } });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.password' } });
  });
});

describe('POST /api/user/register', () => {
  const registration = (overrides: Record<string, unknown> = {}) => ({ email: 'new.customer@example.test', password: 'long-enough', name: 'New Customer', ...overrides });

  it('creates a customer with a unique idTag and logs them in', async () => {
    const res = await h.call('/api/user/register', { body: registration() });
    expect(res.status).toBe(201);
    const { token, user } = (await res.json()) as { token: string; user: { id: number; idTag: string; role: string } };
    expect(user.role).toBe('customer');
    expect(user.idTag).toMatch(/^[0-9A-F]{1,20}$/);
    const me = await h.call('/api/user/me', { token });
    expect(await me.json()).toMatchObject({ id: user.id, idTag: user.idTag, balanceMinor: 0 });
    const stored = (await h.store.users.findByEmail('new.customer@example.test'))!;
    expect(await verifyPassword('long-enough', stored.passwordHash)).toBe(true);

    const second = await h.call('/api/user/register', { body: registration({ email: 'other@example.test' }) });
    expect(((await second.json()) as { user: { idTag: string } }).user.idTag).not.toBe(user.idTag);
  });

  it('refuses an email that is taken, in any letter case', async () => {
    expect((await h.call('/api/user/register', { body: registration() })).status).toBe(201);
    const res = await h.call('/api/user/register', { body: registration({ email: 'New.Customer@Example.test' }) });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('CSMS_ERR_EMAIL_TAKEN');
  });

  it('refuses a short password as weak, a bad email and extra fields as invalid', async () => {
    const short = await h.call('/api/user/register', { body: registration({ password: 'short' }) });
    expect(short.status).toBe(400);
    expect(await errorOf(short)).toMatchObject({ code: 'CSMS_ERR_WEAK_PASSWORD', data: { field: 'body.password' } });
    for (const [body, field] of [
      [registration({ email: 'not-an-email' }), 'body.email'],
      [registration({ role: 'admin' }), 'body.role'],
    ] as const) {
      const res = await h.call('/api/user/register', { body });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field } });
    }
  });
});

describe('guards', () => {
  it('answers 401 without a token, with a malformed, forged or expired one', async () => {
    const { user } = await h.customer();
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      undefined,
      'not-a-jwt',
      aJwt({ sub: String(user.id), role: 'customer', iat: now, exp: now + 60 }, 'some-other-secret-value'),
      aJwt({ sub: String(user.id), role: 'customer', iat: now - 120, exp: now - 60 }, h.config.jwtSecret!),
    ];
    for (const token of tokens) {
      const res = await h.call('/api/user/me', { token });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_UNAUTHORIZED');
    }
    // The same hand-made token, unexpired, passes: the 401s above are about the token, not the builder.
    const good = aJwt({ sub: String(user.id), role: 'customer', iat: now, exp: now + 60 }, h.config.jwtSecret!);
    expect((await h.call('/api/user/me', { token: good })).status).toBe(200);
  });

  it('refuses the token of a since-deleted or since-blocked account', async () => {
    const a = await h.customer();
    const b = await h.customer();
    await h.store.users.delete(a.user.id);
    const gone = await h.call('/api/user/me', { token: a.token });
    expect(gone.status).toBe(401);
    await h.store.users.update(b.user.id, { blocked: true });
    const blocked = await h.call('/api/user/wallet', { token: b.token });
    expect(blocked.status).toBe(403);
    expect((await errorOf(blocked)).code).toBe('CSMS_ERR_ACCOUNT_BLOCKED');
  });

  it('keeps customers out of admin routes and admins out of customer routes', async () => {
    const { token } = await h.customer();
    for (const path of ['/api/cms/dashboard', '/api/cms/customers', '/api/charger/CP-1/commands']) {
      const res = await h.call(path, { token });
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe('CSMS_ERR_FORBIDDEN');
    }
    const reset = await h.call('/api/charger/reset', { token, body: { chargePointId: 'CP-1', type: 'Soft' } });
    expect(reset.status).toBe(403);
    expect((await h.call('/api/user/me', { token: h.adminToken })).status).toBe(403);
    expect((await h.call('/api/cms/dashboard', { token: h.adminToken })).status).toBe(200);
  });
});

describe('ensureAdmin', () => {
  it('generates a password once when none is configured, then leaves the admin alone', async () => {
    const store = createSqliteStore(':memory:');
    try {
      const config = testConfig({ adminEmail: 'Boss@Example.test', adminPassword: undefined });
      const first = await ensureAdmin(store, { ...config, adminPassword: undefined });
      expect(first.email).toBe('boss@example.test');
      expect(first.generatedPassword).toMatch(/.{12,}/);
      const admin = (await store.users.findByEmail('boss@example.test'))!;
      expect(admin.role).toBe('admin');
      expect(await verifyPassword(first.generatedPassword!, admin.passwordHash)).toBe(true);
      const again = await ensureAdmin(store, { ...config, adminPassword: 'a-new-password' });
      expect(again.generatedPassword).toBeNull();
      expect((await store.users.findByEmail('boss@example.test'))!.passwordHash).toBe(admin.passwordHash);
    } finally {
      await store.close();
    }
  });
});
