import { performance } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { createRandom } from '../../src/simulator/random.ts';
import { createScheduler } from '../../src/simulator/scheduler.ts';

describe('seeded randomness', () => {
  it('repeats with the same seed and differs with another; forks are independent of call order', () => {
    const seq = (seed: number) => Array.from({ length: 5 }, createRandom(seed).next);
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    const a = createRandom(1);
    a.next();
    expect(a.fork('x').next()).toBe(createRandom(1).fork('x').next());
    const r = createRandom(9);
    for (let i = 0; i < 1000; i++) expect(r.int(2, 4)).toBeGreaterThanOrEqual(2);
  });
});

describe('scheduler', () => {
  it('fires entries in due order on one timer and skips nothing', async () => {
    const fired: number[] = [];
    const s = createScheduler<{ id: number }>((e) => fired.push(e.target.id));
    const now = performance.now();
    for (const [id, at] of [[1, 30], [2, 10], [3, 20], [4, 10]] as const) s.at(now + at, 0, { id }, 0);
    expect(s.size).toBe(4);
    await vi.waitFor(() => expect(fired).toHaveLength(4), { timeout: 30_000 });
    expect(fired).toEqual([2, 4, 3, 1]);
    s.clear();
  });
});
