/**
 * Notifications the run expects, and the deadline after which a missing one counts as lost.
 * Each watcher (a customer or an admin) holds FIFO lists keyed by what identifies the change
 * (`m|<sessionId>` for meter values, `c|<cp>|<connector>` for a connector status, ...). With
 * Socket.io a notification resolves the entry that matches it exactly; with polling a poll
 * resolves every entry that the state it shows has caught up with (value ≤ shown).
 */
import { performance } from 'node:perf_hooks';
import type { Metrics } from './metrics.ts';

export interface Expectation {
  watcher: Watcher;
  key: string;
  /** `notify.<type>` latency key. */
  metric: string;
  /** Energy (Wh) for meter values, the charger's timestamp (ms) for statuses, 0 otherwise. */
  value: number;
  /** The status for statuses, '' otherwise. */
  tag: string;
  /** performance.now() of the CALL's scheduled send. */
  sentAt: number;
  done: boolean;
}

export interface Watcher {
  readonly pending: Map<string, Expectation[]>;
  /**
   * Extra time before a loss: a poller sees a change only at its next poll, so it gets one poll
   * interval on top of the deadline; a Socket.io listener gets none.
   */
  readonly graceMs: number;
}

export interface Expectations {
  /** Registers an expectation for `watcher`; returns it so a failed send can cancel it. */
  expect(watcher: Watcher, key: string, metric: string, sentAt: number, value?: number, tag?: string): Expectation;
  /** A send that failed before the CSMS could act on it: nothing to wait for. */
  cancel(e: Expectation): void;
  /** Resolves the oldest pending entry under `key` for which `match` holds; false when none did. */
  resolve(watcher: Watcher, key: string, match: (e: Expectation) => boolean, at?: number): boolean;
  /** Polling: resolves every entry under `key` whose value is ≤ `shown`. */
  resolveUpTo(watcher: Watcher, key: string, shown: number, at?: number): number;
  /** Marks entries past their deadline as lost. */
  sweep(now?: number): void;
  /** Pending, not yet lost. */
  readonly outstanding: number;
  /** Counts everything still pending as lost (end of the run). */
  expireAll(): void;
  /** Lost expectations by latency key (`notify.meter.values`: 3). */
  lostByKey(): Record<string, number>;
}


export function createExpectations(metrics: Metrics, deadlineMs: number): Expectations {
  // In registration order; deadlines are sentAt + a constant, so the head always expires first
  // (give or take a scheduling hiccup, which only delays a loss by one sweep).
  const queue: Expectation[] = [];
  let head = 0;
  let outstanding = 0;
  const lost = new Map<string, number>();

  function lose(e: Expectation): void {
    metrics.counters.lost++;
    lost.set(e.metric, (lost.get(e.metric) ?? 0) + 1);
    finish(e);
  }

  function finish(e: Expectation): void {
    e.done = true;
    outstanding--;
    const list = e.watcher.pending.get(e.key);
    if (!list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) e.watcher.pending.delete(e.key);
  }

  function received(e: Expectation, at: number): void {
    metrics.latency(e.metric, at - e.sentAt);
    metrics.counters.received++;
    finish(e);
  }

  return {
    get outstanding() {
      return outstanding;
    },
    expect(watcher, key, metric, sentAt, value = 0, tag = '') {
      const e: Expectation = { watcher, key, metric, value, tag, sentAt, done: false };
      let list = watcher.pending.get(key);
      if (!list) watcher.pending.set(key, (list = []));
      list.push(e);
      queue.push(e);
      outstanding++;
      metrics.counters.expected++;
      return e;
    },
    cancel(e) {
      if (e.done) return;
      metrics.counters.expected--;
      finish(e);
    },
    resolve(watcher, key, match, at = performance.now()) {
      const list = watcher.pending.get(key);
      if (!list) return false;
      const e = list.find(match);
      if (!e) return false;
      received(e, at);
      return true;
    },
    resolveUpTo(watcher, key, shown, at = performance.now()) {
      const list = watcher.pending.get(key);
      if (!list) return 0;
      let n = 0;
      for (const e of list.filter((x) => x.value <= shown)) {
        received(e, at);
        n++;
      }
      return n;
    },
    sweep(now = performance.now()) {
      while (head < queue.length) {
        const e = queue[head];
        if (!e.done) {
          if (now - e.sentAt < deadlineMs + e.watcher.graceMs) break;
          lose(e);
        }
        head++;
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
    },
    expireAll() {
      for (let i = head; i < queue.length; i++) {
        const e = queue[i];
        if (!e.done) lose(e);
      }
      queue.length = 0;
      head = 0;
    },
    lostByKey() {
      return Object.fromEntries(lost);
    },
  };
}
