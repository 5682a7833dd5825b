/**
 * Reading and replaying the dead-letter queue; used by the broker (admin API) and, through
 * server.ts's openDeadLetterQueue, `ev-csms dlq`.
 * Listing takes messages with basic.get and puts them all back with one nack(requeue): RabbitMQ
 * requeues them at their original positions, and if we die half-way the channel's close does the same.
 */
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { CsmsError } from '../../domain/errors.ts';
import type { DeadLetter } from '../../domain/ports.ts';
import type { OcppEvent } from '../../domain/types.ts';
import { connectOnce, redact, withChannel } from './connection.ts';
import { attemptsOf, carriedHeaders } from './consumer.ts';
import { HEADERS, topology, type Topology } from './topology.ts';

export const DEFAULT_LIST_LIMIT = 10_000;
const REPLAY_BATCH = 200;

/** A dead-lettered message as the admin sees it; an unreadable body becomes an `invalid` event. */
export function toDeadLetter(msg: GetMessage): DeadLetter {
  const h = msg.properties.headers ?? {};
  const text = msg.content.toString('utf8');
  let event: OcppEvent;
  try {
    event = JSON.parse(text) as OcppEvent;
  } catch {
    event = { kind: 'invalid', eventId: String(msg.properties.messageId ?? ''), chargePointId: '', nodeId: '', receivedAt: '', raw: text.slice(0, 2000), reason: 'unreadable broker message', answer: null };
  }
  const at = h[HEADERS.failedAt];
  return { event, error: String(h[HEADERS.error] ?? ''), attempts: attemptsOf(msg), at: typeof at === 'string' ? at : '' };
}

/** Oldest first, at most `limit`; every message stays in the queue. */
export async function listDeadLetters(ch: Channel, t: Topology, limit = DEFAULT_LIST_LIMIT): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  let last: GetMessage | null = null;
  try {
    while (out.length < limit) {
      const msg = await ch.get(t.queues.dead, { noAck: false });
      if (!msg) break;
      last = msg;
      out.push(toDeadLetter(msg));
    }
  } finally {
    if (last) ch.nack(last, true, true);
  }
  return out;
}

/**
 * Moves the dead letters back to the work queue with their attempts reset; returns how many moved.
 * They go to the shared work queue, which every node consumes whatever its ordering setting (and
 * `ev-csms dlq` knows no shard count): a replayed event comes after later events of its charger anyway.
 * Each copy is confirmed before its original is acknowledged. Letters that die again meanwhile wait
 * for the next replay (only the count present at the start is moved).
 */
export async function replayDeadLetters(ch: ConfirmChannel, t: Topology): Promise<number> {
  const { messageCount } = await ch.checkQueue(t.queues.dead);
  // A copy the work queue did not take (it was deleted) is confirmed all the same: watch the returns.
  let returned = 0;
  ch.on('return', () => returned++);
  let moved = 0;
  while (moved < messageCount) {
    let last: GetMessage | null = null;
    let n = 0;
    while (n < REPLAY_BATCH && moved + n < messageCount) {
      const msg = await ch.get(t.queues.dead, { noAck: false });
      if (!msg) break;
      const { [HEADERS.attempts]: _a, [HEADERS.error]: _e, [HEADERS.failedAt]: _f, ...headers } = carriedHeaders(msg, {});
      ch.publish('', t.queues.events, msg.content, { persistent: true, mandatory: true, contentType: msg.properties.contentType, messageId: msg.properties.messageId, headers });
      last = msg;
      n++;
    }
    if (!last) break;
    // Throws if the broker refused or returned any copy: then nothing of this batch is acknowledged
    // (closing the channel requeues it).
    await ch.waitForConfirms();
    if (returned > 0) throw new Error(`the work queue ${t.queues.events} does not exist: nothing replayed from this batch`);
    ch.ack(last, true);
    moved += n;
  }
  return moved;
}

/** A namespace's dead-letter queue opened on its own connection, for `ev-csms dlq` (no CSMS running). */
export interface DeadLetterQueue {
  /** The dead-letter queue's and the work queue's names. */
  readonly dead: string;
  readonly events: string;
  /** How many dead letters the queue held when it was opened. */
  readonly count: number;
  list(limit?: number): Promise<DeadLetter[]>;
  /** Moves every dead letter back to the work queue with its attempts reset; returns how many. */
  replay(): Promise<number>;
  close(): Promise<void>;
}

/** Connects and checks that the namespace's dead-letter queue exists (CSMS_ERR_BROKER_UNAVAILABLE, CSMS_ERR_NOT_FOUND). */
export async function openDeadLetterQueue(url: string, namespace: string): Promise<DeadLetterQueue> {
  let model: ChannelModel;
  try {
    model = await connectOnce(url, { connectTimeoutMs: 5000 });
  } catch (err) {
    if (err instanceof CsmsError) throw err;
    throw new CsmsError('CSMS_ERR_BROKER_UNAVAILABLE', `cannot connect to ${redact(url)} (${(err as Error).message})`);
  }
  model.on('error', () => {});
  const t = topology(namespace);
  let count: number;
  try {
    count = (await withChannel(model, (ch) => ch.checkQueue(t.queues.dead))).messageCount;
  } catch {
    await model.close().catch(() => {});
    throw new CsmsError('CSMS_ERR_NOT_FOUND', `no queue ${t.queues.dead} on ${redact(url)}: is RABBITMQ_NAMESPACE (--rabbitmq-namespace) right?`);
  }
  return {
    dead: t.queues.dead,
    events: t.queues.events,
    count,
    list: (limit = DEFAULT_LIST_LIMIT) => withChannel(model, (ch) => listDeadLetters(ch, t, limit)),
    replay: () => withChannel(model, (ch) => replayDeadLetters(ch, t)),
    close: () => model.close().catch(() => {}),
  };
}
