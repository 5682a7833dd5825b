/**
 * "Never drop an accepted message": direct publishing while the broker is up and this node's outbox
 * is empty; otherwise (broker away, or rows still waiting, to keep their order) messages go to the
 * outbox (in the store). A nack, a return or a lost channel moves unconfirmed messages there too. Once the
 * broker is back, the relay publishes the rows oldest first and deletes them only once confirmed.
 * `send` resolves once the message is safe: confirmed by the broker or committed to the outbox.
 *
 * Every node says it is alive (NodeRepo) every few seconds and adopts the rows of nodes that stopped
 * saying so: a node that crashed, or the previous process of this one under another node id.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock, type NodeRepo, type OutboxRepo } from '../../domain/ports.ts';
import type { ConfirmPublisher, Outcome } from './publisher.ts';

export interface OutboxMessage {
  exchange: string;
  routingKey: string;
  body: string;
}

export interface OutboxRelayOptions {
  publisher: ConfirmPublisher;
  outbox: OutboxRepo;
  nodes: NodeRepo;
  nodeId: string;
  logger: Logger;
  /** How often this node says it is alive and looks for orphaned rows (default 2 s). */
  aliveIntervalMs?: number;
  /** A node silent for this long is gone: its rows are adopted (default 10 s). */
  goneAfterMs?: number;
  /** Rows published per relay round (one confirm wait per round). */
  batchSize?: number;
  /** Pause after a round in which the broker refused something (nack, return). */
  retryDelayMs?: number;
  /** Called when the in-memory count drops (for backpressure relief). */
  onProgress?: () => void;
  /** Called when a message came back unroutable (the topology may have been deleted). */
  onUnroutable?: () => void;
  /** Dates rows (default: the wall clock). Node liveness always uses the wall clock: see beat(). */
  clock?: Clock;
}

export interface OutboxStats {
  direct: number;
  confirmed: number;
  parked: number;
  relayed: number;
  refused: number;
  /** Rows taken over from nodes that are gone. */
  adopted: number;
}

interface Parked {
  msg: OutboxMessage;
  /** Resolves the sender's promise once the row is committed. */
  safe?: () => void;
}

