// Notifications between nodes: batched per routing key and event-loop turn, fanned out to every node, best effort.
import type { Channel } from 'amqplib';
import type { Logger } from 'pino';
import type { Notification } from '../../domain/types.ts';
import { assertNotificationQueue, notificationRoutingKey, type Topology } from './topology.ts';

export interface NotificationFanoutOptions {
  topology: Topology;
  nodeId: string;
  logger: Logger;
  /** True from the start of the broker's close(): nothing more is published. */
  closing: () => boolean;
}

export type NotificationFanout = ReturnType<typeof createNotificationFanout>;

export function createNotificationFanout(opts: NotificationFanoutOptions) {
  const { topology: t, nodeId, logger } = opts;
  const handlers: ((n: Notification) => void)[] = [];
  const counters = { notificationsSent: 0, notificationsDropped: 0, notificationsReceived: 0 };
  const pending = new Map<string, Notification[]>();
  let flushTimer: NodeJS.Immediate | null = null;
  let channel: Channel | null = null;
  let consuming = false;

  function flush(): void {
    flushTimer = null;
    const ch = channel;
    for (const [key, batch] of pending) {
      if (!ch) {
        counters.notificationsDropped += batch.length;
        continue;
      }
      try {
        ch.publish(t.exchanges.notifications, key, Buffer.from(JSON.stringify(batch)), { contentType: 'application/json' });
        counters.notificationsSent += batch.length;
      } catch {
        counters.notificationsDropped += batch.length;
      }
    }
    pending.clear();
  }

  async function startConsuming(ch: Channel): Promise<void> {
    if (consuming || handlers.length === 0) return;
    consuming = true;
    const q = await assertNotificationQueue(ch, t, nodeId);
    await ch.consume(q, (msg) => {
      if (!msg) return;
      let body: Notification | Notification[];
      try {
        body = JSON.parse(msg.content.toString('utf8')) as Notification | Notification[];
      } catch {
        return;
      }
      for (const n of Array.isArray(body) ? body : [body]) {
        counters.notificationsReceived++;
        for (const h of handlers) {
          try {
            h(n);
          } catch (err) {
            logger.error({ err, type: n.type }, 'notification handler failed');
          }
        }
      }
    }, { noAck: true });
  }

  return {
    counters,

    /** Uses `ch` (a fresh connection's channel) to publish, and to consume once there is a handler. */
    attach(ch: Channel): Promise<void> {
      channel = ch;
      consuming = false;
      return startConsuming(ch);
    },

    /** The connection is gone: what is published until the next attach() is dropped. */
    detach(): void {
      channel = null;
      consuming = false;
    },

    /** Best effort: a notification is never the only copy of anything (clients refetch over REST). */
    publish(n: Notification): void {
      if (!channel || opts.closing()) {
        counters.notificationsDropped++;
        logger.debug({ type: n.type }, 'notification dropped: broker unreachable');
        return;
      }
      // Batched: everything published in one turn of the event loop leaves as one message per
      // routing key. A processor batch of 200 MeterValues is 2 broker messages, not 400.
      const key = notificationRoutingKey(n);
      let batch = pending.get(key);
      if (!batch) pending.set(key, (batch = []));
      batch.push(n);
      if (!flushTimer) flushTimer = setImmediate(flush);
    },

    /** Adds a handler; consuming starts now if connected, else on the next attach(). Rejects if it could not start. */
    consume(handler: (n: Notification) => void): Promise<void> {
      handlers.push(handler);
      return channel ? startConsuming(channel) : Promise.resolve();
    },

    /** Sends what this turn has batched so far, at once (close() does, before the channels go). */
    flushNow(): void {
      if (!flushTimer) return;
      clearImmediate(flushTimer);
      flush();
    },
  };
}
