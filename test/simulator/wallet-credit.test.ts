/**
 * ev-sim against a CSMS where customers cannot add money themselves (WALLET_SELF_TOPUP off, the
 * default): the admin credits the opening balances, and a scenario whose customers top up is refused
 * up front instead of failing every top-up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/simulator/metrics.ts';
import { createRestClient, type RestClient } from '../../src/simulator/rest.ts';
import { runScenario } from '../../src/simulator/runner.ts';
import { adminLogin, provisionCustomers, readRemoteConfig } from '../../src/simulator/setup.ts';
import { startCsms, type TestCsms } from '../helpers/csms.ts';
import { aScenario } from './helpers.ts';

describe('provisioning customers', () => {
  let t: TestCsms;
  let rest: RestClient;
  beforeEach(async () => {
    t = await startCsms();
    rest = createRestClient(t.info.httpUrl, createMetrics());
  });
  afterEach(async () => { await t.close(); });

  it('credits the opening balance as the admin where self top-up is off', async () => {
    expect((await readRemoteConfig(rest)).walletSelfTopup).toBe(false);
    const admin = await adminLogin(rest, { email: 'admin@ev-csms.local', password: 'admin-password' });
    await expect(provisionCustomers(rest, admin, 1, 'self', 3000, 'mine', 'self')).rejects.toThrow(/CSMS_ERR_TOPUP_DISABLED/);
    const accounts = await provisionCustomers(rest, admin, 2, 'cms', 3000, 'credited', 'admin');
    for (const a of accounts) {
      expect(await t.store.wallet.balance(a.id)).toBe(3000);
      expect(await t.store.wallet.list(a.id)).toEqual([expect.objectContaining({ kind: 'credit', note: 'ev-sim opening balance', actor: 'admin@ev-csms.local' })]);
    }
  });
});

describe('runScenario with target.csms.walletSelfTopup: false', () => {
  it('runs, with every wallet reconciled against the admin\'s credits', async () => {
    const result = await runScenario(aScenario(`
name: operator-credits
seed: 3
duration: 3s
target: { kind: embedded, csms: { walletSelfTopup: false } }
chargers:
  - { idPattern: 'OPC-{0}', count: 2, connectors: 1, meterValues: { interval: 1s } }
customers:
  count: 2
  initialBalance: 4000
  sessions: { mix: { app: 1 }, interval: [0.3s, 0.6s], duration: [1s, 1.5s] }
thresholds:
  - billing.mismatches == 0
  - errors.unexpected == 0
`));
    expect(result.reason).toBe('all 2 thresholds held');
    expect(result.final.latency['rest.POST /api/cms/customers/:id/wallet']?.count).toBe(2);
    expect(result.final.latency['rest.POST /api/user/wallet/topup']).toBeUndefined();
  }, 60_000);

  it('refuses customers.topUps up front with exit 3', async () => {
    const result = await runScenario(aScenario(`
name: no-self-topup
duration: 2s
target: { kind: embedded, csms: { walletSelfTopup: false } }
chargers:
  - { idPattern: 'NST-{0}', count: 1 }
customers:
  count: 1
  topUps: { interval: 1s, amount: 500 }
`));
    expect(result.exitCode).toBe(3);
    expect(result.reason).toMatch(/customers\.topUps.*WALLET_SELF_TOPUP/);
  });
});
