/**
 * The embedded broker (ENABLE_RABBITMQ=false): an in-process queue with the same contract as the
 * RabbitMQ one. Events are drained in batches on a later turn of the event loop, so the gateway's
 * reply never waits for the processor. A failed event is retried a bounded number of times with a
 * delay, then kept as a dead letter; it never blocks the events behind it.
 */
import type { BatchOutcome, Broker, DeadLetter, Delivery } from '../domain/ports.ts';
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
  onError?: (err: unknown) => void;
}

export function createMemoryBroker(opts: MemoryBrokerOptions = {}): Broker {
  const batchSize = opts.batchSize ?? 200;
  const maxAttempts = opts.maxAttempts ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const highWater = opts.highWater ?? 5000;
  const lowWater = opts.lowWater ?? 1000;
  let relief: { promise: Promise<void>; resolve: () => void } | null = null;
  let queue: Delivery<OcppEvent>[] = [];
  const dead: DeadLetter[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  let eventHandler: ((batch: Delivery<OcppEvent>[]) => Promise<BatchOutcome>) | null = null;
  const notificationHandlers: ((n: Notification) => void)[] = [];
  let scheduled = false;
  let draining = false;
  let closed = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  function schedule(): void {
    if (scheduled || closed || !eventHandler) return;
    scheduled = true;
    setImmediate(drain);
  }

  function retryLater(d: Delivery<OcppEvent>, error: unknown): void {
    const attempts = d.attempts + 1;
    if (attempts >= maxAttempts) {
      dead.push({ event: d.body, error: String((error as Error)?.message ?? error), attempts, at: new Date().toISOString() });
      return;
    }
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      queue.push({ body: d.body, redelivered: true, attempts });
      schedule();
    }, retryDelayMs * attempts);
    retryTimers.add(timer);
  }

  async function drain(): Promise<void> {
    scheduled = false;
    if (draining || !eventHandler) return;
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, batchSize);
        inFlight = batch.length;
        try {
          const outcome = await eventHandler(batch);
          for (const f of outcome.failed) {
            opts.onError?.(f.error);
            retryLater(f.delivery, f.error);
          }
        } catch (err) {
          // Nothing of the batch was committed: every delivery comes again, counted as a failure.
          opts.onError?.(err);
          for (const d of batch) retryLater(d, err);
        }
        inFlight = 0;
        if (relief && queue.length < lowWater) {
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

  return {
    kind: 'memory',
    async start() {},
    async close() {
      // Drain what was accepted before closing: nothing accepted is lost on a clean shutdown.
      if (eventHandler && (queue.length > 0 || draining)) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          schedule();
          setTimeout(resolve, 5000).unref();
        });
      }
      closed = true;
      relief?.resolve();
      relief = null;
      for (const t of retryTimers) clearTimeout(t);
      retryTimers.clear();
    },
    publishEvent(event) {
      queue.push({ body: event, redelivered: false, attempts: 0 });
      schedule();
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
      return queue.length + inFlight + retryTimers.size;
    },
    pressure() {
      if (relief) return relief.promise;
      if (queue.length < highWater || closed) return null;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      relief = { promise, resolve };
      return promise;
    },
    publishAudit() {
      // One node, one database: the command audit table and the notifications are the trail.
    },
    async deadLetters() {
      return [...dead];
    },
    async replayDeadLetters() {
      const replay = dead.splice(0);
      for (const d of replay) queue.push({ body: d.event, redelivered: true, attempts: 0 });
      schedule();
      return replay.length;
    },
    health() {
      return { ok: !closed, detail: closed ? 'closed' : 'embedded' };
    },
  };
}
