/**
 * Every exchange, queue, binding and routing key of the RabbitMQ pipeline, in one place. All names
 * start with the namespace, so several deployments (or tests) share a broker.
 */
import type { Channel, Options } from 'amqplib';
import type { Notification, OcppEvent } from '../../domain/types.ts';
import { connectOnce } from './connection.ts';

/** Audit queue length bound: the oldest entries are dropped first. */
export const AUDIT_MAX_LENGTH = 100_000;

/** Headers we set on event messages. */
export const HEADERS = {
  attempts: 'x-attempts',
  error: 'x-error',
  failedAt: 'x-failed-at',
  routingKey: 'x-original-routing-key',
} as const;

/** Shard queues per namespace unless configured (EVENT_SHARDS). */
export const DEFAULT_EVENT_SHARDS = 16;
/** The most shard queues a namespace may have; deleteNamespace removes this many, whatever was configured. */
export const MAX_EVENT_SHARDS = 256;

/**
 * How events reach the processors. 'per-charger': each charger's events go to one shard queue (by a
 * stable hash of its id) that only one processor consumes at a time, so they are applied in the order
 * the gateway accepted them. 'none': every event goes to one queue all processors compete on (events
 * of one charger may be applied out of order by two nodes at once); a diagnostic setting.
 */
export type EventOrdering = 'per-charger' | 'none';

export interface Topology {
  exchanges: {
    ocpp: string;
    notifications: string;
    audit: string;
    /** Failed events go through here to `queues.retries`, keeping the routing key they came with. */
    retry: string;
  };
  queues: {
    /**
     * The shared work queue every processor competes on: all events with ordering 'none', and what
     * an older version published (every node keeps draining it, see consumer.ts).
     */
    events: string;
    /** Older versions' retry queue: its messages expire back into `events`, which every node drains. */
    retry: string;
    /**
     * Failed events wait here (per-message TTL), then dead-letter to the OCPP exchange with the routing
     * key they were published with: a shard's event goes back to its shard, a shared one to `events`.
     */
    retries: string;
    /** Events that failed `maxAttempts` times. */
    dead: string;
    audit: string;
  };
  /** How many shard queues there are. */
  shards: number;
  /** Shard queue k (0 ≤ k < shards): single active consumer, bound with `shard.<k>.#`. */
  shardQueue(k: number): string;
  /** Every queue a processor consumes: the shard queues, then the shared one. */
  workQueues: string[];
  /** The node's own notification queue: exclusive, auto-delete, every notification. */
  notificationQueue(nodeId: string): string;
  /** The node's own command queue (forwarded commands for the chargers it holds). */
  commandQueue(nodeId: string): string;
}

export function topology(ns: string, shards = DEFAULT_EVENT_SHARDS): Topology {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_EVENT_SHARDS) throw new RangeError(`shards must be 1..${MAX_EVENT_SHARDS}`);
  const shardQueue = (k: number) => `${ns}.ocpp.events.${k}`;
  const events = `${ns}.ocpp.events`;
  return {
    exchanges: { ocpp: `${ns}.ocpp`, notifications: `${ns}.notifications`, audit: `${ns}.audit`, retry: `${ns}.ocpp.retries` },
    queues: { events, retry: `${ns}.ocpp.retry`, retries: `${ns}.ocpp.retries`, dead: `${ns}.ocpp.dead`, audit: `${ns}.audit` },
    shards,
    shardQueue,
    workQueues: [...Array.from({ length: shards }, (_, k) => shardQueue(k)), events],
    notificationQueue: (nodeId) => `${ns}.notifications.${nodeId}`,
    commandQueue: (nodeId) => `${ns}.commands.${nodeId}`,
  };
}

/** The durable names a namespace owns (the per-node queues are auto-delete and go with their node). */
export function durableNames(t: Topology): { exchanges: string[]; queues: string[] } {
  return { exchanges: Object.values(t.exchanges), queues: [...Object.values(t.queues), ...Array.from({ length: t.shards }, (_, k) => t.shardQueue(k))] };
}

const EXCHANGE: Options.AssertExchange = { durable: true, autoDelete: false };

