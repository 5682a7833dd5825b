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

export interface Topology {
  exchanges: { ocpp: string; notifications: string; audit: string };
  queues: {
    /** The work queue every processor competes on. */
    events: string;
    /** Failed events wait here (per-message TTL), then dead-letter back to `events`. */
    retry: string;
    /** Events that failed `maxAttempts` times. */
    dead: string;
    audit: string;
  };
  /** The node's own notification queue: exclusive, auto-delete, every notification. */
  notificationQueue(nodeId: string): string;
  /** The node's own command queue (forwarded commands for the chargers it holds). */
  commandQueue(nodeId: string): string;
}

export function topology(ns: string): Topology {
  return {
    exchanges: { ocpp: `${ns}.ocpp`, notifications: `${ns}.notifications`, audit: `${ns}.audit` },
    queues: { events: `${ns}.ocpp.events`, retry: `${ns}.ocpp.retry`, dead: `${ns}.ocpp.dead`, audit: `${ns}.audit` },
    notificationQueue: (nodeId) => `${ns}.notifications.${nodeId}`,
    commandQueue: (nodeId) => `${ns}.commands.${nodeId}`,
  };
}

/** The durable names a namespace owns (the per-node queues are auto-delete and go with their node). */
export function durableNames(t: Topology): { exchanges: string[]; queues: string[] } {
  return { exchanges: Object.values(t.exchanges), queues: Object.values(t.queues) };
}

const EXCHANGE: Options.AssertExchange = { durable: true, autoDelete: false };

/** Declares the shared topology; idempotent, run after every (re)connect. */
export async function assertTopology(ch: Channel, t: Topology): Promise<void> {
  await Promise.all([
    ch.assertExchange(t.exchanges.ocpp, 'topic', EXCHANGE),
    ch.assertExchange(t.exchanges.notifications, 'topic', EXCHANGE),
    ch.assertExchange(t.exchanges.audit, 'topic', EXCHANGE),
    ch.assertQueue(t.queues.events, { durable: true }),
    ch.assertQueue(t.queues.dead, { durable: true }),
    // Expired retries go back to the work queue through the default exchange.
    ch.assertQueue(t.queues.retry, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: t.queues.events }),
    ch.assertQueue(t.queues.audit, { durable: true, maxLength: AUDIT_MAX_LENGTH, overflow: 'drop-head' }),
  ]);
  await Promise.all([
    ch.bindQueue(t.queues.events, t.exchanges.ocpp, 'ocpp.#'),
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
    const names = durableNames(topology(ns));
    for (const q of names.queues) await ch.deleteQueue(q);
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

const NOTIFICATION_GROUPS: [prefixes: string[], group: string][] = [
  [['charging.', 'session.', 'meter.'], 'session'],
  [['charger.', 'connector.'], 'charger'],
  [['station.'], 'station'],
  [['wallet.', 'customer.'], 'customer'],
  [['ocpp.'], 'ocpp'],
  [['command.'], 'command'],
  [['point.', 'tariff.'], 'cms'],
  [['dashboard.'], 'dashboard'],
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
