/**
 * The live nodes share the shard queues: node A starts alone and is the active consumer of every
 * shard; node B joins, and A hands B the shards B is the preferred owner of (rendezvous hashing,
 * broker/rabbitmq/rebalance.ts), so both nodes process, each the chargers of its own shards, and every
 * charger's events are still applied in the order they were accepted.
 *
 * Two nodes share one RabbitMQ namespace and one SQLite file; a fleet of 32 chargers, two on each of
 * the 16 shards, sends rounds of numbered DataTransfers ("seq-1" …; a round is a burst per charger,
 * the next round once the previous one is applied). What each node applied is read from its
 * processor counters; the order from the OCPP message log (its rows are written in the processor's
 * transaction, so their ids are the commit order).
 *
 * EVENT_REBALANCE_TEST=off runs the test with rebalancing switched off (EVENT_REBALANCE_INTERVAL_MS=0):
 * it must fail then (B stays a standby on every shard).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { preferredOwner } from '../../../src/csms/broker/rabbitmq/rebalance.ts';
import { DEFAULT_EVENT_SHARDS, shardOf } from '../../../src/csms/broker/rabbitmq/topology.ts';
import type { CsmsConfigInput } from '../../../src/csms/config.ts';
import { openRawPeer, type RawPeer } from '../../../src/simulator/raw-peer.ts';
import { aChargePoint, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';

const REBALANCE_MS = process.env.EVENT_REBALANCE_TEST === 'off' ? 0 : 500;
const SHARDS = DEFAULT_EVENT_SHARDS;
const PER_SHARD = 2;
/** DataTransfers per charger and round, sent at once: while B takes its shards over, and then measured. */
const TAKEOVER_BURST = 1;
const BURST = 4;
/** Rounds measured once B has its shards. */
const MEASURED = 10;
/** At most this many takeover rounds and this long (a shard is released at most once per 10–15 s). */
const MAX_TAKEOVER_ROUNDS = 2000;
const MAX_TAKEOVER_MS = 40_000;
/** Message log rows kept per charger: all of a test's (2 per CALL). */
const LOG_ROWS = 20_000;
const NODES = ['node-a', 'node-b'];

/** Charger ids, PER_SHARD on each shard. */
function fleet(): string[] {
  const byShard = new Map<number, string[]>();
  for (let i = 0; byShard.size < SHARDS || [...byShard.values()].some((ids) => ids.length < PER_SHARD); i++) {
    const id = `FLEET-${i}`;
    const ids = byShard.get(shardOf(id, SHARDS)) ?? [];
    if (ids.length < PER_SHARD) byShard.set(shardOf(id, SHARDS), [...ids, id]);
  }
  return [...byShard.values()].flat();
}

const seqOf = (request: unknown) => Number(/^seq-(\d+)$/.exec((request as { data?: string } | null)?.data ?? '')?.[1]);

