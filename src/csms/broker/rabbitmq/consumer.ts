/**
 * The event consumer: one channel consumes every work queue (topology.ts: the shard queues and the
 * shared one). Deliveries that arrive in the same tick form one batch (up to the prefetch), handed
 * to the processor one batch at a time: the next batch is taken only once the previous one was
 * applied and acknowledged, so the deliveries of one queue are applied in queue order. A batch is
 * acknowledged only after the handler's promise resolved, i.e. after its database commit. A failed
 * delivery is republished to the retry queue (TTL = retryDelayMs × attempts) or, after maxAttempts,
 * to the dead-letter queue; the original is acknowledged only once that copy is confirmed, so a
 * failure is never lost and never blocks the deliveries behind it.
 *
 * Ordering: a shard queue has a single active consumer, so one charger's events are applied by one
 * node, in the order the gateway published them. A retried event is the exception: it comes back to
 * its shard after the delay, behind later events of its charger that were applied meanwhile. That is
 * accepted: its first attempt failed, and a poison event must not block its charger forever (holding
 * the shard until it succeeds or dies would stall every charger of that shard for maxAttempts delays).
 *
 * The shared queue (topology.ts `queues.events`) is consumed by every node as before, competing: with
 * ordering 'none' every event goes there; otherwise it only holds what an older version published
 * (and its retries, which expire back into it), drained so nothing accepted is lost across an upgrade.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { systemClock, type BatchOutcome, type Clock, type Delivery } from '../../domain/ports.ts';
import type { OcppEvent } from '../../domain/types.ts';
import type { ConfirmPublisher } from './publisher.ts';
import { HEADERS, type Topology } from './topology.ts';

export type EventHandler = (batch: Delivery<OcppEvent>[]) => Promise<BatchOutcome>;

interface Item {
  ch: Channel;
  msg: ConsumeMessage;
}

export interface ConsumerStats {
  delivered: number;
  acked: number;
  retried: number;
  deadLettered: number;
  batches: number;
}

export interface EventConsumerOptions {
  topology: Topology;
  publisher: ConfirmPublisher;
  prefetch: number;
  maxAttempts: number;
  retryDelayMs: number;
  logger: Logger;
  /** The broker cancelled our consumer (its queue was deleted): the owner reconnects and re-declares. */
  onCancelled?: () => void;
  /** Dates dead letters (default: the wall clock). */
  clock?: Clock;
}

