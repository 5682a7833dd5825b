/**
 * The embedded broker (ENABLE_RABBITMQ=false): an in-process queue with the same contract as the
 * RabbitMQ one. With a journal (the server always gives it one) every accepted event is first
 * written to SQLite by group commit: the events published in one turn of the event loop share one
 * transaction, and each publisher's promise resolves once that transaction has committed. Events
 * then go to the processor in batches; a processed event is forgotten in the next commit, a failed
 * one is retried a bounded number of times with a delay, then kept as a dead letter (in the journal,
 * so it survives a restart); it never blocks the events behind it. At start, what the journal still
 * holds (a crash, or a stop that could not drain in time) is processed again; the processor skips
 * event ids it has already applied.
 */
import { createStoreBackoff } from './store-backoff.ts';
import { systemClock, type BatchOutcome, type Broker, type Clock, type DeadLetter, type Delivery, type EventJournalRepo, type JournalEntry } from '../domain/ports.ts';
import { isStoreUnavailable } from '../domain/errors.ts';
import type { Notification, OcppEvent } from '../domain/types.ts';

export interface MemoryBrokerOptions {
  /** Largest batch handed to the event consumer at once. */
  batchSize?: number;
  /** Backlog at which publishers are asked to wait (see Broker.pressure). */
  highWater?: number;
  /** Backlog under which they may go on. */
  lowWater?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** Where accepted events are kept until processed. Without one they live in memory only. */
  journal?: EventJournalRepo;
  onError?: (err: unknown) => void;
  /** Dates journal writes and dead letters (default: the wall clock). */
  clock?: Clock;
}

interface Item {
  delivery: Delivery<OcppEvent>;
  /** Its journal entry, or null without a journal. */
  seq: number | null;
}

interface Write {
  event: OcppEvent;
  body: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const DURABLE = Promise.resolve();

export function createMemoryBroker(opts: MemoryBrokerOptions = {}): Broker {
  const batchSize = opts.batchSize ?? 200;
  const maxAttempts = opts.maxAttempts ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const highWater = opts.highWater ?? 5000;
  const lowWater = opts.lowWater ?? 1000;
  const journal = opts.journal ?? null;
  const clock = opts.clock ?? systemClock;
  let relief: { promise: Promise<void>; resolve: () => void } | null = null;
  const queue: Item[] = [];
  const dead: DeadLetter[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  let eventHandler: ((batch: Delivery<OcppEvent>[]) => Promise<BatchOutcome>) | null = null;
  const notificationHandlers: ((n: Notification) => void)[] = [];
  /** Group commit: what the next journal transaction writes, forgets and marks dead. */
  let writes: Write[] = [];
  let done: number[] = [];
  let dying: { seq: number; error: string; attempts: number }[] = [];
  let commitScheduled = false;
  let commitRetry: NodeJS.Timeout | null = null;
  let scheduled = false;
  let draining = false;
  /** close() has given up waiting: no new batch starts (what is left stays in the journal). */
  let stopping = false;
  let closed = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  /** Set while the database is unreachable: draining waits for `storeRetry`. */
  const storeBackoff = createStoreBackoff();
  let storeRetry: NodeJS.Timeout | null = null;

  function waitForStore(): void {
    if (storeRetry || closed) return;
    storeRetry = setTimeout(() => {
      storeRetry = null;
      schedule();
    }, storeBackoff.next());
  }

  function schedule(): void {
    if (scheduled || closed || stopping || !eventHandler || storeRetry) return;
    scheduled = true;
    setImmediate(drain);
  }

  function scheduleCommit(): void {
    if (commitScheduled || !journal) return;
    commitScheduled = true;
    setImmediate(async () => void await commit());
  }

  /**
   * One journal transaction for everything gathered since the last one. Commits run one after
   * another: events enter the queue in the order they were accepted.
   */
  let committing: Promise<void> = DURABLE;
  function commit(): Promise<void> {
    committing = committing.then(commitNow);
    return committing;
  }

  async function commitNow(): Promise<void> {
    commitScheduled = false;
    if (!journal || (writes.length === 0 && done.length === 0 && dying.length === 0)) return;
    const batch = writes;
    const forget = done;
    const died = dying;
    writes = [];
    done = [];
    dying = [];
    let seqs: number[];
    try {
      seqs = await journal.write({ append: batch.map((w) => w.body), done: forget, dead: died }, clock.now().toISOString());
    } catch (err) {
      // Not durable, so not accepted: the publishers answer with an error and the charger retries.
      opts.onError?.(err);
      for (const w of batch) w.reject(err);
      // Forgetting can wait: an event processed twice changes nothing (the processor deduplicates).
      done = forget.concat(done);
      dying = died.concat(dying);
      if (!commitRetry && !closed) {
        commitRetry = setTimeout(() => {
          commitRetry = null;
          scheduleCommit();
        }, 1000);
        commitRetry.unref();
      }
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      queue.push({ delivery: { body: batch[i].event, redelivered: false, attempts: 0 }, seq: seqs[i] });
      batch[i].resolve();
    }
    if (batch.length > 0) schedule();
  }

  function toDead(item: Item, error: string, attempts: number): void {
    if (item.seq !== null) {
      dying.push({ seq: item.seq, error, attempts });
      scheduleCommit();
    } else {
      dead.push({ event: item.delivery.body, error, attempts, at: clock.now().toISOString() });
    }
  }

  function retryLater(item: Item, error: unknown): void {
    if (closed) return; // still in the journal: tried again after the next start
    const attempts = item.delivery.attempts + 1;
    if (attempts >= maxAttempts) {
      toDead(item, String((error as Error)?.message ?? error), attempts);
      return;
    }
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      queue.push({ delivery: { body: item.delivery.body, redelivered: true, attempts }, seq: item.seq });
      schedule();
    }, retryDelayMs * attempts);
    retryTimers.add(timer);
  }

