/**
 * Login and registration limits over real HTTP (a CSMS on port 0, a SQLite file): each request is
 * sent from an address of its own in 127.0.0.0/8 (all of it is loopback on Linux), so the server
 * sees the addresses an attacker and a customer would have. Time moves by a test clock, never by sleeping.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKey, createAttemptLimits, inWords, type AttemptLimitSettings } from '../../../src/csms/api/attempt-limits.ts';
import type { CsmsConfigInput } from '../../../src/csms/config.ts';
import { isCsmsError } from '../../../src/csms/domain/errors.ts';
import { hashPassword } from '../../../src/csms/domain/secrets.ts';
import { login, startCsms, type TestCsms } from '../../helpers/csms.ts';

const PASSWORD = 'correct-horse-battery';
const WRONG = 'Summer2024!';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { error?: { code: string; message: string; data?: Record<string, unknown> }; token?: string };
}

/** A test clock: starts at the real time, moves only when told. */
function aClock() {
  let t = Date.now();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

let t: TestCsms | null = null;
let dir: string | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function start(overrides: CsmsConfigInput = {}) {
  const clock = aClock();
  dir = mkdtempSync(join(tmpdir(), 'ev-limits-'));
  t = await startCsms({ dbPath: join(dir, 'csms.db'), ...overrides }, { clock });
  return { t, clock };
}

/** POST `path` from the local address `from` (the server listens on 127.0.0.1). */
function postFrom(from: string, path: string, body: unknown): Promise<Answer> {
  const url = new URL(path, t!.info.httpUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const loginFrom = (from: string, email: string, password: string) => postFrom(from, '/api/auth/login', { email, password });

/** `count` customers with PASSWORD, straight into the store (one hash shared: hashing is slow on purpose). */
async function customers(count: number): Promise<string[]> {
  const passwordHash = await hashPassword(PASSWORD);
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const email = `driver${i + 1}@limits.test`;
    await t!.store.users.create({ email, name: `Driver ${i + 1}`, passwordHash, role: 'customer', idTag: `LIM${i + 1}` });
    return email;
  }));
}

/** A 429 with the code, and a Retry-After header that says what the body says. */
function expectLimited(answer: Answer, code: string, retryAfterS?: number): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(429);
  expect(answer.body.error?.code).toBe(code);
  const seconds = answer.body.error?.data?.retryAfterS;
  expect(answer.headers['retry-after']).toBe(String(seconds));
  if (retryAfterS !== undefined) expect(seconds).toBe(retryAfterS);
  expect(answer.body.error?.message).toMatch(/: try again in \d+ (second|minute|hour)s?$/);
}

describe('password spraying from one address', () => {
  it('stops the address after 20 failures whatever the emails, while the right password from elsewhere signs in', async () => {
    const { clock } = await start();
    const emails = await customers(30);
    // One of them signed in from the spraying address before (a colleague behind the same NAT).
    expect((await loginFrom('127.0.0.2', emails[29], PASSWORD)).status).toBe(200);

    const statuses: number[] = [];
    let first429: Answer | null = null;
    for (const email of [...emails.slice(0, 29), 'nobody@limits.test']) {
      const answer = await loginFrom('127.0.0.2', email, WRONG);
      statuses.push(answer.status);
      if (answer.status === 429) first429 ??= answer;
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    expectLimited(first429!, 'CSMS_ERR_TOO_MANY_ATTEMPTS', 900);
    expect(first429!.body.error?.message).toBe('Too many failed sign-ins from your address: try again in 15 minutes');
    // Limited before the password is looked at: the right one from this address waits too...
    expectLimited(await loginFrom('127.0.0.2', emails[3], PASSWORD), 'CSMS_ERR_TOO_MANY_ATTEMPTS');
    // ...except for the account that has signed in from here before.
    expect((await loginFrom('127.0.0.2', emails[29], PASSWORD)).status).toBe(200);
    // Another address is not affected, for any of the sprayed accounts.
    const elsewhere = await loginFrom('127.0.0.3', emails[0], PASSWORD);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.token).toBeTruthy();

    clock.advance(899_000);
    expectLimited(await loginFrom('127.0.0.2', emails[5], PASSWORD), 'CSMS_ERR_TOO_MANY_ATTEMPTS', 1);
    clock.advance(1000);
    expect((await loginFrom('127.0.0.2', emails[5], PASSWORD)).status).toBe(200);
  });
});