export function attemptsOf(msg: { properties: { headers?: Record<string, unknown> } }): number {
  const n = Number(msg.properties.headers?.[HEADERS.attempts] ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Headers for a republished copy: ours updated, RabbitMQ's dead-lettering history dropped. */
export function carriedHeaders(msg: ConsumeMessage | { properties: { headers?: Record<string, unknown> }; fields: { routingKey: string } }, extra: Record<string, unknown>): Record<string, unknown> {
  const { 'x-death': _death, 'x-first-death-exchange': _e, 'x-first-death-queue': _q, 'x-first-death-reason': _r, 'x-last-death-exchange': _le, 'x-last-death-queue': _lq, 'x-last-death-reason': _lr, ...rest } = msg.properties.headers ?? {};
  return { ...rest, [HEADERS.routingKey]: rest[HEADERS.routingKey] ?? msg.fields.routingKey, ...extra };
}

function describe(error: unknown): string {
  const m = error instanceof Error ? error.message : String(error);
  return m.length > 1000 ? `${m.slice(0, 1000)}…` : m;
}

export function createEventConsumer(opts: EventConsumerOptions) {
  const { topology: t, publisher, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const stats: ConsumerStats = { delivered: 0, acked: 0, retried: 0, deadLettered: 0, batches: 0 };
  let handler: EventHandler | null = null;
  let ch: Channel | null = null;
  let pending: Item[] = [];
  /** Failed deliveries whose retry / dead-letter copy is not yet confirmed: not acknowledged yet. */
  const held = new Set<Item>();
  let inFlight = 0;
  let draining: Promise<void> | null = null;
  let scheduled = false;
  let stopping = false;
  const heldWaiters: (() => void)[] = [];

  function current(item: Item): boolean {
    return item.ch === ch;
  }

  function release(item: Item): void {
    held.delete(item);
    if (held.size === 0) {
      for (const w of heldWaiters.splice(0)) w();
    }
  }

  /** Republishes a failed delivery to the retry or the dead-letter queue, then acks the original. */
  function fail(item: Item, attempts: number, error: unknown): void {
    // Its channel is gone: the broker redelivers the original, no copy is needed.
    if (!current(item)) return;
    const next = attempts + 1;
    const dead = next >= opts.maxAttempts;
    const headers = carriedHeaders(item.msg, dead ? { [HEADERS.attempts]: next, [HEADERS.error]: describe(error), [HEADERS.failedAt]: clock.now().toISOString() } : { [HEADERS.attempts]: next });
    held.add(item);
    // A retry goes through the retry exchange with the routing key the event was first published with,
    // so that on expiry it goes back to its own shard (or to the shared queue if it came from there).
    const sent = publisher.publish(
      dead
        ? { exchange: '', routingKey: t.queues.dead, body: item.msg.content, headers }
        : { exchange: t.exchanges.retry, routingKey: String(headers[HEADERS.routingKey]), body: item.msg.content, headers, expiration: opts.retryDelayMs * next },
      (o) => {
        if (current(item)) {
          if (o === 'ack') {
            item.ch.ack(item.msg);
            if (dead) stats.deadLettered++;
            else stats.retried++;
          } else {
            // The copy is not safe: put the original back (it stays at its attempt count).
            item.ch.nack(item.msg, false, true);
          }
        }
        release(item);
      },
    );
    if (!sent) {
      if (current(item)) item.ch.nack(item.msg, false, true);
      release(item);
      return;
    }
    if (dead) logger.warn({ routingKey: item.msg.fields.routingKey, attempts: next, error: describe(error) }, 'event dead-lettered');
  }

  function schedule(): void {
    if (scheduled || !handler) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!draining) draining = drain().finally(() => (draining = null));
    });
  }

  async function drain(): Promise<void> {
    // Once stopping, no further batch: the broker may already be handing our shards to another node.
    while (pending.length > 0 && handler && !stopping) {
      const items = pending.splice(0, opts.prefetch).filter(current);
      if (items.length === 0) continue;
      const byDelivery = new Map<Delivery<OcppEvent>, Item>();
      const batch: Delivery<OcppEvent>[] = [];
      for (const item of items) {
        const attempts = attemptsOf(item.msg);
        let body: OcppEvent;
        try {
          body = JSON.parse(item.msg.content.toString('utf8')) as OcppEvent;
        } catch (err) {
          // Poison that cannot even be parsed: straight to the dead letters.
          fail(item, opts.maxAttempts, err);
          continue;
        }
        const d: Delivery<OcppEvent> = { body, redelivered: item.msg.fields.redelivered || attempts > 0, attempts };
        byDelivery.set(d, item);
        batch.push(d);
      }
      if (batch.length === 0) continue;
      inFlight = batch.length;
      stats.batches++;
      let failed: BatchOutcome['failed'];
      try {
        failed = (await handler(batch)).failed;
      } catch (err) {
        // Nothing was committed: every delivery of the batch failed once.
        logger.error({ err, size: batch.length }, 'event batch failed');
        failed = batch.map((delivery) => ({ delivery, error: err }));
      }
      inFlight = 0;
      const failedItems = new Set<Item>();
      for (const f of failed) {
        const item = byDelivery.get(f.delivery);
        if (!item || failedItems.has(item)) continue;
        failedItems.add(item);
        fail(item, f.delivery.attempts, f.error);
      }
      ack([...byDelivery.values()].filter((i) => !failedItems.has(i)));
      // Let sockets have a turn between batches.
      if (pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  function ack(items: Item[]): void {
    const live = items.filter(current);
    if (live.length === 0) return;
    // One frame for the whole batch, unless some earlier delivery still waits for its retry copy
    // (ack "all up to" would take it along before its copy is safe).
    if (held.size === 0 && live.length === items.length) live[live.length - 1]!.ch.ack(live[live.length - 1]!.msg, true);
    else for (const i of live) i.ch.ack(i.msg);
    stats.acked += live.length;
  }

  return {
    stats,
    setHandler(h: EventHandler): void {
      handler = h;
    },
    hasHandler: () => handler !== null,
    /** Starts consuming every work queue on a fresh channel (after every connect). */
    async attach(channel: Channel): Promise<void> {
      if (stopping) return;
      ch = channel;
      // global: one limit for the channel, shared by the consumers of all the work queues (a waiting
      // single-active consumer holds nothing), so the prefetch still bounds the node's unacknowledged events.
      await channel.prefetch(opts.prefetch, true);
      const onMessage = (msg: ConsumeMessage | null) => {
        if (!msg) {
          logger.warn('the broker cancelled the event consumer (queue deleted?)');
          opts.onCancelled?.();
          return;
        }
        stats.delivered++;
        pending.push({ ch: channel, msg });
        schedule();
      };
      for (const q of t.workQueues) await channel.consume(q, onMessage, { noAck: false });
    },
    /** The channel is gone: unacknowledged deliveries come again from the broker. */
    detach(): void {
      ch = null;
      pending = [];
    },
    /** Deliveries handed to the handler right now. */
    inFlight: () => inFlight + pending.length + held.size,
    /**
     * Finishes the batch in progress and acknowledges it, then closes the consumer channel: RabbitMQ
     * puts what was delivered but not handed over back at its places in its queues and makes another
     * node the active consumer of our shards, in one step.
     *
     * Not basic.cancel: after a cancel the broker hands the shard to the next consumer at once, and
     * delivers it the events behind the ones we still hold; ours, requeued after that, would be
     * applied after them.
     */
    async stop(timeoutMs = 5000): Promise<void> {
      stopping = true;
      // The batch in progress first: the next node must not apply the events behind it meanwhile.
      const finished = await Promise.race([draining?.then(() => true) ?? true, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]);
      if (!finished) logger.warn({ timeoutMs }, 'event batch still in progress at close: another node may apply later events of its chargers first');
      // Failed deliveries are acknowledged once their retry copy is confirmed; closing first would requeue them too.
      if (held.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          heldWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const channel = ch;
      ch = null;
      pending = [];
      await channel?.close().catch((err: unknown) => logger.debug({ err }, 'event consumer channel close failed'));
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
