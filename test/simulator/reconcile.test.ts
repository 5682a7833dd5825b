/**
 * The end-of-run reconciliation against a real CSMS: a raw OCPP client gets real CALLRESULTs, which
 * go into a ledger as the simulator's chargers record them. The losses are then made real in the
 * CSMS's own database file (a second SQLite connection, as a crash that lost the write would leave
 * it): the reconciliation sees them only through the REST API, like any other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { aBootNotification, aMeterValue, aSampledValue, aStartTransaction, aStopTransaction } from '../../src/ocpp/index.ts';
import { createLedger, type Ledger } from '../../src/simulator/ledger.ts';
import { reconcile, type ReconcileInput } from '../../src/simulator/reconcile.ts';
import { aChargePoint, aTariffIn, startCsms, type TestCsms } from '../helpers/csms.ts';

let dir: string;
let t: TestCsms;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ev-reconcile-'));
  t = await startCsms({ dbPath: join(dir, 'csms.db'), walletSelfTopup: true });
});
afterEach(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One customer charges once on REC-1 (30 per kWh): every CALL answered, every answer in the ledger. */
async function aChargedSession(ledger: Ledger) {
  const tariff = await aTariffIn(t.store, { pricePerKwh: 30, sessionFee: 0, pricePerMinute: 0 });
  await aChargePoint(t.store, { id: 'REC-1', tariffId: tariff.id, connectors: 1 });
  const reg = await (await t.api('/api/user/register', { body: { email: 'rec@test.local', password: 'password-123', name: 'Rec' } })).json() as { token: string; user: { id: number; idTag: string } };
  expect((await t.api('/api/user/wallet/topup', { token: reg.token, body: { amount: 5000 } })).status).toBe(200);
  ledger.toppedUp('rec@test.local', 5000);

  const conn = await t.connect('REC-1');
  await conn.call('BootNotification', aBootNotification());
  const started = await conn.call('StartTransaction', aStartTransaction({ idTag: reg.user.idTag, meterStart: 1000 }));
  const tx = started.transactionId;
  expect(started.idTagInfo.status).toBe('Accepted');
  ledger.ackedStart({ chargerId: 'REC-1', connectorId: 1, transactionId: tx, idTag: reg.user.idTag, meterStart: 1000, timestamp: new Date().toISOString(), accepted: true });
  const stamps = [new Date(Date.now() + 1000).toISOString(), new Date(Date.now() + 2000).toISOString()];
  for (const [i, at] of stamps.entries()) {
    await conn.call('MeterValues', { connectorId: 1, transactionId: tx, meterValue: [aMeterValue({ timestamp: at, sampledValue: [aSampledValue({ value: String(1500 + i * 500) })] })] });
    ledger.ackedMeter({ chargerId: 'REC-1', transactionId: tx, timestamps: [at], energyWh: 1500 + i * 500 });
  }
  await conn.call('StopTransaction', aStopTransaction({ transactionId: tx, meterStop: 3000, timestamp: new Date(Date.now() + 3000).toISOString() }));
  ledger.ackedStop({ chargerId: 'REC-1', transactionId: tx, meterStop: 3000, timestamp: new Date().toISOString(), reason: 'Local' });
  return { tx, stamps, customer: { id: reg.user.id, email: 'rec@test.local', token: reg.token } };
}

