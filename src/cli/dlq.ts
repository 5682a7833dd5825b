/**
 * `ev-csms dlq list|replay`: the RabbitMQ dead-letter queue of OCPP events, without starting a CSMS.
 * Settings come from the environment (RABBITMQ_URL, RABBITMQ_NAMESPACE); the flags override them.
 */
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { loadConfig } from '../csms/config.ts';
import { CsmsError } from '../csms/domain/errors.ts';
import type { DeadLetter } from '../csms/domain/ports.ts';
import type { DeadLetterQueue } from '../csms/server.ts';

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

/** Opens the dead-letter queue, runs `fn`, disconnects. server.ts is loaded here: `ev-csms --help` does without it. */
async function withDeadLetterQueue<T>(to: DlqTarget, fn: (queue: DeadLetterQueue) => Promise<T>): Promise<T> {
  const { openDeadLetterQueue } = await import('../csms/server.ts');
  const queue = await openDeadLetterQueue(to.url, to.namespace);
  try {
    return await fn(queue);
  } finally {
    await queue.close();
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
  return withDeadLetterQueue(to, async (queue) => {
    const { dead, count } = queue;
    const letters = await queue.list(opts.limit);
    if (opts.json) print(JSON.stringify(letters, null, 2));
    else if (letters.length === 0) print(`No dead letters in ${dead}.`);
    else {
      print(formatDeadLetters(letters));
      print(`\n${count} dead letter${count === 1 ? '' : 's'} in ${dead}${letters.length < count ? ` (showing the oldest ${letters.length})` : ''}.`);
    }
    return letters;
  });
}

/** `dlq replay`: moves every dead letter back to the work queue with its attempts reset. */
export async function runDlqReplay(to: DlqTarget, opts: { yes?: boolean } = {}, print: Print = stdout): Promise<number> {
  return withDeadLetterQueue(to, async (queue) => {
    const { dead, events, count } = queue;
    if (count === 0) {
      print(`No dead letters in ${dead}.`);
      return 0;
    }
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw new CsmsError('CSMS_ERR_VALIDATION', `${count} dead letters in ${dead}; pass --yes to replay them`);
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`Replay ${count} dead letters from ${dead} to ${events}? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        print('Nothing replayed.');
        return 0;
      }
    }
    const moved = await queue.replay();
    print(`Replayed ${moved} dead letter${moved === 1 ? '' : 's'} to ${events}.`);
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
