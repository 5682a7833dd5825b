/**
 * Site load management: how a station's grid limit is divided among the transactions running there.
 * Pure: the load manager (load-manager.ts) reads the sessions, calls divide() and plan(), and sends
 * what plan() says. The policy (docs/smart-charging.md, "Load management"):
 *
 * - Weights: a session gets a share in proportion to its charge point's priority + 1 (priority 0,
 *   the default, is weight 1: equal shares).
 * - Minimum: every admitted session gets at least minPerSessionW. When the limit cannot give every
 *   session its minimum, sessions are admitted by priority (highest first), then by age (oldest
 *   first); the rest are paused at 0 W until a share frees up. A newer session never takes an
 *   older one's minimum away.
 * - Unused share: a session whose EV draws clearly less than its limit (under DRAW_RATIO of it)
 *   is capped at its draw plus HEADROOM; what it leaves goes to the others by weight. Once it draws
 *   close to its limit again (LIFT_RATIO of it), the cap is lifted at the next division; in between
 *   it keeps the limit it has, so a capped session does not swing between two shares.
 * - Shares are whole watts, rounded down: their sum never exceeds the limit.
 */

/** A session draws "clearly less" than its limit below this fraction of it. */
export const DRAW_RATIO = 0.8;
/** A session capped by its draw gets this much more than it draws. */
export const HEADROOM = 1.1;
/** A session drawing at least this fraction of its limit counts as wanting more (above 1 / HEADROOM). */
export const LIFT_RATIO = 0.95;
/** A share changes on the charger only when it moves by more than this (W) ... */
export const TOLERANCE_W = 100;
/** ... and by more than this fraction of the share it has. */
export const TOLERANCE_RATIO = 0.02;

export interface SiteLimits {
  gridLimitW: number;
  /** 0: no minimum. */
  minPerSessionW: number;
}

export interface LoadSession {
  transactionId: number;
  /** Its charge point's priority (negative counts as 0). */
  priority: number;
  /** When it started (ISO): the older of two equal-priority sessions is admitted first. */
  startedAt: string;
  /** What its EV draws now (W, Power.Active.Import); null: not known. */
  drawW: number | null;
  /** The limit it runs under now (W); null: none sent yet. */
  limitW: number | null;
}

const weight = (s: LoadSession) => Math.max(0, Math.floor(s.priority)) + 1;

/** Admission order: highest priority, then oldest, then lowest transaction id. */
function admissionOrder(a: LoadSession, b: LoadSession): number {
  return b.priority - a.priority || Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.transactionId - b.transactionId;
}

/**
 * The most a session is given: its draw plus headroom when it draws clearly less than its limit,
 * the limit it has while it draws between that and close to it, else unbounded.
 */
export function demandOf(s: LoadSession, minW: number): number {
  if (s.drawW === null || s.drawW < 0) return Number.POSITIVE_INFINITY;
  const limit = s.limitW ?? Number.POSITIVE_INFINITY;
  if (s.drawW >= LIFT_RATIO * limit) return Number.POSITIVE_INFINITY;
  if (s.drawW >= DRAW_RATIO * limit) return Math.max(minW, limit);
  return Math.max(minW, Math.ceil(s.drawW * HEADROOM));
}

/**
 * Each session's share of the grid limit (W, whole), by transaction id: weighted water-filling
 * between each session's minimum and its demand; a paused session gets 0.
 */
export function divide(site: SiteLimits, sessions: readonly LoadSession[]): Map<number, number> {
  const shares = new Map<number, number>();
  const limit = Math.max(0, Math.floor(site.gridLimitW));
  const minW = Math.max(0, Math.floor(site.minPerSessionW));
  const ordered = [...sessions].sort(admissionOrder);
  const room = minW > 0 ? Math.min(ordered.length, Math.floor(limit / minW)) : ordered.length;
  const admitted = ordered.slice(0, room);
  for (const s of ordered.slice(room)) shares.set(s.transactionId, 0);
  if (admitted.length === 0) return shares;

  const caps = admitted.map((s) => demandOf(s, minW));
  const weights = admitted.map(weight);
  // The share at level λ: λ·weight, held between the minimum and the demand. Increasing in λ.
  const at = (lambda: number) => admitted.map((_, i) => Math.min(caps[i]!, Math.max(minW, lambda * weights[i]!)));
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  let x: number[];
  if (total(at(limit)) <= limit) {
    // Every demand fits: what is left goes to all by weight (a demand is only an estimate).
    x = at(limit);
    const spare = limit - total(x);
    const w = total(weights);
    x = x.map((v, i) => v + (spare * weights[i]!) / w);
  } else {
    let lo = 0;
    let hi = limit;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (total(at(mid)) > limit) hi = mid;
      else lo = mid;
    }
    x = at(lo);
  }
  admitted.forEach((s, i) => shares.set(s.transactionId, Math.floor(x[i]!)));
  return shares;
}

/** True when a share moved enough to send it: more than TOLERANCE_W and TOLERANCE_RATIO of the old one. */
export function changedEnough(previousW: number | null, nextW: number): boolean {
  if (previousW === null) return true;
  const delta = Math.abs(nextW - previousW);
  return delta > TOLERANCE_W && delta > TOLERANCE_RATIO * previousW;
}

export interface ShareChange {
  transactionId: number;
  limitW: number;
}

/**
 * The limits to send: every share that moved enough, plus small decreases when skipping them would
 * leave the limits in force above the grid limit. Decreases (and first limits) come first: the caller sends them and
 * waits before it sends the increases, so the sum in force never exceeds the limit on the way.
 */
export function plan(gridLimitW: number, previous: ReadonlyMap<number, number | null>, next: ReadonlyMap<number, number>): { decreases: ShareChange[]; increases: ShareChange[] } {
  const send = new Set<number>();
  for (const [tx, limitW] of next) if (changedEnough(previous.get(tx) ?? null, limitW)) send.add(tx);
  const inForce = () => [...next].reduce((sum, [tx, limitW]) => sum + (send.has(tx) ? limitW : (previous.get(tx) ?? limitW)), 0);
  if (inForce() > gridLimitW) {
    for (const [tx, limitW] of next) if ((previous.get(tx) ?? limitW) > limitW) send.add(tx);
  }
  const decreases: ShareChange[] = [];
  const increases: ShareChange[] = [];
  for (const tx of send) {
    const limitW = next.get(tx)!;
    const before = previous.get(tx) ?? null;
    // A session without a limit yet draws what it likes: limiting it is a decrease too.
    (before === null || limitW < before ? decreases : increases).push({ transactionId: tx, limitW });
  }
  return { decreases, increases };
}