/** Declares the shared topology; idempotent, run after every (re)connect. */
export async function assertTopology(ch: Channel, t: Topology): Promise<void> {
  const shards = Array.from({ length: t.shards }, (_, k) => k);
  await Promise.all([
    ch.assertExchange(t.exchanges.ocpp, 'topic', EXCHANGE),
    ch.assertExchange(t.exchanges.notifications, 'topic', EXCHANGE),
    ch.assertExchange(t.exchanges.audit, 'topic', EXCHANGE),
    ch.assertExchange(t.exchanges.retry, 'fanout', EXCHANGE),
    ch.assertQueue(t.queues.events, { durable: true }),
    // RabbitMQ delivers a shard to one consumer at a time, and hands it to the next when that one's
    // channel closes or it cancels (the broker requeues what it had not acknowledged).
    ...shards.map((k) => ch.assertQueue(t.shardQueue(k), { durable: true, arguments: { 'x-single-active-consumer': true } })),
    ch.assertQueue(t.queues.dead, { durable: true }),
    // An older version's expired retries go back to the shared work queue through the default exchange.
    ch.assertQueue(t.queues.retry, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: t.queues.events }),
    // No dead-letter routing key: an expired retry goes back by the routing key it was published with.
    ch.assertQueue(t.queues.retries, { durable: true, deadLetterExchange: t.exchanges.ocpp }),
    ch.assertQueue(t.queues.audit, { durable: true, maxLength: AUDIT_MAX_LENGTH, overflow: 'drop-head' }),
  ]);
  await Promise.all([
    // `shard.` keys never match `ocpp.#`: a shard's event never also lands in the shared queue.
    ch.bindQueue(t.queues.events, t.exchanges.ocpp, 'ocpp.#'),
    ...shards.map((k) => ch.bindQueue(t.shardQueue(k), t.exchanges.ocpp, `shard.${k}.#`)),
    ch.bindQueue(t.queues.retries, t.exchanges.retry, ''),
    ch.bindQueue(t.queues.audit, t.exchanges.audit, 'audit.#'),
  ]);
}

/**
 * Deletes namespace `ns` from the broker at `url`: the durable exchanges and queues assertTopology
 * declares (per-node queues are auto-delete). For tests, benchmarks and the simulator's embedded target.
 */
export async function deleteNamespace(url: string, ns: string, connectTimeoutMs = 5000): Promise<void> {
  const model = await connectOnce(url, { connectTimeoutMs, name: `delete-namespace/${ns}` });
  try {
    const ch = await model.createChannel();
    // Shard queues up to the most there can be: the namespace's EVENT_SHARDS is not known here.
    const names = durableNames(topology(ns, MAX_EVENT_SHARDS));
    await Promise.all(names.queues.map((q) => ch.deleteQueue(q)));
    for (const e of names.exchanges) await ch.deleteExchange(e);
    await ch.close();
  } finally {
    await model.close();
  }
}

/** Declares and binds this node's notification queue. */
export async function assertNotificationQueue(ch: Channel, t: Topology, nodeId: string): Promise<string> {
  const q = t.notificationQueue(nodeId);
  await ch.assertQueue(q, { exclusive: true, autoDelete: true, durable: false });
  await ch.bindQueue(q, t.exchanges.notifications, 'notification.#');
  return q;
}

/** A routing-key word: no dots or wildcards from the outside. */
function word(s: string | null | undefined): string {
  return (s ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '_') || 'unknown';
}

/**
 * `ocpp.in.<Action>` for the charger's CALLs, `ocpp.in.callresult|callerror` for its answers to our
 * commands, `ocpp.out.command` for commands we sent, `ocpp.connection.connected|disconnected`, `ocpp.invalid`.
 */
export function eventRoutingKey(e: OcppEvent): string {
  switch (e.kind) {
    case 'call':
      return `ocpp.in.${word(e.action)}`;
    case 'callresult':
    case 'callerror':
      return `ocpp.in.${e.kind}`;
    case 'command':
      return 'ocpp.out.command';
    case 'connected':
    case 'disconnected':
      return `ocpp.connection.${e.kind}`;
    case 'invalid':
      return 'ocpp.invalid';
    default:
      return `ocpp.other.${word((e as { kind?: string }).kind)}`;
  }
}

/** A stable 32-bit FNV-1a hash of the charger id, modulo `shards`: the same shard on every node and version. */
export function shardOf(chargePointId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(chargePointId, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h % shards;
}

/**
 * Where an event is published on the OCPP exchange: with ordering 'per-charger',
 * `shard.<k>.<eventRoutingKey>` (k = shardOf its charger); with 'none', `eventRoutingKey` (the shared queue).
 */
export function eventRoute(e: OcppEvent, t: Pick<Topology, 'shards'>, ordering: EventOrdering): string {
  const key = eventRoutingKey(e);
  return ordering === 'per-charger' ? `shard.${shardOf(e.chargePointId, t.shards)}.${key}` : key;
}

const NOTIFICATION_GROUPS: [prefixes: string[], group: string][] = [
  [['charging.', 'session.', 'meter.'], 'session'],
  [['charger.', 'connector.'], 'charger'],
  [['station.'], 'station'],
  [['wallet.', 'customer.'], 'customer'],
  [['ocpp.'], 'ocpp'],
  [['command.'], 'command'],
  [['point.', 'tariff.'], 'cms'],
  [['dashboard.'], 'dashboard'],
  [['reservation.'], 'reservation'],
  [['firmware.', 'diagnostics.'], 'job'],
];

/** `notification.<group>`, e.g. `notification.session` for charging.started. */
export function notificationRoutingKey(n: Pick<Notification, 'type'>): string {
  const group = NOTIFICATION_GROUPS.find(([prefixes]) => prefixes.some((p) => n.type.startsWith(p)))?.[1] ?? 'other';
  return `notification.${group}`;
}

/** `audit.<topic>`, e.g. `audit.command.sent.Reset`; each dotted word is kept, wildcards are not. */
export function auditRoutingKey(topic: string): string {
  return `audit.${topic.split('.').map(word).join('.')}`;
}
