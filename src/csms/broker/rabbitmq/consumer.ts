/**
 * The event consumer: one channel per work queue (topology.ts: each shard queue, and the shared one),
 * a "lane". Deliveries of a lane that arrive in the same tick form one batch (up to the prefetch),
 * handed to the processor one batch at a time per lane: the lane's next batch is taken only once the
 * previous one was applied and acknowledged, so the deliveries of one queue are applied in queue
 * order. Batches of different lanes run side by side: they hold different chargers' events, and the
 * processor puts each batch in its own store transaction. A batch is acknowledged only after the
 * handler's promise resolved, i.e. after its database commit. A failed delivery (or a whole batch
 * whose handler rejected, e.g. a PostgreSQL deadlock) is republished to the retry queue (TTL =
 * retryDelayMs × attempts) or, after maxAttempts, to the dead-letter queue; the original is
 * acknowledged only once that copy is confirmed, so a failure is never lost and never blocks the
 * deliveries behind it.
 *
 * Every lane has the full prefetch, not a share of it: a shard's throughput is one batch per
 * transaction, so a smaller share would slow a busy shard down, and a waiting single-active consumer
 * holds nothing. The node's unacknowledged events are bounded by prefetch × (shards + 1).
 *
 * Ordering: a shard queue has a single active consumer, so one charger's events are applied by one
 * node, in the order the gateway published them. A retried event is the exception: it comes back to
 * its shard after the delay, behind later events of its charger that were applied meanwhile. That is
 * accepted: its first attempt failed, and a poison event must not block its charger forever (holding
 * the shard until it succeeds or dies would stall every charger of that shard for maxAttempts delays).
 *
 * Handing a shard over (release(), used by rebalance.ts, and stop()): finish the lane's batch in
 * progress, then close its channel. RabbitMQ puts what was delivered but not handed to the processor
 * back at its places and makes the next waiting consumer active, in one step. Not basic.cancel: after
 * a cancel the broker hands the shard on at once and delivers the next consumer the events behind the
 * ones we still hold; ours, requeued after that, would be applied after them.
 *
 * The shared queue (topology.ts `queues.events`) is consumed by every node as before, competing: with
 * ordering 'none' every event goes there; otherwise it only holds what an older version published
 * (and its retries, which expire back into it), drained so nothing accepted is lost across an upgrade.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../../domain/errors.ts';
import { createStoreBackoff } from '../store-backoff.ts';
import { systemClock, type BatchOutcome, type Clock, type Delivery } from '../../domain/ports.ts';
import type { OcppEvent } from '../../domain/types.ts';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './connection.ts';
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
  /** Shards this node handed to another node (rebalance.ts). */
  released: number;
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
  /** A lane's channel closed without us closing it (a channel error): the owner resets the connection. */
  onChannelLost?: (reason: string) => void;
  /** The current connection (to re-subscribe a released shard on), or null while the broker is away. */
  connection?: () => ChannelModel | null;
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

interface Lane {
  queue: string;
  /** The shard number, or null for the shared queue. */
  shard: number | null;
  ch: Channel | null;
  /** The open in progress for the current epoch (open()), or null. */
  opening: Promise<void> | null;
  /**
   * Bumped whenever the lane's channel is given up (closeLane, detach): an open in progress that
   * sees it change was overtaken (stop, release, a lost connection) and quietly gives up, and no
   * later open joins it, so re-subscribing (release, a re-attach on the next connection) is never
   * skipped because of it.
   */
  epoch: number;
  pending: Item[];
  /** Failed deliveries whose retry / dead-letter copy is not yet confirmed: not acknowledged yet. */
  held: Set<Item>;
  heldWaiters: (() => void)[];
  inFlight: number;
  draining: Promise<void> | null;
  scheduled: boolean;
  /** Being handed over: no further batch is taken. */
  releasing: boolean;
  /** Wall-clock ms of the last delivery: a waiting single-active consumer gets none. */
  lastDeliveryAt: number;
}