describeRabbit('event shards spread over the live nodes (RabbitMQ)', () => {
  let ns = '';
  let dir = '';
  const nodes: TestCsms[] = [];
  const peers: RawPeer[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    for (const n of nodes.splice(0)) await n.close().catch(() => {});
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
    ns = '';
    dir = '';
  });

  async function start(nodeId: string): Promise<TestCsms> {
    if (!ns) {
      ns = uniqueNamespace();
      dir = mkdtempSync(join(tmpdir(), 'shard-rebalance-'));
    }
    const config: CsmsConfigInput = {
      nodeId,
      enableRabbitmq: true,
      rabbitmqUrl: RABBIT_URL,
      rabbitmqNamespace: ns,
      dbPath: join(dir, 'shared.db'),
      eventShards: SHARDS,
      eventRebalanceIntervalMs: REBALANCE_MS,
      rabbitmqPrefetch: 16,
      ocppRateLimitPerSecond: 100_000,
      ocppMaxQueuedCalls: 1000,
      messageLogRetention: LOG_ROWS,
    };
    const n = await startCsms(config);
    nodes.push(n);
    return n;
  }

  /** Namespace, database file and charge points (created through `a`); the fleet's peers connected to `a`. */
  async function fleetOn(a: TestCsms) {
    const ids = fleet();
    for (const id of ids) await aChargePoint(a.store, { id, connectors: 1 });
    for (const id of ids) {
      const peer = await openRawPeer(a.info.ocppUrl, id);
      peers.push(peer);
      expect((await peer.call('BootNotification', { chargePointVendor: 'Rebalance', chargePointModel: 'Test' }))[2]).toMatchObject({ status: 'Accepted' });
    }
    const sent = new Map(ids.map((id) => [id, 0]));
    const processed = async (n: TestCsms) => (await n.csms.stats()).processor.processed;

    /** One round: a burst from every charger at once; resolves with what each node applied of it. */
    async function round(on: TestCsms[], burst = BURST): Promise<number[]> {
      const events = ids.length * burst;
      const before = await Promise.all(on.map(processed));
      await Promise.all(peers.map(async (peer, i) => {
        const id = ids[i]!;
        const first = sent.get(id)! + 1;
        sent.set(id, first + burst - 1);
        const answers = await Promise.all(Array.from({ length: burst }, (_, k) => peer.call('DataTransfer', { vendorId: 'rebalance-test', data: `seq-${first + k}` })));
        expect(answers.map((x) => x[0])).toEqual(answers.map(() => 3));
      }));
      let after: number[] = before;
      await waitFor(async () => {
        after = await Promise.all(on.map(processed));
        return after.reduce((n, x) => n + x, 0) - before.reduce((n, x) => n + x, 0) >= events;
      }, 30_000);
      return after.map((x, i) => x - before[i]!);
    }

    /**
     * Rounds until one is split exactly by the preferred owners (B has all its shards, A none of
     * them); fails once MAX_TAKEOVER_ROUNDS or MAX_TAKEOVER_MS are used up.
     */
    async function takeOver(a2: TestCsms, b: TestCsms): Promise<{ rounds: number; ms: number; preferredByB: number }> {
      const preferredByB = Array.from({ length: SHARDS }, (_, k) => preferredOwner(k, NODES)).filter((o) => o === NODES[1]).length;
      const expectedB = preferredByB * PER_SHARD * TAKEOVER_BURST;
      const events = ids.length * TAKEOVER_BURST;
      expect(expectedB).toBeGreaterThan(0);
      expect(expectedB).toBeLessThan(events);
      let split = [events, 0];
      let rounds = 0;
      const since = Date.now();
      while (split[1] !== expectedB && rounds < MAX_TAKEOVER_ROUNDS && Date.now() - since < MAX_TAKEOVER_MS) {
        split = await round([a2, b], TAKEOVER_BURST);
        rounds++;
      }
      expect({ rounds, split }).toEqual({ rounds: expect.any(Number), split: [events - expectedB, expectedB] });
      return { rounds, ms: Date.now() - since, preferredByB };
    }

    /** Every charger's events were applied once each, in the order they were accepted. */
    async function expectInOrder(reader: TestCsms): Promise<void> {
      for (const id of ids) {
        const log = await reader.store.messages.list(id, { limit: LOG_ROWS });
        const order = log.filter((m) => m.direction === 'in' && m.messageType === 2 && m.action === 'DataTransfer').sort((x, y) => x.id - y.id).map((m) => seqOf(m.payload));
        expect({ id, order }).toEqual({ id, order: Array.from({ length: sent.get(id)! }, (_, i) => i + 1) });
      }
    }

    return { ids, round, takeOver, expectInOrder };
  }

  it(`a node that joins takes over the shards it is preferred for; both process, each charger in order (rebalancing ${REBALANCE_MS ? 'on' : 'off'})`, async () => {
    const a = await start(NODES[0]!);
    const { ids, round, takeOver, expectInOrder } = await fleetOn(a);

    // A alone: the active consumer of every shard, it applies everything.
    const [alone] = await round([a]);
    expect(alone).toBe(ids.length * BURST);

    // B joins. Its share of a round is the events of the shards it is preferred for.
    const b = await start(NODES[1]!);
    const { rounds, ms, preferredByB } = await takeOver(a, b);

    // Measured: both nodes apply a substantial share, and they keep to their shards.
    const total = [0, 0];
    for (let r = 0; r < MEASURED; r++) {
      const [byA, byB] = await round([a, b]);
      total[0] += byA!;
      total[1] += byB!;
    }
    const shares = total.map((x) => x / (MEASURED * ids.length * BURST));
    console.info(`shares after B took over (${rounds} rounds, ${ms} ms): A ${(shares[0]! * 100).toFixed(1)}%, B ${(shares[1]! * 100).toFixed(1)}% (B preferred for ${preferredByB}/${SHARDS} shards)`);
    expect(shares[0]).toBeGreaterThanOrEqual(0.25);
    expect(shares[1]).toBeGreaterThanOrEqual(0.25);
    await expectInOrder(a);
  }, 180_000);

  it(`after a rolling restart the shards are spread again (rebalancing ${REBALANCE_MS ? 'on' : 'off'})`, async () => {
    const a = await start(NODES[0]!);
    const { ids, round, takeOver, expectInOrder } = await fleetOn(a);
    let b = await start(NODES[1]!);
    await takeOver(a, b);
    // B restarts: while it is away, A has every shard (single active consumer hands them over)…
    await b.close();
    nodes.splice(nodes.indexOf(b), 1);
    expect(await round([a])).toEqual([ids.length * BURST]);
    // …and once it is back, B gets its shards back instead of standing by on all of them.
    b = await start(NODES[1]!);
    const back = await takeOver(a, b);
    console.info(`after B restarted, it had its shards back after ${back.rounds} rounds, ${back.ms} ms`);
    await expectInOrder(a);
  }, 180_000);
});
