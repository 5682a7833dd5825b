/**
 * The event consumer's lanes (a channel per work queue) against a real broker, when a close or a
 * connection loss comes while lanes are still subscribing or closing. The moments are pinned by
 * calling through amqplib's own channel methods (not our modules): right after the consumer sent
 * a consume, or a channel close, on a real channel.
 */
import type { Channel, ChannelModel } from 'amqplib';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { CLOSE_TIMEOUT_MS, connectOnce, settlesWithin, withChannel } from '../../../../src/csms/broker/rabbitmq/connection.ts';
import { createEventConsumer } from '../../../../src/csms/broker/rabbitmq/consumer.ts';
import { createConfirmPublisher } from '../../../../src/csms/broker/rabbitmq/publisher.ts';
import { assertTopology, topology, type Topology } from '../../../../src/csms/broker/rabbitmq/topology.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../../helpers/rabbit.ts';
import { withRawChannel } from './fixtures.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Records every channel `model` creates (the real ones), so a test can call through their methods. */
function recordChannels(model: ChannelModel): Channel[] {
  const made: Channel[] = [];
  const create = model.createChannel.bind(model);
  model.createChannel = async (...args: Parameters<ChannelModel['createChannel']>) => {
    const ch = await create(...args);
    made.push(ch);
    return ch;
  };
  return made;
}

/** Calls `then` once, with its queue, right after the first consume any channel of `model` sends. */
function onFirstConsume(model: ChannelModel, then: (queue: string) => void): Channel[] {
  let done = false;
  const create = model.createChannel.bind(model);
  const made: Channel[] = [];
  model.createChannel = async (...args: Parameters<ChannelModel['createChannel']>) => {
    const ch = await create(...args);
    made.push(ch);
    const consume = ch.consume.bind(ch);
    ch.consume = ((...a: Parameters<Channel['consume']>) => {
      const p = consume(...a);
      if (!done) {
        done = true;
        then(a[0]);
      }
      return p;
    }) as Channel['consume'];
    return ch;
  };
  return made;
}

function aConsumer(t: Topology, model?: ChannelModel) {
  const consumer = createEventConsumer({
    topology: t,
    connection: () => model ?? null,
    publisher: createConfirmPublisher({ logger, idPrefix: 'test' }),
    prefetch: 10,
    maxAttempts: 3,
    retryDelayMs: 50,
    logger,
  });
  consumer.setHandler(async () => ({ failed: [] }));
  return consumer;
}

const consumers = (t: Topology) => withRawChannel(async (ch) => Promise.all(t.workQueues.map(async (q) => (await ch.checkQueue(q)).consumerCount)));

describeRabbit('rabbitmq event consumer lanes', () => {
  let ns = '';
  const models: ChannelModel[] = [];
  afterEach(async () => {
    for (const m of models.splice(0)) await settlesWithin(m.close().catch(() => {}), CLOSE_TIMEOUT_MS);
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    ns = '';
  });

  async function setUp(shards: number): Promise<{ t: Topology; model: ChannelModel }> {
    ns = uniqueNamespace();
    const t = topology(ns, shards);
    const model = await connectOnce(RABBIT_URL);
    models.push(model);
    await withChannel(model, (ch) => assertTopology(ch, t));
    return { t, model };
  }

  it('stop() ends in bounded time when the connection goes before the broker confirms a lane\'s channel close', async () => {
    const { t, model } = await setUp(2);
    const made = recordChannels(model);
    const consumer = aConsumer(t);
    await consumer.attach(model);
    expect(made).toHaveLength(t.workQueues.length);
    // The connection starts closing right after the first lane asked for its channel close: amqplib
    // then drops the broker's close-ok, and that channel's close() never settles.
    for (const ch of made) {
      const close = ch.close.bind(ch);
      ch.close = async () => {
        const p = close();
        void model.close().catch(() => {});
        return p;
      };
    }
    expect(await settlesWithin(consumer.stop(1000), CLOSE_TIMEOUT_MS + 5000)).toBe(true);
  });

  it('a close during the lanes\' subscribe gives up quietly: attach() resolves and no lane consumes afterwards', async () => {
    const { t, model } = await setUp(8);
    const consumer = aConsumer(t);
    let stopped: Promise<void> | undefined;
    // stop() while a consume is outstanding: closing that channel fails the consume ("Channel ended").
    onFirstConsume(model, () => (stopped = consumer.stop(1000)));
    // A failed attach is what makes the broker drop its connection, under its own close().
    await expect(consumer.attach(model)).resolves.toBeUndefined();
    expect(stopped).toBeDefined();
    expect(await settlesWithin(stopped, CLOSE_TIMEOUT_MS + 5000)).toBe(true);
    // Lanes still opening when stop() came did not subscribe after it.
    expect(await consumers(t)).toEqual(t.workQueues.map(() => 0));
  });

  it('after a connection loss during the lanes\' subscribe, attach() on the next connection subscribes every lane', async () => {
    const { t, model: first } = await setUp(8);
    const second = await connectOnce(RABBIT_URL);
    models.push(second);
    const consumer = aConsumer(t);
    let reattached: Promise<void> | undefined;
    let firstClosed: Promise<void> | undefined;
    // The connection is lost while the first lanes subscribe; the broker adapter detaches and, once
    // connected again, attaches at once (the opens on the lost connection have not settled yet).
    onFirstConsume(first, () => {
      consumer.detach();
      firstClosed = first.close().catch(() => {});
      reattached = consumer.attach(second);
    });
    await consumer.attach(first).catch(() => {});
    await firstClosed;
    await reattached;
    expect(await consumers(t)).toEqual(t.workQueues.map(() => 1));
    await consumer.stop(1000);
  });

  it('a shard released while its lane subscribes is subscribed again', async () => {
    const { t, model } = await setUp(4);
    const consumer = aConsumer(t, model);
    let released: Promise<boolean> | undefined;
    // The rebalancer releases a shard whose consume is still outstanding (its channel is the lane's already).
    onFirstConsume(model, (queue) => {
      const k = t.workQueues.indexOf(queue);
      released = consumer.release(k < t.shards ? k : 0);
    });
    await consumer.attach(model);
    expect(await released).toBe(true);
    expect(consumer.stats.released).toBe(1);
    expect(await consumers(t)).toEqual(t.workQueues.map(() => 1));
    await consumer.stop(1000);
  });
});
