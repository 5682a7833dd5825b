/**
 * The OCPP message processor: consumes event batches from the broker, applies each in one database
 * transaction per batch (a savepoint per event, so one poison event fails alone), and publishes
 * notifications only after the commit. Idempotent: a redelivered event id is skipped.
 */
import type { AutoStop, Charging } from '../domain/charging.ts';
import { isStoreUnavailable } from '../domain/errors.ts';
import { notify } from '../domain/notifications.ts';
import type { BatchOutcome, Broker, Clock, Delivery, Store } from '../domain/ports.ts';
import type { Notification, OcppEvent, OcppMessageLogEntry } from '../domain/types.ts';
import { applyEvent } from './apply-event.ts';

/** How long processed event ids are remembered for deduplication. */
export const DEDUP_WINDOW_MS = 3_600_000;

export interface ProcessorOptions {
  store: Store;
  charging: Charging;
  broker: Broker;
  clock: Clock;
  /**
   * Batches applied at the same time (each is one transaction on a connection of its own). The
   * RabbitMQ broker hands over a batch per shard; more at once than this wait their turn, so the
   * gateway and the API keep connections of the pool. Default 4.
   */
  concurrency?: number;
  /** OCPP message log rows kept per charge point. */
  messageLogRetention: number;
  /** How often dashboard.stats is pushed to the CMS dashboard room (when something changed). */
  statsIntervalMs?: number;
  onError?: (err: unknown, event: OcppEvent) => void;
  /** Asks a charger to stop a transaction (its customer's balance is used up); called after the commit. */
  requestStop?: (stop: AutoStop) => void;
  /**
   * Charge points whose sessions started, stopped or reported a reading in a batch; called after
   * the commit (load management divides their stations again).
   */
  sessionsChanged?: (chargePointIds: string[]) => void;
}

const SESSION_ACTIONS: ReadonlySet<string> = new Set(['StartTransaction', 'StopTransaction', 'MeterValues']);

/**
 * The charge points of a batch's session events this pass applied (not a duplicate's, nor a failed
 * one's: a redelivery must not divide a station again), and of sessions the CSMS closed while applying it.
 */
function sessionChanges(batch: Delivery<OcppEvent>[], applied: ReadonlySet<string>, notes: Notification[]): string[] {
  const ids = new Set<string>();
  for (const { body } of batch) if (applied.has(body.eventId) && body.kind === 'call' && body.error === null && SESSION_ACTIONS.has(body.action)) ids.add(body.chargePointId);
  for (const n of notes) if (n.type === 'charging.stopped' && typeof n.data.chargePointId === 'string') ids.add(n.data.chargePointId);
  return [...ids];
}

export interface ProcessorStats {
  processed: number;
  duplicates: number;
  failed: number;
  /** Batches handed back because the database did not answer (tried again later, uncounted). */
  storeUnavailable: number;
  /** Batches waiting for a slot right now (more arrived at once than `concurrency` allows). */
  waiting: number;
}

