// The RabbitMQ broker: wires the connection, publishing, consumers and commands into the Broker contract.
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { CsmsError } from '../../domain/errors.ts';
import { systemClock, type Broker, type Clock, type NodeRepo, type OutboxRepo } from '../../domain/ports.ts';
import { createBackpressure } from './backpressure.ts';
import { createCommandRouter } from './commands.ts';
import { CLOSE_TIMEOUT_MS, createRabbitConnection, parseAmqpUrl, settlesWithin, withChannel } from './connection.ts';
import { createEventConsumer } from './consumer.ts';
import { listDeadLetters, replayDeadLetters } from './dead-letters.ts';
import { createNotificationFanout } from './notifications.ts';
import { createOutboxRelay } from './outbox.ts';
import { createConfirmPublisher } from './publisher.ts';
import { createRebalancer } from './rebalance.ts';
import { assertTopology, auditRoutingKey, eventRoute, topology, type EventOrdering } from './topology.ts';

export interface RabbitBrokerOptions {
  url: string;
  namespace: string;
  nodeId: string;
  outbox: OutboxRepo;
  /** Node liveness: the outbox rows of a node that is gone are adopted by the others. */
  nodes: NodeRepo;
  /** How often this node says it is alive (default 2 s), and after how long a silent one is gone (default 10 s). */
  aliveIntervalMs?: number;
  goneAfterMs?: number;
  prefetch: number;
  /** Shard queues (default 16, topology.ts); every node of a namespace must use the same number. */
  shards?: number;
  /** 'per-charger' (default): one charger's events are applied in order; 'none': one shared competing queue (diagnostic). */
  ordering?: EventOrdering;
  /**
   * How often (ms) this node checks whether it holds shards another live node should have, and hands
   * them over (rebalance.ts; default 2 s). 0: never (every shard stays with whichever node subscribed first).
   */
  rebalanceIntervalMs?: number;
  maxAttempts: number;
  retryDelayMs: number;
  logger: Logger;
  /** Unconfirmed + not-yet-written messages at which publishers are asked to wait (default 10,000)… */
  highWater?: number;
  /** …until they drop below this (default 2,000). */
  lowWater?: number;
  /** Work-queue depth at which publishers are asked to wait (default 50,000), until below a fifth of it. */
  queueHighWater?: number;
  /** How often the queue depths are read for backlog() and pressure() (default 2 s). */
  depthIntervalMs?: number;
  /** Longest wait for confirms and in-flight batches in close() (default 5 s). */
  drainTimeoutMs?: number;
  /** Dates audit records, outbox rows and dead letters (default: the wall clock); node liveness is always on the wall clock (outbox.ts). */
  clock?: Clock;
}

export type RabbitBroker = ReturnType<typeof createRabbitBroker>;

/**
 * The RabbitMQ broker (ENABLE_RABBITMQ=true): the same contract as broker/memory.ts over a real
 * broker, so several CSMS nodes share the event queues (one charger's events in order: topology.ts,
 * consumer.ts), every node sees every notification, and
 * commands reach the node that holds a charger. The CSMS keeps serving chargers while the broker is
 * away: accepted events wait in the outbox (in the store) and are relayed, in order, once it is back.
 */