export function createEventConsumer(opts: EventConsumerOptions) {
  /** The current pause while the database is unreachable (0: it answers); shared by every lane. */
  const storeBackoff = createStoreBackoff();
  const { topology: t, publisher, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const stats: ConsumerStats = { delivered: 0, acked: 0, retried: 0, deadLettered: 0, batches: 0, released: 0 };
  let handler: EventHandler | null = null;
  let stopping = false;
  const lanes: Lane[] = t.workQueues.map((queue, i) => ({
    queue,
    shard: i < t.shards ? i : null,
    ch: null,
    opening: null,
    epoch: 0,
    pending: [],
    held: new Set<Item>(),
    heldWaiters: [],
    inFlight: 0,
    draining: null,
    scheduled: false,
    releasing: false,
    lastDeliveryAt: 0,
  }));

  function current(lane: Lane, item: Item): boolean {
    return item.ch === lane.ch;
  }

  function unhold(lane: Lane, item: Item): void {
    lane.held.delete(item);
    if (lane.held.size === 0) {
      for (const w of lane.heldWaiters.splice(0)) w();
    }
  }

  /** Republishes a failed delivery to the retry or the dead-letter queue, then acks the original. */
  function fail(lane: Lane, item: Item, attempts: number, error: unknown): void {
    // Its channel is gone: the broker redelivers the original, no copy is needed.
    if (!current(lane, item)) return;
    const next = attempts + 1;
    const dead = next >= opts.maxAttempts;
    const headers = carriedHeaders(item.msg, dead ? { [HEADERS.attempts]: next, [HEADERS.error]: describe(error), [HEADERS.failedAt]: clock.now().toISOString() } : { [HEADERS.attempts]: next });
    lane.held.add(item);
    // A retry goes through the retry exchange with the routing key the event was first published with,
    // so that on expiry it goes back to its own shard (or to the shared queue if it came from there).
    const sent = publisher.publish(
      dead
        ? { exchange: '', routingKey: t.queues.dead, body: item.msg.content, headers }
        : { exchange: t.exchanges.retry, routingKey: String(headers[HEADERS.routingKey]), body: item.msg.content, headers, expiration: opts.retryDelayMs * next },
      (o) => {
        if (current(lane, item)) {
          if (o === 'ack') {
            item.ch.ack(item.msg);
            if (dead) stats.deadLettered++;
            else stats.retried++;
          } else {
            // The copy is not safe: put the original back (it stays at its attempt count).
            item.ch.nack(item.msg, false, true);
          }
        }
        unhold(lane, item);
      },
    );
    if (!sent) {
      if (current(lane, item)) item.ch.nack(item.msg, false, true);
      unhold(lane, item);
      return;
    }
    if (dead) logger.warn({ routingKey: item.msg.fields.routingKey, attempts: next, error: describe(error) }, 'event dead-lettered');
  }

  function schedule(lane: Lane): void {
    if (lane.scheduled || !handler) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      if (!lane.draining) lane.draining = drain(lane).finally(() => (lane.draining = null));
    });
  }

  async function drain(lane: Lane): Promise<void> {
    // Once stopping or releasing, no further batch: the broker may already be handing the shard to another node.
    while (lane.pending.length > 0 && handler && !stopping && !lane.releasing) {
      const items = lane.pending.splice(0, opts.prefetch).filter((i) => current(lane, i));
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
          fail(lane, item, opts.maxAttempts, err);
          continue;
        }
        const d: Delivery<OcppEvent> = { body, redelivered: item.msg.fields.redelivered || attempts > 0, attempts };
        byDelivery.set(d, item);
        batch.push(d);
      }
      if (batch.length === 0) continue;
      lane.inFlight = batch.length;
      stats.batches++;
      let failed: BatchOutcome['failed'];
      try {
        failed = (await handler(batch)).failed;
        storeBackoff.reset();
      } catch (err) {
        if (isStoreUnavailable(err)) {
          // The database is away: not the events' fault. They stay ours, unacknowledged and in
          // order, and the same batch is tried again after a pause (longer each time, up to
          // store-backoff.ts), without counting an attempt: an outage dead-letters nothing.
          lane.pending.unshift(...byDelivery.values());
          lane.inFlight = 0;
          if (!storeBackoff.waiting) logger.warn({ err: describe(err), queue: lane.queue }, 'database unreachable: events wait until it is back');
          const pause = storeBackoff.next();
          await new Promise<void>((resolve) => setTimeout(resolve, pause).unref());
          continue;
        }
        // Nothing was committed (e.g. a PostgreSQL deadlock with another batch): every delivery of
        // the batch failed once, and goes to the retry queue like any failure.
        logger.error({ err, size: batch.length, queue: lane.queue }, 'event batch failed');
        failed = batch.map((delivery) => ({ delivery, error: err }));
      }
      lane.inFlight = 0;
      const failedItems = new Set<Item>();
      for (const f of failed) {
        const item = byDelivery.get(f.delivery);
        if (!item || failedItems.has(item)) continue;
        failedItems.add(item);
        fail(lane, item, f.delivery.attempts, f.error);
      }
      ack(lane, [...byDelivery.values()].filter((i) => !failedItems.has(i)));
      // Let sockets have a turn between batches.
      if (lane.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  function ack(lane: Lane, items: Item[]): void {
    const live = items.filter((i) => current(lane, i));
    if (live.length === 0) return;
    // One frame for the whole batch, unless some earlier delivery still waits for its retry copy
    // (ack "all up to" would take it along before its copy is safe).
    if (lane.held.size === 0 && live.length === items.length) live[live.length - 1]!.ch.ack(live[live.length - 1]!.msg, true);
    else for (const i of live) i.ch.ack(i.msg);
    stats.acked += live.length;
  }

  /** Closes a channel we gave up, within CLOSE_TIMEOUT_MS (amqplib never settles a close the broker does not confirm). */
  async function closeChannel(channel: Channel, queue: string): Promise<void> {
    const closing = channel.close().catch((err: unknown) => logger.debug({ err, queue }, 'event consumer channel close failed'));
    if (!(await settlesWithin(closing, CLOSE_TIMEOUT_MS))) logger.warn({ queue, timeoutMs: CLOSE_TIMEOUT_MS }, 'rabbitmq did not confirm an event channel close');
  }

  /**
   * Opens the lane's channel and subscribes (a no-op if it has one; joins an open in progress).
   * Rejects only when the open failed on the lane's current connection; an open overtaken by
   * stop(), release() or detach() resolves: it was given up, not failed (a close() under way must
   * not take it for a broken connection).
   */
  function open(lane: Lane, model: ChannelModel): Promise<void> {
    if (stopping || lane.ch) return Promise.resolve();
    if (lane.opening) return lane.opening;
    const opening: Promise<void> = subscribe(lane, model, lane.epoch).finally(() => {
      if (lane.opening === opening) lane.opening = null;
    });
    lane.opening = opening;
    return opening;
  }

  /** open()'s work: gives up (resolves) as soon as the lane's epoch moved on or the consumer stops. */
  async function subscribe(lane: Lane, model: ChannelModel, epoch: number): Promise<void> {
    const overtaken = () => stopping || lane.epoch !== epoch;
    let channel: Channel | null = null;
    try {
      channel = await model.createChannel();
      if (overtaken()) {
        await closeChannel(channel, lane.queue);
        return;
      }
      const ch = channel;
      ch.on('error', (err: Error) => logger.warn({ err: err.message, queue: lane.queue }, 'rabbitmq event channel error'));
      ch.on('close', () => {
        // Closed by us (release, stop, detach) unless it is still the lane's channel.
        if (lane.ch === ch && !stopping) opts.onChannelLost?.(`event channel of ${lane.queue} closed`);
      });
      lane.ch = ch;
      await ch.prefetch(opts.prefetch);
      if (overtaken()) return; // whoever overtook it closed the channel (closeLane) or lost the connection (detach)
      await ch.consume(
        lane.queue,
        (msg: ConsumeMessage | null) => {
          if (!msg) {
            // A cancel of a channel we already gave up needs nothing: it is being closed.
            if (lane.ch !== ch || stopping) return;
            logger.warn({ queue: lane.queue }, 'the broker cancelled the event consumer (queue deleted?)');
            opts.onCancelled?.();
            return;
          }
          stats.delivered++;
          lane.lastDeliveryAt = Date.now();
          lane.pending.push({ ch, msg });
          schedule(lane);
        },
        { noAck: false },
      );
    } catch (err) {
      // Its channel was closed under it by stop(), release() or detach(): given up, not failed.
      if (overtaken()) return;
      if (channel && lane.ch === channel) {
        lane.ch = null;
        lane.epoch++;
        void closeChannel(channel, lane.queue);
      }
      throw err;
    }
  }

  /** Waits until the lane's batch in progress is applied and its failed deliveries' copies are confirmed. */
  async function settle(lane: Lane, timeoutMs: number): Promise<boolean> {
    const finished = await Promise.race([lane.draining?.then(() => true) ?? true, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]);
    // Failed deliveries are acknowledged once their retry copy is confirmed; closing first would requeue them too.
    if (lane.held.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        lane.heldWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return finished;
  }

  /**
   * Gives the lane's channel up and closes it, within CLOSE_TIMEOUT_MS: if the connection goes
   * while the close is under way (amqplib then drops the broker's close-ok), the close never settles.
   */
  async function closeLane(lane: Lane): Promise<void> {
    const channel = lane.ch;
    lane.ch = null;
    lane.epoch++;
    lane.opening = null;
    lane.pending = [];
    if (channel) await closeChannel(channel, lane.queue);
  }

  return {
    stats,
    setHandler(h: EventHandler): void {
      handler = h;
    },
    hasHandler: () => handler !== null,
    /** Opens a channel per work queue and consumes (after every connect). */
    async attach(model: ChannelModel): Promise<void> {
      await Promise.all(lanes.map((lane) => open(lane, model)));
    },
    /** The connection is gone: unacknowledged deliveries come again from the broker. */
    detach(): void {
      for (const lane of lanes) {
        lane.ch = null;
        lane.epoch++;
        // An open in progress on the lost connection gives up by itself; the next attach() opens afresh.
        lane.opening = null;
        lane.pending = [];
      }
    },
    /** Deliveries handed to the handler right now. */
    inFlight: () => lanes.reduce((n, l) => n + l.inFlight + l.pending.length + l.held.size, 0),
    /** The shards this node received deliveries on within the last `windowMs`: those it is the active consumer of. */
    activeShards(windowMs: number): number[] {
      const since = Date.now() - windowMs;
      return lanes.filter((l) => l.shard !== null && l.ch && !l.releasing && l.lastDeliveryAt >= since).map((l) => l.shard!);
    },
    /**
     * Hands shard `k` to the next waiting consumer: finishes its batch in progress, closes its
     * channel (requeue and hand-over in one step, see the top of the file), and subscribes again at
     * once, now behind the consumers already waiting. Resolves false if there was nothing to release.
     */
    async release(k: number, timeoutMs = 5000): Promise<boolean> {
      const lane = lanes.find((l) => l.shard === k);
      if (!lane || !lane.ch || lane.releasing || stopping) return false;
      const channel = lane.ch;
      lane.releasing = true;
      try {
        if (!await settle(lane, timeoutMs)) logger.warn({ shard: k, timeoutMs }, 'event batch still in progress at release: another node may apply later events of its chargers first');
        // The connection went meanwhile: the broker already handed the shard over; attach() re-subscribes.
        if (lane.ch !== channel) return false;
        await closeLane(lane);
        // Active again only once the broker delivers on the new subscription.
        lane.lastDeliveryAt = 0;
        stats.released++;
      } finally {
        lane.releasing = false;
      }
      const model = opts.connection?.();
      if (model && !stopping) await open(lane, model).catch((err: unknown) => opts.onChannelLost?.(`could not re-subscribe to ${lane.queue}: ${describe(err)}`));
      return true;
    },
    /**
     * Finishes every lane's batch in progress and acknowledges it, then closes its channel: RabbitMQ
     * puts what was delivered but not handed over back at its places and makes another node the
     * active consumer of our shards, in one step.
     */
    async stop(timeoutMs = 5000): Promise<void> {
      stopping = true;
      await Promise.all(lanes.map(async (lane) => {
        // The batch in progress first: the next node must not apply the events behind it meanwhile.
        if (!await settle(lane, timeoutMs)) logger.warn({ timeoutMs, queue: lane.queue }, 'event batch still in progress at close: another node may apply later events of its chargers first');
        const opening = lane.opening;
        await closeLane(lane);
        // An open in progress gives up at its next step (and closes a channel it got meanwhile).
        await settlesWithin(opening?.catch(() => {}), CLOSE_TIMEOUT_MS);
      }));
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
