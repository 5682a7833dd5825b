/** How a station's grid limit is divided: equal shares, weights, minimums, unused shares, and what is sent. */
import { describe, expect, it } from 'vitest';
import { changedEnough, divide, plan, type LoadSession } from '../../../src/csms/domain/load-management.ts';

let seq = 0;
function aSession(overrides: Partial<LoadSession> = {}): LoadSession {
  seq++;
  return { transactionId: seq, priority: 0, startedAt: new Date(Date.UTC(2024, 4, 1, 12, 0, seq)).toISOString(), drawW: null, limitW: null, ...overrides };
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('divide', () => {
  it('gives equal shares in whole watts that never add up to more than the limit', () => {
    const sessions = [aSession(), aSession(), aSession()];
    const shares = divide({ gridLimitW: 10_000, minPerSessionW: 0 }, sessions);
    expect([...shares.values()]).toEqual([3333, 3333, 3333]);
    expect(sum(shares)).toBeLessThanOrEqual(10_000);
    expect(divide({ gridLimitW: 10_000, minPerSessionW: 0 }, [])).toEqual(new Map());
  });

  it('weights shares by priority + 1', () => {
    const low = aSession({ priority: 0 });
    const high = aSession({ priority: 2 });
    const shares = divide({ gridLimitW: 12_000, minPerSessionW: 0 }, [low, high]);
    expect(shares.get(low.transactionId)).toBe(3000);
    expect(shares.get(high.transactionId)).toBe(9000);
  });

  it('holds every admitted session at its minimum or above, taking it from heavier weights', () => {
    const low = aSession({ priority: 0 });
    const high = aSession({ priority: 9 });
    const shares = divide({ gridLimitW: 11_000, minPerSessionW: 2_000 }, [low, high]);
    // 1:10 would give the low one 1000 W: it gets its minimum, the rest goes to the other.
    expect(shares.get(low.transactionId)).toBe(2000);
    expect(shares.get(high.transactionId)).toBe(9000);
  });

  it('pauses the newest sessions at 0 W when the limit cannot give every session its minimum, priority first', () => {
    const oldest = aSession();
    const middle = aSession();
    const newest = aSession();
    const shares = divide({ gridLimitW: 4_500, minPerSessionW: 2_000 }, [newest, middle, oldest]);
    expect(shares.get(oldest.transactionId)).toBe(2250);
    expect(shares.get(middle.transactionId)).toBe(2250);
    expect(shares.get(newest.transactionId)).toBe(0);
    // A higher priority is admitted before an older session.
    const urgent = aSession({ priority: 1 });
    const again = divide({ gridLimitW: 4_500, minPerSessionW: 2_000 }, [oldest, middle, urgent]);
    expect(again.get(urgent.transactionId)).toBeGreaterThanOrEqual(2000);
    expect(again.get(middle.transactionId)).toBe(0);
    expect(sum(again)).toBeLessThanOrEqual(4_500);
  });

  it('gives what an EV leaves unused to the others, and lifts the cap once it draws close to it', () => {
    const slow = aSession({ drawW: 2_000, limitW: 5_500 });
    const busy = aSession({ drawW: 5_400, limitW: 5_500 });
    const shares = divide({ gridLimitW: 11_000, minPerSessionW: 0 }, [slow, busy]);
    expect(shares.get(slow.transactionId)).toBe(2200);
    expect(shares.get(busy.transactionId)).toBe(8800);
    // Drawing steadily under its cap, it keeps it: no swing back to an equal share at the next reading.
    const steady = divide({ gridLimitW: 11_000, minPerSessionW: 0 }, [{ ...slow, drawW: 2_000, limitW: 2_200 }, { ...busy, drawW: 8_700, limitW: 8_800 }]);
    expect([...steady.values()]).toEqual([2200, 8800]);
    // Close to its cap, the slow one counts as wanting more again.
    const ramped = divide({ gridLimitW: 11_000, minPerSessionW: 0 }, [{ ...slow, drawW: 2_150, limitW: 2_200 }, { ...busy, drawW: 8_700, limitW: 8_800 }]);
    expect([...ramped.values()]).toEqual([5500, 5500]);
  });

  it('spreads what is left when every demand fits', () => {
    const a = aSession({ drawW: 1_000, limitW: 5_000 });
    const b = aSession({ drawW: 1_000, limitW: 5_000 });
    const shares = divide({ gridLimitW: 10_000, minPerSessionW: 0 }, [a, b]);
    expect([...shares.values()]).toEqual([5000, 5000]);
  });
});

describe('changedEnough and plan', () => {
  it('sends only shares that moved by more than the tolerance', () => {
    expect(changedEnough(null, 5000)).toBe(true);
    expect(changedEnough(5000, 5050)).toBe(false);
    expect(changedEnough(5000, 5200)).toBe(true);
    expect(changedEnough(20_000, 20_300)).toBe(false);
  });

  it('sends decreases and first limits before increases', () => {
    const previous = new Map<number, number | null>([[1, 11_000], [2, null], [3, 3_000]]);
    const next = new Map([[1, 5_000], [2, 5_000], [3, 6_000]]);
    const { decreases, increases } = plan(16_000, previous, next);
    expect(decreases).toEqual([{ transactionId: 1, limitW: 5_000 }, { transactionId: 2, limitW: 5_000 }]);
    expect(increases).toEqual([{ transactionId: 3, limitW: 6_000 }]);
  });

  it('sends a small decrease when skipping it would leave the limits above the grid limit', () => {
    const previous = new Map<number, number | null>([[1, 5_050], [2, 4_000]]);
    const next = new Map([[1, 5_000], [2, 5_000]]);
    const { decreases, increases } = plan(10_000, previous, next);
    expect(decreases).toEqual([{ transactionId: 1, limitW: 5_000 }]);
    expect(increases).toEqual([{ transactionId: 2, limitW: 5_000 }]);
    // With room to spare the 50 W is not worth a message.
    expect(plan(20_000, previous, next).decreases).toEqual([]);
  });
});
