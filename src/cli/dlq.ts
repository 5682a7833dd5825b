/**
 * `ev-csms dlq list|replay`: the RabbitMQ dead-letter queue of OCPP events, without starting a CSMS.
 * Settings come from the environment (RABBITMQ_URL, RABBITMQ_NAMESPACE); the flags override them.
 */
import { createInterface } from 'node:readline/promises';
import type { ChannelModel } from 'amqplib';
import { Command, Option } from 'commander';
import type { Topology } from '../csms/broker/rabbitmq/topology.ts';
import { loadConfig } from '../csms/config.ts';
import { CsmsError } from '../csms/domain/errors.ts';
import type { DeadLetter } from '../csms/domain/ports.ts';

export interface DlqTarget {
  url: string;
  namespace: string;
}

/** Where output goes; the tests pass their own. */
export type Print = (line: string) => void;

const stdout: Print = (line) => void process.stdout.write(`${line}\n`);

function target(flags: { rabbitmqUrl?: string; rabbitmqNamespace?: string }): DlqTarget {
  const config = loadConfig({ rabbitmqUrl: flags.rabbitmqUrl, rabbitmqNamespace: flags.rabbitmqNamespace });
  return { url: config.rabbitmqUrl, namespace: config.rabbitmqNamespace };
}

/** The broker modules, loaded when a dlq command runs: `ev-csms --help` and `serve` do without amqplib. */
async function rabbitmq() {
  const [connection, deadLetters, topology] = await Promise.all([
    import('../csms/broker/rabbitmq/connection.ts'),
    import('../csms/broker/rabbitmq/dead-letters.ts'),
    import('../csms/broker/rabbitmq/topology.ts'),
  ]);
  return { ...connection, ...deadLetters, ...topology };
}

/** Connects, checks that the namespace's dead-letter queue exists, runs `fn`, disconnects. */
async function withDeadLetterQueue<T>(to: DlqTarget, fn: (model: ChannelModel, t: Topology, count: number) => Promise<T>): Promise<T> {
  const { connectOnce, redact, withChannel, topology } = await rabbitmq();
  let model: ChannelModel;
  try {
    model = await connectOnce(to.url, { connectTimeoutMs: 5000 });
  } catch (err) {
    if (err instanceof CsmsError) throw err;
    throw new CsmsError('CSMS_ERR_BROKER_UNAVAILABLE', `cannot connect to ${redact(to.url)} (${(err as Error).message})`);
  }
  model.on('error', () => {});
  try {
    const t = topology(to.namespace);
    let count: number;
    try {
      count = (await withChannel(model, (ch) => ch.checkQueue(t.queues.dead))).messageCount;
    } catch {
      throw new CsmsError('CSMS_ERR_NOT_FOUND', `no queue ${t.queues.dead} on ${redact(to.url)}: is RABBITMQ_NAMESPACE (--rabbitmq-namespace) right?`);
    }
    return await fn(model, t, count);
  } finally {
    await model.close().catch(() => {});
  }
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** A plain-text table: event id, charge point, kind/action, attempts, error, when. */
export function formatDeadLetters(letters: DeadLetter[]): string {
  const rows = letters.map((l) => {
    const e = l.event as { eventId?: string; chargePointId?: string; kind?: string; action?: string | null };
    return [e.eventId ?? '', e.chargePointId ?? '', e.action ? `${e.kind}/${e.action}` : String(e.kind ?? ''), String(l.attempts), clip(l.error, 60), l.at];
  });
  const head = ['EVENT ID', 'CHARGE POINT', 'KIND/ACTION', 'ATTEMPTS', 'ERROR', 'WHEN'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** `dlq list`: prints the dead letters (oldest first) and leaves them in the queue. */
export async function runDlqList(to: DlqTarget, opts: { json?: boolean; limit?: number } = {}, print: Print = stdout): Promise<DeadLetter[]> {
  return withDeadLetterQueue(to, async (model, t, count) => {
    const { withChannel, listDeadLetters, DEFAULT_LIST_LIMIT } = await rabbitmq();
    const letters = await withChannel(model, (ch) => listDeadLetters(ch, t, opts.limit ?? DEFAULT_LIST_LIMIT));
    if (opts.json) print(JSON.stringify(letters, null, 2));
    else if (letters.length === 0) print(`No dead letters in ${t.queues.dead}.`);
    else {
      print(formatDeadLetters(letters));
      print(`\n${count} dead letter${count === 1 ? '' : 's'} in ${t.queues.dead}${letters.length < count ? ` (showing the oldest ${letters.length})` : ''}.`);
    }
    return letters;
  });
}

/** `dlq replay`: moves every dead letter back to the work queue with its attempts reset. */
export async function runDlqReplay(to: DlqTarget, opts: { yes?: boolean } = {}, print: Print = stdout): Promise<number> {
  return withDeadLetterQueue(to, async (model, t, count) => {
    if (count === 0) {
      print(`No dead letters in ${t.queues.dead}.`);
      return 0;
    }
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw new CsmsError('CSMS_ERR_VALIDATION', `${count} dead letters in ${t.queues.dead}; pass --yes to replay them`);
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`Replay ${count} dead letters from ${t.queues.dead} to ${t.queues.events}? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        print('Nothing replayed.');
        return 0;
      }
    }
    const { withChannel, replayDeadLetters } = await rabbitmq();
    const moved = await withChannel(model, (ch) => replayDeadLetters(ch, t));
    print(`Replayed ${moved} dead letter${moved === 1 ? '' : 's'} to ${t.queues.events}.`);
    return moved;
  });
}

const connectionOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option('--rabbitmq-url <url>', 'RabbitMQ connection URL (env RABBITMQ_URL)'))
    .addOption(new Option('--rabbitmq-namespace <ns>', 'prefix of every exchange and queue name (env RABBITMQ_NAMESPACE)'));

/** The `dlq` command group for `ev-csms`. */
export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and replay OCPP events that kept failing (RabbitMQ dead-letter queue)');
  connectionOptions(
    dlq
      .command('list')
      .description('show the dead letters, oldest first; they stay in the queue')
      .option('--json', 'print JSON instead of a table')
      .option('--limit <n>', 'show at most n', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new CsmsError('CSMS_ERR_VALIDATION', `--limit must be a positive integer, got ${v}`);
        return n;
      }),
  ).action(async (flags: { json?: boolean; limit?: number; rabbitmqUrl?: string; rabbitmqNamespace?: string }) => {
    await runDlqList(target(flags), { json: flags.json, limit: flags.limit });
  });
  connectionOptions(
    dlq
      .command('replay')
      .description('move every dead letter back to the work queue, attempts reset')
      .option('--yes', 'do not ask for confirmation'),
  ).action(async (flags: { yes?: boolean; rabbitmqUrl?: string; rabbitmqNamespace?: string }) => {
    await runDlqReplay(target(flags), { yes: flags.yes });
  });
  return dlq;
}
