/** Admins credit, debit and refund wallets with a reason; the ledger shows who did it. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeEach(async () => { h = await startApi(); });
afterEach(async () => { await h.close(); });

const adjust = (customerId: number, body: unknown, token = h.adminToken) => h.call(`/api/cms/customers/${customerId}/wallet`, { token, body });

describe('admin wallet entries', () => {
  it('credits and refunds with a reason, recorded with the admin, in the CMS ledger and the customer\'s', async () => {
    const { user, token } = await h.customer();
    const credit = await adjust(user.id, { kind: 'credit', amountMinor: 2000, reason: 'Paid by bank transfer, ref 4711' });
    expect(credit.status).toBe(201);
    expect(await credit.json()).toMatchObject({ balanceMinor: 2000, entry: { kind: 'credit', amountMinor: 2000, note: 'Paid by bank transfer, ref 4711', actor: h.config.adminEmail } });
    const refund = await adjust(user.id, { kind: 'refund', amountMinor: -500, reason: '  Balance paid back on request  ' });
    expect(await refund.json()).toMatchObject({ balanceMinor: 1500, entry: { kind: 'refund', amountMinor: -500, note: 'Balance paid back on request' } });

    const ledger = (await (await h.call(`/api/cms/customers/${user.id}/wallet/transactions`, { token: h.adminToken })).json()) as any;
    expect(ledger).toMatchObject({ total: 2, balanceMinor: 1500, limit: 50, offset: 0 });
    expect(ledger.items.map((e: any) => [e.kind, e.amountMinor, e.actor])).toEqual([['refund', -500, h.config.adminEmail], ['credit', 2000, h.config.adminEmail]]);
    expect((await (await h.call(`/api/cms/customers/${user.id}`, { token: h.adminToken })).json()) as any).toMatchObject({ balanceMinor: 1500 });

    // The customer sees the entries and their reasons, not which admin made them.
    const own = (await (await h.call('/api/user/wallet/transactions', { token })).json()) as any;
    expect(own.items.map((e: any) => [e.kind, e.note, e.actor])).toEqual([['refund', 'Balance paid back on request', null], ['credit', 'Paid by bank transfer, ref 4711', null]]);
    const pushed = h.notifications.filter((n) => n.recipients.includes(user.id));
    expect(pushed.map((n) => n.type)).toEqual(['wallet.transaction', 'wallet.updated', 'wallet.transaction', 'wallet.updated']);
    expect(pushed[0].data).toMatchObject({ customerId: user.id, entry: { kind: 'credit', note: 'Paid by bank transfer, ref 4711', actor: null } });
  });

  it('needs a reason', async () => {
    const { user } = await h.customer();
    for (const body of [{ kind: 'credit', amountMinor: 100 }, { kind: 'credit', amountMinor: 100, reason: '' }, { kind: 'credit', amountMinor: 100, reason: '   ' }]) {
      const res = await adjust(user.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'CSMS_ERR_VALIDATION', data: { field: 'body.reason' } });
    }
    expect(await h.store.wallet.balance(user.id)).toBe(0);
  });

  it('checks the sign against the kind, and refuses to take a wallet below zero', async () => {
    const { user } = await h.customer({ balance: 300 });
    for (const [kind, amountMinor] of [['credit', -100], ['credit', 0], ['refund', 100], ['debit', 50], ['debit', 0]] as const) {
      const res = await adjust(user.id, { kind, amountMinor, reason: 'test' });
      expect(await errorOf(res), `${kind} ${amountMinor}`).toMatchObject({ code: 'CSMS_ERR_BAD_AMOUNT' });
    }
    const tooMuch = await adjust(user.id, { kind: 'refund', amountMinor: -301, reason: 'all of it and more' });
    expect(tooMuch.status).toBe(409);
    expect(await errorOf(tooMuch)).toMatchObject({ code: 'CSMS_ERR_BALANCE_TOO_LOW', data: { balance: 300 } });
    expect((await adjust(user.id, { kind: 'debit', amountMinor: -300, reason: 'Duplicate credit reversed' })).status).toBe(201);
    expect(await h.store.wallet.balance(user.id)).toBe(0);
    expect((await errorOf(await adjust(user.id, { kind: 'topup', amountMinor: 100, reason: 'x' }))).code).toBe('CSMS_ERR_VALIDATION');
  });

  it('is for admins only, and for customers only', async () => {
    const { user, token } = await h.customer();
    const asCustomer = await adjust(user.id, { kind: 'credit', amountMinor: 100_000, reason: 'I deserve it' }, token);
    expect(asCustomer.status).toBe(403);
    expect((await errorOf(asCustomer)).code).toBe('CSMS_ERR_FORBIDDEN');
    expect((await h.call(`/api/cms/customers/${user.id}/wallet/transactions`, { token })).status).toBe(403);
    expect((await h.call(`/api/cms/customers/${user.id}/wallet`, { body: { kind: 'credit', amountMinor: 1, reason: 'x' } })).status).toBe(401);
    expect(await h.store.wallet.balance(user.id)).toBe(0);

    const adminId = (await h.store.users.findByEmail(h.config.adminEmail))!.id;
    expect((await errorOf(await adjust(adminId, { kind: 'credit', amountMinor: 100, reason: 'x' }))).code).toBe('CSMS_ERR_NOT_FOUND');
    expect((await errorOf(await adjust(999_999, { kind: 'credit', amountMinor: 100, reason: 'x' }))).code).toBe('CSMS_ERR_NOT_FOUND');
  });
});
