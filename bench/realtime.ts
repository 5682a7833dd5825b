/**
 * End-to-end latency in RabbitMQ mode: a charger's MeterValues leaving the client → gateway →
 * RabbitMQ → processor → SQLite → notifications exchange → notifier → the session's customer's
 * Socket.io `meter.values` event.
 *
 *   npx tsx bench/realtime.ts --rate 500          latency at a fixed offered rate
 *   npx tsx bench/realtime.ts --rate 2000
 *   npx tsx bench/realtime.ts --mode max          highest sustained rate (closed loop)
 *
 * The CSMS runs in a child process. This process plays 1,000 chargers (the first `--customers` of
 * them in a session whose customer is connected over Socket.io; they send the MeterValues) and the
 * customers. Latency counts from the scheduled send time. Needs RabbitMQ at RABBITMQ_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { deleteNamespace, median, pace, percentile, sleep, startCsmsProcess } from './support/harness.ts';
import { connectFleet, sendMeterValues, startTransactions, type BenchCharger } from './support/raw-fleet.ts';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'rate' },
    rate: { type: 'string', default: '500' },
    chargers: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
});
const CHARGERS = Number(args.chargers);
const CUSTOMERS = Number(args.customers);
const RATE = Number(args.rate);
const MODE = args.mode as 'rate' | 'max';
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Scheduled send time by `${sessionId}:${energyWh}`, until the customer's event arrives. */
const pending = new Map<string, number>();
const e2e: number[] = [];
let measuring = false;
let delivered = 0;
let unexpected = 0;

function sendMeter(c: BenchCharger, scheduledAt: number): void {
  sendMeterValues(c, scheduledAt);
  pending.set(`${c.transactionId}:${c.meterWh}`, scheduledAt);
}

const byTransaction = new Map<number, BenchCharger>();

function onAnswer(c: BenchCharger): void {
  if (MODE === 'rate' && c.backlog.length > 0) sendMeter(c, c.backlog.shift()!);
}

function onNotification(n: { type: string; data: { sessionId: number; energyWh: number } }): void {
  if (n.type !== 'meter.values') return;
  const key = `${n.data.sessionId}:${n.data.energyWh}`;
  const sentAt = pending.get(key);
  if (sentAt === undefined) {
    unexpected++;
    return;
  }
  pending.delete(key);
  delivered++;
  if (measuring) e2e.push(performance.now() - sentAt);
  // Closed loop on the whole path: the next reading once the customer has seen this one.
  if (MODE === 'max') {
    const c = byTransaction.get(n.data.sessionId)!;
    if (c.inFlight) setImmediate(() => sendMeter(c, performance.now()));
    else sendMeter(c, performance.now());
  }
}

async function main(): Promise<void> {
  const ns = `bench-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(process.env.BENCH_DB_DIR ?? tmpdir(), 'ev-rt-'));
  const csms = await startCsmsProcess({ CHARGERS: String(CHARGERS), TOKENS: String(CUSTOMERS), DB_PATH: join(dir, 'bench.db'), BENCH_RABBITMQ_NAMESPACE: ns, RABBITMQ_URL: RABBIT_URL });
  const { ready } = csms;
  const stats = () => csms.stats();

  const sockets: Socket[] = [];
  for (let i = 0; i < CUSTOMERS; i += 50) {
    await Promise.all(ready.tokens.slice(i, i + 50).map((token: string) => new Promise<void>((resolve, reject) => {
      const s = io(ready.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
      s.on('notification', onNotification);
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
      sockets.push(s);
    })));
  }
  const chargers = await connectFleet(ready.ocppUrl, CHARGERS, onAnswer);
  const senders = chargers.slice(0, CUSTOMERS);
  await startTransactions(senders);
  for (const c of senders) byTransaction.set(c.transactionId, c);
  log(`${chargers.length} chargers (${senders.length} in a session), ${sockets.length} customers on Socket.io`);

  let stopPacing: (() => void) | null = null;
  if (MODE === 'max') for (const c of senders) sendMeter(c, performance.now());
  else {
    let cursor = 0;
    stopPacing = pace(RATE, (now) => {
      const c = senders[cursor++ % senders.length];
      if (c.inFlight) c.backlog.push(now);
      else sendMeter(c, now);
    });
  }

  await sleep(Number(args.warmup) * 1000);
  const before = await stats();
  const delivered0 = delivered;
  const t0 = performance.now();
  let cpu = process.cpuUsage();
  measuring = true;
  const csmsCpu: number[] = [];
  const genCpu: number[] = [];
  for (let s = 0; s < Number(args.duration); s += 5) {
    await sleep(5000);
    const st = await stats();
    const d = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    genCpu.push(((d.user + d.system) / 1000 / 5000) * 100);
    csmsCpu.push(st.cpuPct);
    log(`t=${((performance.now() - t0) / 1000).toFixed(0)}s delivered/s=${((delivered - delivered0) / ((performance.now() - t0) / 1000)).toFixed(0)} backlog=${st.backlog} outbox=${st.outbox} loop p99/max=${st.loopP99Ms.toFixed(1)}/${st.loopMaxMs.toFixed(0)}ms csms cpu=${st.cpuPct.toFixed(0)}% generator cpu=${genCpu.at(-1)!.toFixed(0)}%`);
  }
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const after = await stats();
  stopPacing?.();
  e2e.sort((a, b) => a - b);
  const pct = (p: number) => Number(percentile(e2e, p).toFixed(2));
  const result = {
    mode: MODE,
    offeredRate: MODE === 'rate' ? RATE : null,
    measuredSeconds: Number(elapsed.toFixed(1)),
    deliveredRate: Math.round((delivered - delivered0) / elapsed),
    processedRate: Math.round((after.processed - before.processed) / elapsed),
    e2eP50Ms: pct(50),
    e2eP99Ms: pct(99),
    e2eMaxMs: Number(e2e.at(-1)?.toFixed(2)),
    undelivered: pending.size,
    unexpected,
    backlogAtEnd: after.backlog,
    csmsCpuPctMedian: median(csmsCpu),
    generatorCpuPctMedian: median(genCpu),
    csmsRssMb: Math.round(after.rssMb),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.table(result);

  for (const s of sockets) s.close();
  for (const c of chargers) c.peer.ws.terminate();
  await csms.stop();
  await deleteNamespace(RABBIT_URL, ns);
  rmSync(dir, { recursive: true, force: true });
}

function log(line: string): void {
  if (!args.json) process.stderr.write(`${line}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
