/**
 * End-of-run reconciliation: what the CSMS acknowledged (the run's ledger) against what its REST API
 * shows once it has settled. An OCPP 1.6 charger resends a transaction-related message only while
 * it has no answer (E2 §4.10 / J §4.2.1), so anything acknowledged and then missing is lost for good.
 *
 * Reads, as the admin: GET /api/cms/sessions?from=<run start> (paged, 200 a page) and
 * /api/cms/sessions/:id for sessions not in that list, /api/cms/sessions/:id/meter-values (the
 * newest 720 points: older timestamps are counted as unverifiable, not lost); as each customer
 * (their own tokens): GET /api/user/wallet and /api/user/wallet/transactions (paged).
 */
import type { Ledger } from './ledger.ts';
import { createMetrics } from './metrics.ts';
import { createRestClient, type RestClient } from './rest.ts';
import { inBatches } from './setup.ts';
import type { ReconcileSummary } from './types.ts';

/** Points the meter-values route returns at most (MAX_SERIES_POINTS of the API). */
const SERIES_WINDOW = 720;
const PAGE = 200;
const MAX_FINDINGS = 20;

export interface ReconcileInput {
  httpUrl: string;
  admin: { email: string; password: string };
  ledger: Ledger;
  /** Identities of the run's chargers: their sessions must all be closed at the end. */
  chargerIds: ReadonlySet<string>;
  /** The run's customers; `token` reads their own wallet. */
  customers: readonly { id: number; email: string; token: string }[];
  /** ISO time the run started: older sessions are not the run's. */
  since: string;
  /**
   * How long the figures may stay the same before the reconciliation gives up waiting for the CSMS
   * (poll until clean); default 30 s. While they change, the CSMS is still working through what it
   * accepted (a backlog after a crash, on a busy machine) and the wait goes on, up to `maxWaitMs`.
   */
  settleMs?: number;
  /** The most the whole wait may take, for a CSMS that keeps changing and never gets clean; default 20 × settleMs (10 min). */
  maxWaitMs?: number;
  pollMs?: number;
  log?(line: string): void;
}

/** The subset of a session (as GET /api/cms/sessions shows it) the checks read. */
interface SessionRow {
  id: number;
  chargePointId: string;
  customerId: number | null;
  status: string;
  meterStart: number;
  meterStop: number | null;
  energyWh: number;
  costMinor: number;
  startedAt: string;
  stoppedAt: string | null;
  stopReason: string | null;
  tariff: { pricePerKwh: number; pricePerMinute: number; sessionFee: number } | null;
}

export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
}

/** A refused start is a closed row, never billed: `refused`, or (older CSMS) completed with `Refused:<status>`. */
const isRefused = (s: SessionRow): boolean => s.status === 'refused' || (s.stopReason ?? '').startsWith('Refused:');

/**
 * The tariff rule of docs/rest-api.md, written out again here (not imported) so that a CSMS that
 * bills differently is caught: fee + round(Wh × price/kWh ÷ 1000) + price/minute × started minutes.
 */
export function expectedCost(tariff: SessionRow['tariff'], energyWh: number, startedAt: string, stoppedAt: string): number {
  if (!tariff) return 0;
  const elapsed = Date.parse(stoppedAt) - Date.parse(startedAt);
  const minutes = elapsed > 0 ? Math.ceil(elapsed / 60_000) : 0;
  return tariff.sessionFee + Math.round((Math.max(0, energyWh) * tariff.pricePerKwh) / 1000) + tariff.pricePerMinute * minutes;
}

const instant = (t: string): string => {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : String(ms);
};

