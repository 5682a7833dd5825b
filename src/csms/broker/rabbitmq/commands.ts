/**
 * Commands between CSMS nodes: a charger's WebSocket lives on one node, an API request may arrive on
 * another. `forward` publishes to the holder's own queue (`mandatory`, so a node that is gone comes
 * back as a return) and waits for the answer on RabbitMQ's direct reply-to, consumed on the same
 * channel it publishes from.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import type { Logger } from 'pino';
import type { CommandOutcome, CommandRouter, RemoteCommand } from '../../domain/ports.ts';
import type { Topology } from './topology.ts';

const REPLY_TO = 'amq.rabbitmq.reply-to';
/** Extra wait beyond the command's own timeout: the serving node answers 'timeout' itself first. */
export const FORWARD_MARGIN_MS = 1000;

interface Waiting {
  resolve: (o: CommandOutcome) => void;
  timer: NodeJS.Timeout;
}

export function createCommandRouter(opts: { topology: Topology; nodeId: string; logger: Logger }) {
  const { topology: t, nodeId, logger } = opts;
  const waiting = new Map<string, Waiting>();
  let ch: Channel | null = null;
  let handler: ((cmd: RemoteCommand) => Promise<CommandOutcome>) | null = null;
  let serving = false;
  let inFlight = 0;
  const stats = { forwarded: 0, served: 0, offline: 0, timeouts: 0 };

  function finish(correlationId: string, outcome: CommandOutcome): void {
    const w = waiting.get(correlationId);
    if (!w) return;
    waiting.delete(correlationId);
    clearTimeout(w.timer);
    w.resolve(outcome);
  }

  const offline = (description: string): CommandOutcome => ({ commandId: '', status: 'offline', response: { description } });

  async function startServing(channel: Channel): Promise<void> {
    if (!handler || serving) return;
    serving = true;
    const q = t.commandQueue(nodeId);
    try {
      await channel.assertQueue(q, { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(q, (msg) => void (msg && serveOne(channel, msg)), { noAck: true });
    } catch (err) {
      serving = false;
      throw err;
    }
  }

  async function serveOne(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const { replyTo, correlationId } = msg.properties;
    let outcome: CommandOutcome;
    inFlight++;
    try {
      const cmd = JSON.parse(msg.content.toString('utf8')) as RemoteCommand;
      outcome = await handler!(cmd);
      stats.served++;
    } catch (err) {
      logger.error({ err }, 'forwarded command failed');
      outcome = { commandId: '', status: 'error', response: { description: (err as Error)?.message ?? String(err) } };
    } finally {
      inFlight--;
    }
    if (!replyTo) return;
    if (channel !== ch) {
      logger.warn({ correlationId }, 'connection lost before a forwarded command was answered');
      return;
    }
    try {
      channel.publish('', replyTo, Buffer.from(JSON.stringify(outcome)), { correlationId, contentType: 'application/json' });
    } catch (err) {
      logger.warn({ err }, 'could not answer a forwarded command');
    }
  }

  const router: CommandRouter = {
    forward(target, cmd) {
      const channel = ch;
      if (!channel) {
        stats.offline++;
        return Promise.resolve(offline('broker unreachable'));
      }
      const correlationId = randomUUID();
      return new Promise<CommandOutcome>((resolve) => {
        const timer = setTimeout(() => {
          stats.timeouts++;
          finish(correlationId, { commandId: '', status: 'timeout', response: { description: `no answer from node ${target} within ${cmd.timeoutMs} ms` } });
        }, cmd.timeoutMs + FORWARD_MARGIN_MS);
        timer.unref();
        waiting.set(correlationId, { resolve, timer });
        try {
          channel.publish('', t.commandQueue(target), Buffer.from(JSON.stringify(cmd)), {
            correlationId,
            replyTo: REPLY_TO,
            mandatory: true,
            // A command nobody took within its timeout must not run late.
            expiration: String(cmd.timeoutMs),
            contentType: 'application/json',
          });
          stats.forwarded++;
        } catch {
          finish(correlationId, offline('broker unreachable'));
        }
      });
    },
    serve(h) {
      handler = h;
      if (ch) startServing(ch).catch((err) => logger.error({ err }, 'could not serve forwarded commands'));
    },
  };

  return {
    router,
    stats,
    async attach(model: ChannelModel): Promise<Channel> {
      const channel = await model.createChannel();
      channel.on('return', (msg: Message) => {
        // Our command found no queue: the node is gone (or not serving).
        const id = msg.properties.correlationId as string | undefined;
        if (id && waiting.has(id)) {
          stats.offline++;
          finish(id, offline('node gone'));
        }
      });
      await channel.consume(REPLY_TO, (msg) => {
        if (!msg) return;
        let outcome: CommandOutcome;
        try {
          outcome = JSON.parse(msg.content.toString('utf8')) as CommandOutcome;
        } catch {
          outcome = { commandId: '', status: 'error', response: { description: 'unreadable answer' } };
        }
        finish(String(msg.properties.correlationId), outcome);
      }, { noAck: true });
      serving = false;
      ch = channel;
      await startServing(channel);
      return channel;
    },
    /** The channel is gone: replies to forwards in flight can no longer arrive. */
    detach(): void {
      ch = null;
      serving = false;
      for (const id of [...waiting.keys()]) {
        finish(id, { commandId: '', status: 'timeout', response: { description: 'broker connection lost before the answer arrived' } });
      }
    },
    /** Resolves once the commands being served have been answered (bounded). */
    async drain(timeoutMs: number): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

export type CommandRouterImpl = ReturnType<typeof createCommandRouter>;