export function createRabbitBroker(opts: RabbitBrokerOptions) {
  const { nodeId, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const t = topology(opts.namespace, opts.shards);
  const ordering = opts.ordering ?? 'per-charger';
  const drainMs = opts.drainTimeoutMs ?? 5000;
  const conn = createRabbitConnection({
    url: opts.url,
    logger,
    name: `ev-csms/${nodeId}`,
    onBlocked: (on) => {
      blocked = on;
      relay.pause(on);
      backpressure.check();
    },
  });
  const publisher = createConfirmPublisher({
    logger,
    idPrefix: nodeId,
    onReturn: (msg) => logger.warn({ exchange: msg.fields.exchange, routingKey: msg.fields.routingKey }, 'message returned unroutable'),
  });
  const relay = createOutboxRelay({
    publisher, outbox: opts.outbox, nodes: opts.nodes, nodeId, logger, onProgress: () => backpressure.check(), onUnroutable: reassert,
    aliveIntervalMs: opts.aliveIntervalMs, goneAfterMs: opts.goneAfterMs, clock,
  });
  const consumer = createEventConsumer({
    topology: t, publisher, prefetch: opts.prefetch, maxAttempts: opts.maxAttempts, retryDelayMs: opts.retryDelayMs, logger, clock,
    // The reconnect re-declares the topology (the queue is gone) and re-subscribes every lane. Not
    // while closing: a connection dropped under the consumer's channel closes would leave them unconfirmed.
    onCancelled: () => {
      if (!closing) conn.drop('event consumer cancelled by the broker');
    },
    onChannelLost: (reason) => {
      if (!closing) conn.drop(reason);
    },
    connection: () => (closing ? null : conn.current()),
  });
  // With ordering 'none' the shards are idle: nothing to spread.
  const rebalancer = createRebalancer({
    nodeId, nodes: opts.nodes, consumer, logger,
    intervalMs: ordering === 'per-charger' ? opts.rebalanceIntervalMs ?? 2000 : 0,
    goneAfterMs: opts.goneAfterMs ?? 10_000,
  });
  const commands = createCommandRouter({ topology: t, nodeId, logger });
  const notifications = createNotificationFanout({ topology: t, nodeId, logger, closing: () => closing });
  const counters = { returned: 0 };
  /** This connection's channels, closed in this order: consumers first, the publisher last. */
  let channels: { commands?: Channel; notify?: Channel; admin?: Channel; publisher?: Channel } = {};
  /** The event consumer is subscribed on this connection (it owns its channels: consumer.ts). */
  let consuming = false;
  let up = false;
  /** Resource alarm on the broker: it takes no publishes; they go to the outbox until it lifts. */
  let blocked = false;
  let closing = false;
  let closed = false;
  let reasserting = false;
  const backpressure = createBackpressure({
    highWater: opts.highWater ?? 10_000,
    lowWater: opts.lowWater ?? 2_000,
    queueHighWater: opts.queueHighWater ?? 50_000,
    inMemory: () => relay.inMemory(),
    mayHold: () => up && !blocked && !closed,
    readDepth,
    logger,
  });

  /** An unexpected channel close (a channel error) resets the whole connection: simple and complete. */
  function watch<C extends Channel>(ch: C, name: string): C {
    ch.on('error', (err: Error) => logger.warn({ err: err.message, channel: name }, 'rabbitmq channel error'));
    ch.on('close', () => {
      if (closing || channels[name as keyof typeof channels] !== ch) return;
      if (name === 'admin') {
        channels.admin = undefined;
        return;
      }
      conn.drop(`${name} channel closed`);
    });
    return ch;
  }

  async function adminChannel(model: ChannelModel): Promise<Channel> {
    if (!channels.admin) channels.admin = watch(await model.createChannel(), 'admin');
    return channels.admin;
  }

  function readDepth(): Promise<{ events: number; retry: number }> | null {
    const model = conn.current();
    if (!model) return null;
    return (async () => {
      const ch = await adminChannel(model);
      const count = async (queues: string[]) => (await Promise.all(queues.map((q) => ch.checkQueue(q)))).reduce((n, q) => n + q.messageCount, 0);
      const [events, retry] = await Promise.all([count(t.workQueues), count([t.queues.retry, t.queues.retries])]);
      return { events, retry };
    })();
  }

  function reassert(): void {
    counters.returned++;
    const model = conn.current();
    if (!model || reasserting) return;
    reasserting = true;
    withChannel(model, (ch) => assertTopology(ch, t))
      .then(() => relay.up())
      .catch((err) => logger.error({ err }, 'could not re-declare the topology'))
      .finally(() => (reasserting = false));
  }

  async function startConsumer(model: ChannelModel): Promise<void> {
    if (!consumer.hasHandler() || consuming || closing) return;
    consuming = true;
    await consumer.attach(model);
    // close() may have come during attach (which then gives up quietly): its rebalancer.stop() is past.
    if (!closing) rebalancer.start();
  }

  conn.onUp(async (model) => {
    channels = {};
    consuming = false;
    notifications.detach();
    await withChannel(model, (ch) => assertTopology(ch, t));
    const pub = watch(await model.createConfirmChannel(), 'publisher');
    channels.publisher = pub;
    publisher.attach(pub);
    channels.notify = watch(await model.createChannel(), 'notify');
    await notifications.attach(channels.notify);
    channels.commands = watch(await commands.attach(model), 'commands');
    await startConsumer(model);
    up = true;
    await relay.up();
    backpressure.startDepthPolling(opts.depthIntervalMs ?? 2000);
  });

  conn.onDown(() => {
    up = false;
    blocked = false;
    relay.pause(false);
    backpressure.stopDepthPolling();
    channels = {};
    consuming = false;
    notifications.detach();
    publisher.detach();
    consumer.detach();
    commands.detach();
    // Never hold chargers while the broker is away: the outbox (in the store) is the buffer then.
    backpressure.check();
  });

  const broker = {
    kind: 'rabbitmq' as const,
    commands: commands.router,

    async start(): Promise<void> {
      parseAmqpUrl(opts.url);
      closing = false;
      closed = false;
      await relay.start();
      await conn.start();
      if (!up) logger.warn({ outbox: relay.waiting() }, 'rabbitmq unreachable at start: running degraded, events go to the outbox');
    },

    async close(): Promise<void> {
      if (closed) return;
      closing = true;
      // 1. Finish and acknowledge the batches in progress; stop consuming (the consumer closes its channels).
      await rebalancer.stop();
      await consumer.stop(drainMs);
      await commands.drain(Math.min(drainMs, 2000));
      // 2. No more direct publishing; wait for outstanding confirms, park the rest in the outbox.
      relay.halt();
      await publisher.idle(drainMs);
      publisher.detach();
      await relay.stop();
      notifications.flushNow();
      // 3. Channels before the connection, or the last acks are lost (docs/performance.md).
      for (const [name, ch] of Object.entries({ commands: channels.commands, notify: channels.notify, admin: channels.admin, publisher: channels.publisher })) {
        if (!(await settlesWithin(ch?.close(), CLOSE_TIMEOUT_MS))) logger.warn({ channel: name, timeoutMs: CLOSE_TIMEOUT_MS }, 'rabbitmq did not confirm a channel close; closing the connection');
      }
      await conn.close();
      await relay.flush();
      await relay.leave();
      closed = true;
      backpressure.check();
    },

    publishEvent(event) {
      let body: string;
      try {
        body = JSON.stringify(event);
      } catch (err) {
        // Only an unserialisable event can get here; there is nothing that could be kept.
        logger.error({ err, eventId: event?.eventId }, 'event could not be serialised');
        return Promise.reject(err);
      }
      return relay.send({ exchange: t.exchanges.ocpp, routingKey: eventRoute(event, t, ordering), body });
    },

    consumeEvents(handler) {
      consumer.setHandler(handler);
      const model = conn.current();
      // A failure on a connection that is already gone, or during close(), is no reason to drop the current one.
      if (model) {
        startConsumer(model).catch((err) => {
          if (!closing && conn.current() === model) conn.drop(`event consumer failed: ${(err as Error).message}`);
        });
      }
    },

    publishNotification(n) {
      notifications.publish(n);
    },

    consumeNotifications(handler) {
      notifications.consume(handler).catch((err) => conn.drop(`notification consumer failed: ${(err as Error).message}`));
    },

    backlog() {
      const depth = backpressure.depth();
      return relay.waiting() + relay.unconfirmed() + consumer.inFlight() + (up ? depth.events + depth.retry : 0);
    },

    pressure() {
      return backpressure.pressure();
    },

    async deadLetters() {
      const model = conn.current();
      if (!model) throw new CsmsError('CSMS_ERR_BROKER_UNAVAILABLE', 'cannot read the dead-letter queue');
      return withChannel(model, (ch) => listDeadLetters(ch, t));
    },

    async replayDeadLetters() {
      const model = conn.current();
      if (!model) throw new CsmsError('CSMS_ERR_BROKER_UNAVAILABLE', 'cannot replay the dead-letter queue');
      return withChannel(model, (ch) => replayDeadLetters(ch, t));
    },

    publishAudit(topic, data) {
      try {
        void relay.send({ exchange: t.exchanges.audit, routingKey: auditRoutingKey(topic), body: JSON.stringify({ topic, node: nodeId, at: clock.now().toISOString(), data }) });
      } catch (err) {
        logger.error({ err, topic }, 'audit entry could not be serialised');
      }
    },

    health() {
      if (closed) return { ok: false, detail: 'closed' };
      if (!up) return { ok: false, detail: `degraded: broker unreachable, ${relay.waiting()} in outbox` };
      if (blocked) return { ok: false, detail: `degraded: broker blocked (resource alarm), ${relay.waiting()} in outbox` };
      return { ok: true, detail: 'rabbitmq' };
    },

    queueStats() {
      const depth = backpressure.depth();
      return { queueDepth: depth.events, retryDepth: depth.retry, unconfirmed: relay.unconfirmed() };
    },

    /** Counters for the dashboard, the benchmarks and the tests. */
    stats() {
      const depth = backpressure.depth();
      return {
        connected: up,
        outbox: relay.waiting(),
        unconfirmed: relay.unconfirmed(),
        queueDepth: depth.events,
        retryDepth: depth.retry,
        publish: { ...relay.stats },
        consume: { ...consumer.stats },
        commands: { ...commands.stats },
        ...notifications.counters,
        ...counters,
      };
    },
  } satisfies Broker & { stats(): unknown };

  return broker;
}
