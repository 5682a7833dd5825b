/**
 * RabbitMQ for tests: the real broker, a namespace of our own per suite, deleted afterwards.
 * Without a broker the suites skip loudly; in CI (CI=true) they fail instead of passing silently.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, TestRunner } from 'vitest';
import pino from 'pino';
import { createRabbitBroker, type RabbitBroker, type RabbitBrokerOptions } from '../../src/csms/broker/rabbitmq/index.ts';
import { deleteNamespace as deleteBrokerNamespace } from '../../src/csms/broker/rabbitmq/topology.ts';
import { createSqliteStore, type SqliteStore } from '../../src/csms/store/index.ts';
import { amqpUp, startPrivateRabbit as startPrivateRabbitNode, type PrivateRabbit, type PrivateRabbitOptions } from '../../src/simulator/rabbit-node.ts';

export type { PrivateRabbit } from '../../src/simulator/rabbit-node.ts';

export const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** True when the broker at `url` accepts a connection within two seconds. */
export function rabbitAvailable(url = RABBIT_URL): Promise<boolean> {
  return amqpUp(url);
}

const reachable = await rabbitAvailable();

/** `describe` for suites that need the broker: skipped loudly without one, failed in CI (CI=true). */
export function describeRabbit(name: string, fn: () => void): void {
  if (reachable) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') throw new Error(`RabbitMQ not reachable at ${RABBIT_URL}: CI=true, so "${name}" fails instead of skipping`);
  describe.skip(name, () => {
    fn();
    // The tests fn() just registered (nested describes are not collected yet: counted as one each).
    const n = TestRunner.getCurrentSuite().tasks.length;
    console.warn(`\n*** RabbitMQ not reachable at ${RABBIT_URL}: skipping ${n} tests of "${name}" ***\n`);
  });
}

/** A namespace nobody else uses: `test-<random>`. */
export function uniqueNamespace(): string {
  return `test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every durable exchange and queue the topology declares for `ns` (per-node queues are auto-delete). */
export function deleteNamespace(url: string, ns: string): Promise<void> {
  return deleteBrokerNamespace(url, ns, 2000);
}

export interface TestBrokerOptions extends Partial<Omit<RabbitBrokerOptions, 'namespace'>> {
  /** Shares a store (and so an outbox) between broker instances; a fresh `:memory:` one otherwise. */
  store?: SqliteStore;
}

/**
 * A RabbitMQ broker on namespace `ns` with test defaults (silent logger, short retry delay). Each one,
 * and each store it created, is closed by `closeTestBrokers()`, which the test's afterEach calls.
 */
export function aRabbitBroker(ns: string, o: TestBrokerOptions = {}): RabbitBroker & { store: SqliteStore } {
  const store = o.store ?? createSqliteStore(':memory:');
  if (!o.store) opened.stores.push(store);
  const broker = createRabbitBroker({
    url: RABBIT_URL,
    nodeId: `node-${randomBytes(3).toString('hex')}`,
    outbox: store.outbox,
    nodes: store.nodes,
    prefetch: 50,
    maxAttempts: 3,
    retryDelayMs: 50,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...o,
    namespace: ns,
  });
  opened.brokers.push(broker);
  return Object.assign(broker, { store });
}

const opened: { brokers: RabbitBroker[]; stores: SqliteStore[] } = { brokers: [], stores: [] };

/** Closes every broker `aRabbitBroker` made (channels before connections), then their stores. */
export async function closeTestBrokers(): Promise<void> {
  const { brokers, stores } = opened;
  opened.brokers = [];
  opened.stores = [];
  await Promise.all(brokers.map((b) => b.close()));
  for (const s of stores) await s.close();
}

/**
 * Closes, on the broker's side, the connections whose `connection_name` is `name` (our brokers use
 * `ev-csms/<nodeId>`): a connection loss for that one client, nobody else's. Returns how many.
 */
export function killConnection(name: string): number {
  const out = execFileSync('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties'], { encoding: 'utf8', timeout: 30_000 });
  const pids = out
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) execFileSync('rabbitmqctl', ['close_connection', pid, 'test: connection loss'], { stdio: 'ignore', timeout: 30_000 });
  return pids.length;
}

/**
 * A RabbitMQ node of the test's own (free ports, a temporary directory) for outage tests: stop_app on
 * it disturbs nobody, unlike the shared node. `stop()` it in afterAll; it is killed if the test
 * process exits first. Needs root (the server runs as user rabbitmq), as the simulator's does.
 */
export function startPrivateRabbit(opts: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
  return startPrivateRabbitNode({ name: 'test', ...opts });
}

/** The PID of the live beam process of `node` (found by its RABBITMQ_NODENAME), or null. */
export function beamOf(node: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('beam')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`RABBITMQ_NODENAME=${node}`)) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}