describe('failures for one account from one address', () => {
  it('make that pair wait 1, 2, 4 s… up to the cap; the right password from another address passes; a success forgets them', async () => {
    const { clock } = await start({ loginBackoffMaxMs: 4000 });
    const [email] = await customers(1);

    for (let i = 0; i < 5; i++) expect((await loginFrom('127.0.0.2', email, WRONG)).status).toBe(401);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const limited = await loginFrom('127.0.0.2', email, PASSWORD);
      expectLimited(limited, 'CSMS_ERR_LOGIN_THROTTLED');
      expect(limited.body.error?.data?.limit).toBe('account-address');
      const wait = limited.body.error!.data!.retryAfterS as number;
      waits.push(wait);
      // The account's owner, from anywhere else, is never kept out.
      expect((await loginFrom('127.0.0.3', email, PASSWORD)).status).toBe(200);
      clock.advance(wait * 1000 - 1);
      expectLimited(await loginFrom('127.0.0.2', email, WRONG), 'CSMS_ERR_LOGIN_THROTTLED', 1);
      clock.advance(1);
      expect((await loginFrom('127.0.0.2', email, WRONG)).status).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 4]);

    clock.advance(4000);
    expect((await loginFrom('127.0.0.2', email, PASSWORD)).status).toBe(200);
    // Forgotten: the next failure is a plain 401, and another may follow at once.
    expect((await loginFrom('127.0.0.2', email, WRONG)).status).toBe(401);
    expect((await loginFrom('127.0.0.2', email, WRONG)).status).toBe(401);
  });

  it('treats an unknown email exactly like a known one (no account probing)', async () => {
    await start();
    const [known] = await customers(1);
    const run = async (email: string, from: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 7; i++) {
        const answer = await loginFrom(from, email, WRONG);
        seen.push(`${answer.status} ${answer.body.error?.code} ${answer.headers['retry-after'] ?? ''}`);
      }
      return seen;
    };
    const forKnown = await run(known, '127.0.0.2');
    expect(forKnown.slice(4)).toEqual(['401 CSMS_ERR_BAD_CREDENTIALS ', '429 CSMS_ERR_LOGIN_THROTTLED 1', '429 CSMS_ERR_LOGIN_THROTTLED 1']);
    expect(await run('nobody@limits.test', '127.0.0.3')).toEqual(forKnown);
  });
});

describe('failures for one account from many addresses', () => {
  it('over the cap, addresses that failed for it wait; a fresh address gets one try, and the owner signs in', async () => {
    const { clock } = await start({ loginAccountMaxFailures: 10 });
    const [email, other] = await customers(2);
    for (let i = 1; i <= 10; i++) expect((await loginFrom(`127.0.1.${i}`, email, WRONG)).status).toBe(401);

    const again = await loginFrom('127.0.1.1', email, WRONG);
    expectLimited(again, 'CSMS_ERR_LOGIN_THROTTLED', 900);
    expect(again.body.error?.data?.limit).toBe('account');
    // A new address still has its one try; after a failure it waits like the others.
    expect((await loginFrom('127.0.1.20', email, WRONG)).status).toBe(401);
    expectLimited(await loginFrom('127.0.1.20', email, PASSWORD), 'CSMS_ERR_LOGIN_THROTTLED');
    // The owner, at an address that has not guessed, signs in during the attack.
    expect((await loginFrom('127.0.1.30', email, PASSWORD)).status).toBe(200);
    // The cap is this account's: the same address may still try another.
    expect((await loginFrom('127.0.1.1', other, WRONG)).status).toBe(401);

    clock.advance(900_000);
    expect((await loginFrom('127.0.1.1', email, PASSWORD)).status).toBe(200);
  });
});

describe('registration', () => {
  const signUp = (from: string, n: number, password = PASSWORD) =>
    postFrom(from, '/api/user/register', { email: `new${n}@limits.test`, password, name: `New ${n}` });

  it('allows 5 per address and hour; a refused password does not count; other addresses are not affected', async () => {
    const { clock } = await start();
    expect((await signUp('127.0.0.2', 0, 'short')).status).toBe(400);
    for (let n = 1; n <= 4; n++) expect((await signUp('127.0.0.2', n)).status).toBe(201);
    // A taken email counts: each answer says whether an account exists.
    expect((await signUp('127.0.0.2', 1)).status).toBe(409);
    const limited = await signUp('127.0.0.2', 6);
    expectLimited(limited, 'CSMS_ERR_REGISTRATION_LIMITED', 3600);
    expect(limited.body.error?.message).toBe('Too many accounts created from your address: try again in 60 minutes');
    expect(await t!.store.users.findByEmail('new6@limits.test')).toBeNull();
    expect((await signUp('127.0.0.3', 7)).status).toBe(201);

    clock.advance(3_600_000);
    expect((await signUp('127.0.0.2', 8)).status).toBe(201);
  });

  it('is not limited when REGISTRATIONS_PER_ADDRESS_PER_HOUR is 0 (ev-sim signs up its customers from one address)', async () => {
    await start({ registrationsPerAddressPerHour: 0 });
    for (let n = 1; n <= 7; n++) expect((await signUp('127.0.0.2', n)).status).toBe(201);
  });
});

