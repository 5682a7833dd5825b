/**
 * One timer for the whole fleet: a binary min-heap of due times on a single setTimeout. Thousands of
 * chargers share it instead of each holding its own intervals. Entries are plain records (no closures):
 * the owner dispatches on `kind`; stale entries are skipped by generation number.
 */
import { performance } from 'node:perf_hooks';

export interface Scheduled<T> {
  /** performance.now() at which it is due. */
  at: number;
  kind: number;
  target: T;
  /** The target's generation when scheduled; a mismatch at fire time means "cancelled". */
  gen: number;
  seq: number;
}

export interface Scheduler<T> {
  /** Schedules `kind` for `target` at `at` (performance.now() time base). */
  at(at: number, kind: number, target: T, gen: number): void;
  /** Entries waiting. */
  readonly size: number;
  /** Stops the timer and drops every entry. */
  clear(): void;
}

/** `fire(entry, lateMs)` runs each due entry in time order; it is told the scheduled time via entry.at. */
export function createScheduler<T>(fire: (entry: Scheduled<T>) => void): Scheduler<T> {
  const heap: Scheduled<T>[] = [];
  let timer: NodeJS.Timeout | null = null;
  let armedFor = Infinity;
  let seq = 0;

  const less = (x: Scheduled<T>, y: Scheduled<T>): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq);

  function push(e: Scheduled<T>): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }

  function pop(): Scheduled<T> | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }

  function arm(): void {
    const head = heap[0];
    if (!head) return;
    if (timer && head.at >= armedFor) return;
    if (timer) clearTimeout(timer);
    armedFor = head.at;
    timer = setTimeout(run, Math.max(0, head.at - performance.now()));
  }

  function run(): void {
    timer = null;
    armedFor = Infinity;
    const now = performance.now();
    // Bounded batch per tick so a burst (ramp-up, reconnect storm) cannot starve the socket I/O.
    for (let n = 0; n < 2000 && heap.length > 0 && heap[0].at <= now + 1; n++) fire(pop()!);
    arm();
  }

  return {
    at(at, kind, target, gen) {
      push({ at, kind, target, gen, seq: seq++ });
      arm();
    },
    get size() {
      return heap.length;
    },
    clear() {
      if (timer) clearTimeout(timer);
      timer = null;
      armedFor = Infinity;
      heap.length = 0;
    },
  };
}
