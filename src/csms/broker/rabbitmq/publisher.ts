/**
 * Confirmed, persistent, mandatory publishing on one confirm channel. Confirms are
 * tracked per message, never awaited one by one (docs/performance.md); a `basic.return` arrives before
 * the (positive) confirm of the same message, so a returned message settles as 'returned', not 'ack'.
 */
import type { ConfirmChannel, Message } from 'amqplib';
import type { Logger } from 'pino';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  body: string | Buffer;
  headers?: Record<string, unknown>;
  /** Per-message TTL in ms. */
  expiration?: number;
}

/** How the broker settled one message. Only 'ack' means it is safely queued. */
export type Outcome = 'ack' | 'nack' | 'returned' | 'closed';

export interface ConfirmPublisher {
  attach(ch: ConfirmChannel): void;
  /** The channel is gone: every pending message settles as 'closed', in publish order. */
  detach(): void;
  ready(): boolean;
  /** False (and `settle` is never called) when there is no channel to publish on. */
  publish(msg: Outgoing, settle: (o: Outcome) => void): boolean;
  pending(): number;
  /** Resolves true once nothing is pending, false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
  channel(): ConfirmChannel | null;
}

interface Pending {
  settle: (o: Outcome) => void;
  returned: boolean;
}

export function createConfirmPublisher(opts: { logger: Logger; idPrefix: string; onReturn?: (msg: Message) => void }): ConfirmPublisher {
  let ch: ConfirmChannel | null = null;
  let seq = 0;
  const pending = new Map<string, Pending>();
  let idleWaiters: (() => void)[] = [];

  function settle(id: string, o: Outcome): void {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    try {
      p.settle(o === 'ack' && p.returned ? 'returned' : o);
    } catch (err) {
      opts.logger.error({ err }, 'publish settle handler failed');
    }
    if (pending.size === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  return {
    attach(channel) {
      ch = channel;
      channel.on('return', (msg: Message) => {
        const p = pending.get(String(msg.properties.messageId));
        if (p) p.returned = true;
        opts.onReturn?.(msg);
      });
    },
    detach() {
      ch = null;
      for (const id of [...pending.keys()]) settle(id, 'closed');
    },
    ready: () => ch !== null,
    channel: () => ch,
    publish(msg, done) {
      if (!ch) return false;
      const id = `${opts.idPrefix}.${++seq}`;
      pending.set(id, { settle: done, returned: false });
      try {
        ch.publish(
          msg.exchange,
          msg.routingKey,
          typeof msg.body === 'string' ? Buffer.from(msg.body) : msg.body,
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId: id,
            headers: msg.headers,
            expiration: msg.expiration === undefined ? undefined : String(Math.max(0, Math.round(msg.expiration))),
          },
          (err) => settle(id, err ? 'nack' : 'ack'),
        );
      } catch (err) {
        // The channel closed under us (IllegalOperationError): the caller keeps the message.
        pending.delete(id);
        opts.logger.debug({ err }, 'publish on a closed channel');
        return false;
      }
      return true;
    },
    pending: () => pending.size,
    idle(timeoutMs) {
      if (pending.size === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          idleWaiters = idleWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        idleWaiters.push(done);
      });
    },
  };
}