/** Checks the ledger against the target; throws ReconcileError when the API cannot be read. */
export async function reconcile(input: ReconcileInput): Promise<ReconcileSummary> {
  const log = input.log ?? (() => {});
  // Its own client and metrics: these reads are not the load and must not show in its latencies.
  const rest = createRestClient(input.httpUrl, createMetrics());
  const token = await login(rest, input.admin);
  const started = Date.now();
  const settleMs = input.settleMs ?? 30_000;
  const maxWaitMs = Math.max(settleMs, input.maxWaitMs ?? settleMs * 20);
  const verifiedMeters = new Set<number>();
  const fetched = new Map<number, SessionRow | null>();
  // What the last pass found, and since when it has been so.
  let seen = '';
  let seenSince = started;
  for (;;) {
    const summary = await pass(rest, token, input, verifiedMeters, fetched);
    const now = Date.now();
    summary.settledAfterMs = now - started;
    const dirty = summary.ackedLost + summary.sessionsStuck + summary.billingMismatches;
    // A CSMS catching up (events queued behind a crash or an outage, processed slowly on a busy
    // machine) changes what each pass finds: fewer missing readings, fewer open sessions.
    const found = `${summary.lost.starts}/${summary.lost.stops}/${summary.lost.meterValues}/${summary.sessionsStuck}/${summary.billingMismatches}/${verifiedMeters.size}/${summary.checked.sessions}`;
    if (found !== seen) {
      seen = found;
      seenSince = now;
    }
    if (dirty === 0 || now - seenSince >= settleMs || now - started >= maxWaitMs) {
      if (dirty > 0) log(`reconciliation: still ${summary.ackedLost} acked lost, ${summary.sessionsStuck} stuck, ${summary.billingMismatches} billing mismatches after ${Math.round(summary.settledAfterMs / 1000)} s (unchanged for ${Math.round((now - seenSince) / 1000)} s)`);
      return summary;
    }
    // Not yet processed (RabbitMQ mode) or really lost: only time tells. Rows found missing are asked again.
    fetched.clear();
    await new Promise((r) => setTimeout(r, input.pollMs ?? 1000));
  }
}

async function login(rest: RestClient, admin: { email: string; password: string }): Promise<string> {
  const res = await rest.request('POST', '/api/auth/login', '/api/auth/login', { body: admin });
  if (res.status !== 200) throw new ReconcileError(`admin login as ${admin.email}: ${res.status === 0 ? `no answer (${res.code})` : `HTTP ${res.status} ${res.code ?? ''}`}`);
  return res.data.token;
}

async function get<T>(rest: RestClient, path: string, token: string, allow404 = false): Promise<T | null> {
  const res = await rest.request<T>('GET', path, path, { token });
  if (res.status === 200) return res.data;
  if (res.status === 404 && allow404) return null;
  throw new ReconcileError(`GET ${path}: ${res.status === 0 ? `no answer (${res.code})` : `HTTP ${res.status} ${res.code ?? ''}`}`);
}