  async function drain(): Promise<void> {
    scheduled = false;
    if (draining || !eventHandler) return;
    draining = true;
    try {
      while (queue.length > 0 && !stopping) {
        const batch = queue.splice(0, batchSize);
        inFlight = batch.length;
        let failed = new Map<Delivery<OcppEvent>, unknown>();
        try {
          const outcome = await eventHandler(batch.map((i) => i.delivery));
          failed = new Map(outcome.failed.map((f) => [f.delivery, f.error]));
          storeBackoff.reset();
        } catch (err) {
          if (isStoreUnavailable(err)) {
            // The database is away: the batch goes back in front, in order, uncounted, and the
            // next try waits a little longer each time (store-backoff.ts).
            queue.unshift(...batch);
            inFlight = 0;
            opts.onError?.(err);
            waitForStore();
            return;
          }
          // Nothing of the batch was committed: every delivery comes again, counted as a failure.
          for (const i of batch) failed.set(i.delivery, err);
        }
        for (const item of batch) {
          if (failed.has(item.delivery)) {
            opts.onError?.(failed.get(item.delivery));
            retryLater(item, failed.get(item.delivery));
          } else if (item.seq !== null) {
            done.push(item.seq);
          }
        }
        scheduleCommit();
        inFlight = 0;
        if (relief && queue.length + writes.length < lowWater) {
          relief.resolve();
          relief = null;
        }
        // Let sockets have a turn between batches: a long backlog must not hold up chargers' replies.
        if (queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      draining = false;
      if (queue.length === 0 && idle) {
        idle();
        idle = null;
      }
    }
  }

  function parse(entry: JournalEntry): OcppEvent | null {
    try {
      return JSON.parse(entry.body) as OcppEvent;
    } catch {
      return null;
    }
  }

  return {
    kind: 'memory',
    async start() {
      if (!journal) return;
      // What a previous process accepted and did not get to process: first in line.
      for (const entry of await journal.pending()) {
        const event = parse(entry);
        if (event) queue.push({ delivery: { body: event, redelivered: true, attempts: entry.attempts }, seq: entry.seq });
        else dying.push({ seq: entry.seq, error: 'journal entry is not valid JSON', attempts: entry.attempts });
      }
      if (dying.length > 0) await commit();
      schedule();
    },
    async close() {
      if (closed) return;
      // Make what was accepted durable, then drain it: nothing accepted is lost on a clean shutdown
      // (and what does not drain in time stays in the journal for the next start).
      await commit();
      if (eventHandler && (queue.length > 0 || draining)) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          schedule();
          setTimeout(resolve, 5000).unref();
        });
      }
      // No new batch after this; the one under way (if the wait timed out) finishes first.
      stopping = true;
      while (draining) await new Promise<void>((resolve) => setTimeout(resolve, 5));
      await commit();
      closed = true;
      if (commitRetry) clearTimeout(commitRetry);
      if (storeRetry) clearTimeout(storeRetry);
      storeRetry = null;
      relief?.resolve();
      relief = null;
      for (const t of retryTimers) clearTimeout(t);
      retryTimers.clear();
    },
    publishEvent(event) {
      if (closed) return Promise.reject(new Error('broker closed'));
      if (!journal) {
        queue.push({ delivery: { body: event, redelivered: false, attempts: 0 }, seq: null });
        schedule();
        return DURABLE;
      }
      let body: string;
      try {
        body = JSON.stringify(event);
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<void>((resolve, reject) => {
        writes.push({ event, body, resolve, reject });
        scheduleCommit();
      });
    },
    consumeEvents(handler) {
      eventHandler = handler;
      schedule();
    },
    publishNotification(n) {
      for (const h of notificationHandlers) {
        try {
          h(n);
        } catch (err) {
          opts.onError?.(err);
        }
      }
    },
    consumeNotifications(handler) {
      notificationHandlers.push(handler);
    },
    backlog() {
      return writes.length + queue.length + inFlight + retryTimers.size;
    },
    pressure() {
      if (relief) return relief.promise;
      if (queue.length + writes.length < highWater || closed) return null;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      relief = { promise, resolve };
      return promise;
    },
    publishAudit() {
      // One node, one database: the command audit table and the notifications are the trail.
    },
    async deadLetters() {
      if (!journal) return [...dead];
      return (await journal.dead()).flatMap((e) => {
        const event = parse(e);
        return event ? [{ event, error: e.deadError ?? '', attempts: e.attempts, at: e.createdAt }] : [];
      });
    },
    async replayDeadLetters() {
      if (!journal) {
        const replay = dead.splice(0);
        for (const d of replay) queue.push({ delivery: { body: d.event, redelivered: true, attempts: 0 }, seq: null });
        schedule();
        return replay.length;
      }
      await commit(); // dead letters still on their way to the journal are marked first
      const revived = await journal.revive();
      for (const e of revived) {
        const event = parse(e);
        if (event) queue.push({ delivery: { body: event, redelivered: true, attempts: 0 }, seq: e.seq });
      }
      schedule();
      return revived.length;
    },
    health() {
      return { ok: !closed, detail: closed ? 'closed' : 'embedded' };
    },
  };
}