describe('weak passwords', () => {
  it('are refused at registration and in the CMS with CSMS_ERR_WEAK_PASSWORD', async () => {
    await start();
    const cases: [string, string, RegExp][] = [
      ['seven77', 'weak@limits.test', /at least 8 characters/],
      ['Password123', 'weak@limits.test', /most common passwords/],
      ['qwertyuiop', 'weak@limits.test', /most common passwords/],
      ['ann.lee@limits.test', 'Ann.Lee@limits.test', /email/],
      ['ann.lee-at-home', 'ann.lee-at-home@limits.test', /email/],
    ];
    for (const [password, email, reason] of cases) {
      const answer = await postFrom('127.0.0.2', '/api/user/register', { email, password, name: 'Weak' });
      expect(answer.status, password).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'CSMS_ERR_WEAK_PASSWORD', data: { field: 'body.password', minLength: 8 } });
      expect(answer.body.error?.message).toMatch(reason);
    }
    expect(await t!.store.users.findByEmail('weak@limits.test')).toBeNull();

    const admin = await login(t!, t!.info.admin.email, 'admin-password');
    const create = await t!.api('/api/cms/customers', { token: admin, body: { email: 'cms@limits.test', password: 'football', name: 'Cms' } });
    expect(create.status).toBe(400);
    expect(((await create.json()) as Answer['body']).error?.code).toBe('CSMS_ERR_WEAK_PASSWORD');
    const created = await t!.api('/api/cms/customers', { token: admin, body: { email: 'cms@limits.test', password: PASSWORD, name: 'Cms' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const update = await t!.api(`/api/cms/customers/${id}`, { method: 'PUT', token: admin, body: { password: 'trustno1' } });
    expect(update.status).toBe(400);
    expect(((await update.json()) as Answer['body']).error?.code).toBe('CSMS_ERR_WEAK_PASSWORD');
    // Unchanged: the old password still signs in.
    expect((await loginFrom('127.0.0.4', 'cms@limits.test', PASSWORD)).status).toBe(200);
  });
});

describe('the limiter on its own', () => {
  const settings: AttemptLimitSettings = {
    loginBackoffAfter: 5, loginBackoffBaseMs: 1000, loginBackoffMaxMs: 900_000, loginFailureWindowS: 900,
    loginAccountMaxFailures: 50, loginAddressMaxFailures: 20, registrationsPerAddressPerHour: 5,
  };

  it('counts an attempt as failed while its password is being checked, so parallel guesses cannot slip in', () => {
    const limits = createAttemptLimits(settings, aClock());
    for (let i = 0; i < 5; i++) limits.loginAttempt('a@b.c', '10.0.0.1');
    let error: unknown = null;
    try {
      limits.loginAttempt('a@b.c', '10.0.0.1');
    } catch (err) {
      error = err;
    }
    expect(isCsmsError(error) && error.code).toBe('CSMS_ERR_LOGIN_THROTTLED');
  });

  it('keeps at most maxKeys entries per table: the oldest go first', () => {
    const limits = createAttemptLimits({ ...settings, loginAddressMaxFailures: 0, loginAccountMaxFailures: 0 }, aClock(), { maxKeys: 3 });
    for (let i = 0; i < 5; i++) limits.loginAttempt('victim@b.c', '10.0.0.1');
    expect(() => limits.loginAttempt('victim@b.c', '10.0.0.1')).toThrow(/try again/);
    for (let i = 0; i < 3; i++) limits.loginAttempt(`junk${i}@b.c`, '10.0.0.1');
    expect(() => limits.loginAttempt('victim@b.c', '10.0.0.1')).not.toThrow();
  });

  it('counts IPv6 addresses by their /64 and IPv4-mapped ones as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });

  it('says how long to wait in words', () => {
    expect([1, 45, 60, 61, 900, 3600, 5400, 7200].map(inWords)).toEqual([
      '1 second', '45 seconds', '1 minute', '2 minutes', '15 minutes', '60 minutes', '2 hours', '2 hours',
    ]);
  });
});