async function pass(rest: RestClient, token: string, input: ReconcileInput, verifiedMeters: Set<number>, fetched: Map<number, SessionRow | null>): Promise<ReconcileSummary> {
  const findings: string[] = [];
  const note = (line: string): void => {
    if (findings.length < MAX_FINDINGS) findings.push(line);
  };
  const sessions = new Map<number, SessionRow>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await get<{ items: SessionRow[]; total: number }>(rest, `/api/cms/sessions?from=${encodeURIComponent(input.since)}&limit=${PAGE}&offset=${offset}`, token);
    for (const s of page!.items) if (input.chargerIds.has(s.chargePointId)) sessions.set(s.id, s);
    if (page!.items.length < PAGE || offset + PAGE >= page!.total) break;
  }
  const session = async (id: number): Promise<SessionRow | null> => {
    const listed = sessions.get(id);
    if (listed) return listed;
    if (!fetched.has(id)) fetched.set(id, await get<SessionRow>(rest, `/api/cms/sessions/${id}`, token, true));
    return fetched.get(id)!;
  };

  const lost = { starts: 0, stops: 0, meterValues: 0 };
  for (const start of input.ledger.starts.values()) {
    if (!start.accepted || (await session(start.transactionId))) continue;
    lost.starts++;
    note(`StartTransaction ${start.chargerId} tx ${start.transactionId} was accepted, but the CSMS has no such session`);
  }
  for (const stop of input.ledger.stops.values()) {
    const s = await session(stop.transactionId);
    const where = `StopTransaction ${stop.chargerId} tx ${stop.transactionId} (meterStop ${stop.meterStop})`;
    if (!s) {
      lost.stops++;
      note(`${where} was acknowledged, but the CSMS has no such session`);
    } else if (s.status === 'active') {
      lost.stops++;
      note(`${where} was acknowledged, but the session is still active`);
    } else if (!isRefused(s) && input.ledger.starts.get(stop.transactionId)?.accepted !== false && (s.meterStop ?? -Infinity) < stop.meterStop) {
      lost.stops++;
      note(`${where} was acknowledged, but the session stopped at ${s.meterStop}`);
    }
  }

  let unverifiable = 0;
  let meterValues = 0;
  for (const acks of input.ledger.meters.values()) meterValues += acks.length;
  const toCheck = [...input.ledger.meters].filter(([tx]) => !verifiedMeters.has(tx));
  await inBatches(toCheck, 8, async ([tx, acks]) => {
    const s = await session(tx);
    const series = s ? await get<{ items: { at: string }[] }>(rest, `/api/cms/sessions/${tx}/meter-values`, token, true) : null;
    const stored = new Set((series?.items ?? []).map((p) => instant(p.at)));
    const truncated = (series?.items.length ?? 0) >= SERIES_WINDOW;
    const oldest = truncated ? Date.parse(series!.items[0].at) : -Infinity;
    let missing = 0;
    for (const ack of acks) {
      const absent = ack.timestamps.filter((t) => !stored.has(instant(t)));
      const unknown = absent.filter((t) => Date.parse(t) < oldest).length;
      unverifiable += unknown;
      if (absent.length > unknown) {
        missing++;
        note(`MeterValues ${ack.chargerId} tx ${tx} at ${absent[0]} was acknowledged, but ${s ? 'is not stored' : 'the CSMS has no such session'}`);
      }
    }
    lost.meterValues += missing;
    if (missing === 0) verifiedMeters.add(tx);
  });

  let sessionsStuck = 0;
  for (const s of sessions.values()) {
    if (s.status !== 'active') continue;
    sessionsStuck++;
    note(`session ${s.id} on ${s.chargePointId} is still active`);
  }

  let billingMismatches = 0;
  const closed = [...sessions.values()].filter((s) => s.status !== 'active' && !isRefused(s));
  for (const s of closed) {
    const energy = Math.max(0, (s.meterStop ?? s.meterStart) - s.meterStart);
    const cost = expectedCost(s.tariff, s.energyWh, s.startedAt, s.stoppedAt ?? s.startedAt);
    if (s.energyWh !== energy || s.costMinor !== cost) {
      billingMismatches++;
      note(`session ${s.id}: energy ${s.energyWh} Wh (meter says ${energy}), cost ${s.costMinor} (tariff says ${cost})`);
    }
  }
  let negativeBalances = 0;
  for (const customer of input.customers) {
    const entries: { amountMinor: number; kind: string; sessionId: number | null }[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await get<{ items: typeof entries }>(rest, `/api/user/wallet/transactions?limit=${PAGE}&offset=${offset}`, customer.token);
      entries.push(...page!.items);
      if (page!.items.length < PAGE) break;
    }
    const { balanceMinor } = (await get<{ balanceMinor: number }>(rest, '/api/user/wallet', customer.token))!;
    if (balanceMinor < 0) {
      negativeBalances++;
      note(`${customer.email}: the wallet ends at ${balanceMinor} (below zero)`);
    }
    const own = closed.filter((s) => s.customerId === customer.id);
    for (const s of own) {
      const debited = -entries.filter((e) => e.sessionId === s.id && (e.kind === 'charge' || e.kind === 'adjustment')).reduce((n, e) => n + e.amountMinor, 0);
      if (debited !== s.costMinor) {
        billingMismatches++;
        note(`session ${s.id}: cost ${s.costMinor}, but ${customer.email}'s wallet was debited ${debited}`);
      }
    }
    const expected = (input.ledger.topUps.get(customer.email) ?? 0) - own.reduce((n, s) => n + s.costMinor, 0);
    if (balanceMinor !== expected) {
      billingMismatches++;
      note(`${customer.email}: balance ${balanceMinor}, expected ${expected} (top-ups ${input.ledger.topUps.get(customer.email) ?? 0} − costs of ${own.length} sessions)`);
    }
  }

  return {
    ackedLost: lost.starts + lost.stops + lost.meterValues,
    lost,
    sessionsStuck,
    billingMismatches,
    negativeBalances,
    checked: { starts: input.ledger.starts.size, stops: input.ledger.stops.size, meterValues, sessions: sessions.size, wallets: input.customers.length },
    unverifiable,
    settledAfterMs: 0,
    findings,
  };
}