export function createProcessor(opts: ProcessorOptions) {
  const { store, charging, broker, clock } = opts;
  const stats: ProcessorStats = { processed: 0, duplicates: 0, failed: 0, storeUnavailable: 0, waiting: 0 };
  const timers: NodeJS.Timeout[] = [];
  let lastStatsVersion = -1;
  /** When each charge point's last_seen_at was last written: once every few seconds is enough. */
  const seen = new Map<string, number>();

  /** Applies the batch in one transaction; throws if any event fails (nothing is then kept). */
  async function applyAll(batch: Delivery<OcppEvent>[], now: string, notes: Notification[], log: Omit<OcppMessageLogEntry, 'id'>[], stops: AutoStop[], applied: Set<string>): Promise<number> {
    let duplicates = 0;
    await store.transaction(async () => {
      // Every id of the batch in one statement; an id listed twice is applied once.
      const claimed = await store.events.claimMany(batch.map((d) => d.body.eventId), now);
      for (const { body } of batch) {
        if (!claimed.delete(body.eventId)) duplicates++;
        else {
          await applyEvent(body, { store, charging, now, log, notes, seen, stops });
          applied.add(body.eventId);
        }
      }
      if (log.length > 0) await store.messages.insertMany(log);
    });
    return duplicates;
  }

  /** The slow path once a batch failed: a savepoint per event, so a poison event fails alone. */
  async function applyOneByOne(batch: Delivery<OcppEvent>[], now: string, notes: Notification[], log: Omit<OcppMessageLogEntry, 'id'>[], stops: AutoStop[], applied: Set<string>): Promise<{ duplicates: number; failed: BatchOutcome['failed'] }> {
    let duplicates = 0;
    const failed: BatchOutcome['failed'] = [];
    await store.transaction(async () => {
      for (const delivery of batch) {
        const ev = delivery.body;
        const mark = { notes: notes.length, log: log.length, stops: stops.length };
        try {
          await store.transaction(async () => {
            if (!await store.events.claim(ev.eventId, now)) duplicates++;
            else {
              await applyEvent(ev, { store, charging, now, log, notes, seen, stops });
              applied.add(ev.eventId);
            }
          });
        } catch (error) {
          // The database went away: not this event's fault, and the rest cannot be applied either.
          if (isStoreUnavailable(error)) throw error;
          // The savepoint rolled back this event only; drop what it had queued and report it.
          applied.delete(ev.eventId);
          notes.length = mark.notes;
          log.length = mark.log;
          stops.length = mark.stops;
          failed.push({ delivery, error });
          opts.onError?.(error, ev);
        }
      }
      if (log.length > 0) await store.messages.insertMany(log);
    });
    return { duplicates, failed };
  }

  const slots = { free: Math.max(1, opts.concurrency ?? 4), waiting: [] as (() => void)[] };

  async function handle(batch: Delivery<OcppEvent>[]): Promise<BatchOutcome> {
    if (slots.free > 0) slots.free--;
    else {
      stats.waiting++;
      await new Promise<void>((resolve) => slots.waiting.push(resolve));
      stats.waiting--;
    }
    try {
      return await handleBatch(batch);
    } catch (err) {
      if (isStoreUnavailable(err)) stats.storeUnavailable++;
      throw err;
    } finally {
      // The slot passes straight to the next batch waiting, if any.
      const next = slots.waiting.shift();
      if (next) next();
      else slots.free++;
    }
  }

  async function handleBatch(batch: Delivery<OcppEvent>[]): Promise<BatchOutcome> {
    const now = clock.now().toISOString();
    let notes: Notification[] = [];
    let log: Omit<OcppMessageLogEntry, 'id'>[] = [];
    let stops: AutoStop[] = [];
    let failed: BatchOutcome['failed'] = [];
    const applied = new Set<string>();
    let duplicates: number;
    try {
      duplicates = await applyAll(batch, now, notes, log, stops, applied);
    } catch (err) {
      // The whole batch comes again once the database is back (the broker waits, and does not
      // count it as a failed attempt): nothing of it was committed.
      if (isStoreUnavailable(err)) {
        // Nothing was written, last_seen_at included: the next try writes it.
        seen.clear();
        throw err;
      }
      notes = [];
      log = [];
      stops = [];
      seen.clear();
      applied.clear();
      ({ duplicates, failed } = await applyOneByOne(batch, now, notes, log, stops, applied));
    }
    stats.duplicates += duplicates;
    stats.failed += failed.length;
    stats.processed += batch.length - duplicates - failed.length;
    for (const n of notes) broker.publishNotification(n);
    for (const stop of stops) opts.requestStop?.(stop);
    if (opts.sessionsChanged) {
      const changed = sessionChanges(batch, applied, notes);
      if (changed.length > 0) opts.sessionsChanged(changed);
    }
    return { failed };
  }

  async function pushStats(): Promise<void> {
    const version = await store.changeCounter();
    if (version === lastStatsVersion) return;
    lastStatsVersion = version;
    const now = clock.now().toISOString();
    broker.publishNotification(notify('dashboard.stats', { ...await store.dashboardStats(now) }, now));
  }

  return {
    stats,
    /** Exposed for tests and the RabbitMQ consumer: processes one batch exactly as the broker would hand it over. */
    handle,
    start(): void {
      broker.consumeEvents(handle);
      const every = (ms: number, fn: () => Promise<unknown>) => {
        const t = setInterval(() => {
          // Housekeeping must never take the processor down; the next tick tries again.
          fn().catch(() => {});
        }, ms);
        t.unref();
        timers.push(t);
      };
      if (opts.statsIntervalMs !== 0) every(opts.statsIntervalMs ?? 5000, pushStats);
      every(1000, () => store.messages.prune(opts.messageLogRetention));
      // Redeliveries come from deliveries that were processed but not yet acknowledged: the newest
      // few hundred. An hour of ids covers a consumer restart with room to spare, and keeps the
      // table small at thousands of events a second.
      every(60_000, () => store.events.prune(new Date(clock.now().getTime() - DEDUP_WINDOW_MS).toISOString()));
    },
    close(): void {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