export function createOutboxRelay(opts: OutboxRelayOptions) {
  const { publisher, outbox, nodes, nodeId, logger } = opts;
  const batchSize = opts.batchSize ?? 500;
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const stats: OutboxStats = { direct: 0, confirmed: 0, parked: 0, relayed: 0, refused: 0, adopted: 0 };
  const aliveIntervalMs = opts.aliveIntervalMs ?? 2000;
  const goneAfterMs = opts.goneAfterMs ?? 10_000;
  const clock = opts.clock ?? systemClock;
  const startedAt = systemClock.now().toISOString();
  let aliveTimer: NodeJS.Timeout | null = null;
  /** Parked messages not yet written to the store (written once per tick, in one transaction). */
  let buffer: Parked[] = [];
  let flushScheduled = false;
  let flushTimer: NodeJS.Timeout | null = null;
  /** Rows of this node in the store, kept in step with our own add/remove (only this node touches them). */
  let rows = 0;
  let unconfirmed = 0;
  let relaying: Promise<void> | null = null;
  let relayTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  /** The broker blocked the connection: park instead of piling up unconfirmed messages. */
  let paused = false;

  async function refreshCount(): Promise<void> {
    try {
      rows = await outbox.count(nodeId);
    } catch (err) {
      logger.error({ err }, 'outbox count failed');
    }
  }

  function park(msg: OutboxMessage, safe?: () => void): void {
    stats.parked++;
    buffer.push({ msg, safe });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(async () => void await flush());
    }
  }

  /**
   * Writes the buffer to the store; on failure it stays in memory and is tried again shortly.
   * Writes run one after another, so rows keep the order the messages were parked in.
   */
  let flushing: Promise<boolean> = Promise.resolve(true);
  function flush(): Promise<boolean> {
    flushing = flushing.then(flushNow);
    return flushing;
  }

  async function flushNow(): Promise<boolean> {
    flushScheduled = false;
    if (buffer.length === 0) return true;
    const items = buffer;
    buffer = [];
    try {
      await outbox.add(nodeId, items.map((p) => p.msg), clock.now().toISOString());
    } catch (err) {
      // Back in front of whatever was parked meanwhile: the order stays as it was.
      buffer = items.concat(buffer);
      logger.error({ err, kept: buffer.length }, 'outbox write failed; keeping messages in memory');
      if (!flushTimer && !stopped) {
        flushTimer = setTimeout(async () => {
          flushTimer = null;
          void await flush();
        }, 1000);
        flushTimer.unref();
      }
      return false;
    }
    rows += items.length;
    for (const p of items) p.safe?.();
    kick();
    return true;
  }

  /** Says this node is alive and takes over the rows of nodes that are not (at start: of any node it does not know). */
  async function beat(first = false): Promise<void> {
    try {
      // The wall clock, not the injected one: alive_at is compared across the processes sharing the
      // database, so a frozen or skewed test clock in one node would make it look dead to the others,
      // which would adopt its rows while it still relays them (each message published twice).
      const now = systemClock.now().getTime();
      await nodes.alive(nodeId, startedAt, now);
      const adopted = await outbox.adoptOrphans(nodeId, now - goneAfterMs, first);
      if (adopted > 0) {
        stats.adopted += adopted;
        logger.warn({ adopted }, 'outbox rows of nodes that are gone taken over; relaying them');
        rows += adopted;
        kick();
      }
    } catch (err) {
      logger.error({ err }, 'node liveness or outbox adoption failed');
    }
  }

  function onDirectSettled(msg: OutboxMessage, o: Outcome, safe: () => void): void {
    unconfirmed--;
    if (o === 'ack') {
      stats.confirmed++;
      safe();
    } else {
      if (o !== 'closed') {
        stats.refused++;
        logger.warn({ exchange: msg.exchange, routingKey: msg.routingKey, outcome: o }, 'broker did not take the message; kept in the outbox');
      }
      if (o === 'returned') opts.onUnroutable?.();
      park(msg, safe);
    }
    opts.onProgress?.();
  }

  function scheduleRelay(delay: number): void {
    if (relayTimer || stopped) return;
    relayTimer = setTimeout(() => {
      relayTimer = null;
      kick();
    }, delay);
    relayTimer.unref();
  }

  /** Starts the relay if there is anything to relay and a channel to relay on. */
  function kick(): void {
    if (relaying || stopped || paused || !publisher.ready() || (rows === 0 && buffer.length === 0)) return;
    relaying = relay().finally(() => {
      relaying = null;
    });
  }

  async function relay(): Promise<void> {
    for (;;) {
      // What was parked before now goes behind the rows already waiting: order is kept.
      if (!await flush()) return;
      if (!publisher.ready() || stopped || paused) return;
      let batch;
      try {
        batch = await outbox.take(nodeId, batchSize);
      } catch (err) {
        logger.error({ err }, 'outbox read failed');
        scheduleRelay(retryDelayMs);
        return;
      }
      if (batch.length === 0) {
        // Synchronously back to direct publishing: nothing can slip in between.
        rows = 0;
        return;
      }
      const outcomes = await Promise.all(
        batch.map((row) => new Promise<Outcome>((resolve) => {
          if (!publisher.publish(row, resolve)) resolve('closed');
        })),
      );
      const done = batch.filter((_, i) => outcomes[i] === 'ack').map((r) => r.id);
      try {
        if (done.length > 0) await outbox.remove(done);
        rows = Math.max(0, rows - done.length);
        stats.relayed += done.length;
      } catch (err) {
        // Published but not removed: they will be published again (the processor deduplicates by event id).
        logger.error({ err }, 'outbox remove failed');
      }
      if (done.length < batch.length) {
        const refused = outcomes.filter((o) => o === 'nack' || o === 'returned').length;
        stats.refused += refused;
        if (outcomes.includes('returned')) opts.onUnroutable?.();
        if (refused > 0) logger.warn({ refused, kept: batch.length - done.length }, 'broker refused outbox messages; retrying later');
        scheduleRelay(retryDelayMs);
        return;
      }
      if (done.length > 0) logger.debug({ relayed: done.length, left: rows }, 'outbox relayed');
    }
  }

  return {
    stats,
    /** Never throws: publishes directly or parks the message in the outbox; resolves once it is safe. */
    send(msg: OutboxMessage): Promise<void> {
      return new Promise<void>((safe) => {
        if (!stopped && !paused && publisher.ready() && rows === 0 && buffer.length === 0 && !relaying) {
          unconfirmed++;
          if (publisher.publish(msg, (o) => onDirectSettled(msg, o, safe))) {
            stats.direct++;
            return;
          }
          unconfirmed--;
        }
        park(msg, safe);
      });
    },
    /** The broker is (back) up: relay what waits. */
    async up(): Promise<void> {
      await refreshCount();
      kick();
    },
    /** Messages held in this process: unconfirmed plus not yet written to the store. */
    inMemory: () => unconfirmed + buffer.length,
    unconfirmed: () => unconfirmed,
    /** This node's rows in the store plus the buffer on its way there. */
    waiting: () => rows + buffer.length,
    async start(): Promise<void> {
      stopped = false;
      await beat(true);
      await refreshCount();
      aliveTimer = setInterval(beat, aliveIntervalMs);
      aliveTimer.unref();
    },
    /** While paused, every message is parked and the relay waits. */
    pause(on: boolean): void {
      paused = on;
      if (!on) kick();
    },
    /** From now on every message is parked (close() is under way). */
    halt(): void {
      stopped = true;
    },
    /** Stops relaying and writes everything held in memory to SQLite. */
    async stop(): Promise<void> {
      stopped = true;
      if (aliveTimer) clearInterval(aliveTimer);
      aliveTimer = null;
      if (relayTimer) clearTimeout(relayTimer);
      relayTimer = null;
      await relaying;
      await flush();
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
    },
    /** After stop(): a last write of anything parked since (e.g. settled as 'closed'). */
    flush,
    /** The node is going for good: from now on its rows are anyone's (its successor adopts them at start). */
    async leave(): Promise<void> {
      // Messages still in memory could not be written: they were never acknowledged, and die with the
      // process. What is in SQLite goes to whoever adopts it next.
      try {
        await nodes.leave(nodeId);
      } catch (err) {
        logger.error({ err }, 'could not deregister the node');
      }
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