it('finds nothing on a clean run, then each loss made in the database: billing, an acked stop, a stored MeterValues', async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  const ledger = createLedger();
  const { tx, stamps, customer } = await aChargedSession(ledger);
  const input: ReconcileInput = {
    httpUrl: t.info.httpUrl,
    admin: { email: t.info.admin.email, password: 'admin-password' },
    ledger,
    chargerIds: new Set(['REC-1']),
    customers: [customer],
    since,
    settleMs: 10_000,
    pollMs: 200,
  };

  const clean = await reconcile(input);
  expect(clean).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 0, findings: [] });
  expect(clean.checked).toEqual({ starts: 1, stops: 1, meterValues: 2, sessions: 1, wallets: 1 });

  const db = new Database(join(dir, 'csms.db'));
  try {
    // The session's cost drifts from its energy: it no longer matches the tariff, its debit, nor the balance.
    db.prepare('UPDATE sessions SET cost_minor = cost_minor + 7 WHERE id = ?').run(tx);
    const billing = await reconcile({ ...input, settleMs: 500 });
    expect(billing).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 3 });
    expect(billing.findings).toEqual([
      `session ${tx}: energy 2000 Wh (meter says 2000), cost 67 (tariff says 60)`,
      `session ${tx}: cost 67, but rec@test.local's wallet was debited 60`,
      'rec@test.local: balance 4940, expected 4933 (top-ups 5000 − costs of 1 sessions)',
    ]);

    // The acknowledged StopTransaction is lost (the session is open again) and so is one acknowledged MeterValues.
    db.prepare("UPDATE sessions SET status = 'active', meter_stop = NULL, stopped_at = NULL WHERE id = ?").run(tx);
    db.prepare('DELETE FROM meter_values WHERE session_id = ? AND timestamp = ?').run(tx, stamps[1]);
    const lost = await reconcile({ ...input, settleMs: 500 });
    expect(lost).toMatchObject({ ackedLost: 2, sessionsStuck: 1 });
    expect(lost.findings).toEqual(expect.arrayContaining([
      `StopTransaction REC-1 tx ${tx} (meterStop 3000) was acknowledged, but the session is still active`,
      `MeterValues REC-1 tx ${tx} at ${stamps[1]} was acknowledged, but is not stored`,
      `session ${tx} on REC-1 is still active`,
    ]));
    expect(lost.settledAfterMs).toBeGreaterThanOrEqual(500);
  } finally {
    db.close();
  }
}, 60_000);

it('waits for a CSMS that is still catching up: it judges once the figures stop changing, not after a fixed time', async () => {
  const since = new Date(Date.now() - 1000).toISOString();
  const ledger = createLedger();
  const { tx, customer } = await aChargedSession(ledger);
  const db = new Database(join(dir, 'csms.db'));
  try {
    // As a crash would leave it with its events still queued: the readings not stored yet, the session open.
    const readings = db.prepare('SELECT * FROM meter_values WHERE session_id = ? ORDER BY timestamp').all(tx) as Record<string, unknown>[];
    expect(readings).toHaveLength(2);
    const session = db.prepare('SELECT status, meter_stop, stopped_at, cost_minor FROM sessions WHERE id = ?').get(tx) as Record<string, unknown>;
    db.prepare('DELETE FROM meter_values WHERE session_id = ?').run(tx);
    db.prepare("UPDATE sessions SET status = 'active', meter_stop = NULL, stopped_at = NULL, cost_minor = cost_minor + 7 WHERE id = ?").run(tx);
    const columns = Object.keys(readings[0]);
    const insert = db.prepare(`INSERT INTO meter_values (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    // Then it catches up slowly, a step every 1.5 s: longer in all than the 4 s the figures may stay the same.
    const steps = [
      () => insert.run(readings[0]),
      () => insert.run(readings[1]),
      () => db.prepare('UPDATE sessions SET status = @status, meter_stop = @meter_stop, stopped_at = @stopped_at WHERE id = @id').run({ ...session, id: tx }),
      () => db.prepare('UPDATE sessions SET cost_minor = ? WHERE id = ?').run(session.cost_minor, tx),
    ];
    let done = 0;
    const timer = setInterval(() => {
      if (done < steps.length) steps[done++]();
    }, 1500);
    try {
      const result = await reconcile({
        httpUrl: t.info.httpUrl,
        admin: { email: t.info.admin.email, password: 'admin-password' },
        ledger,
        chargerIds: new Set(['REC-1']),
        customers: [customer],
        since,
        settleMs: 4000,
        pollMs: 200,
      });
      expect(done).toBe(steps.length);
      expect(result).toMatchObject({ ackedLost: 0, sessionsStuck: 0, billingMismatches: 0, findings: [] });
      expect(result.settledAfterMs).toBeGreaterThan(4000);
    } finally {
      clearInterval(timer);
    }
  } finally {
    db.close();
  }
}, 60_000);
