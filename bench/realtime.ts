/**
 * End-to-end latency in RabbitMQ mode: a charger's MeterValues leaving the client → gateway →
 * RabbitMQ → processor → SQLite or PostgreSQL → notifications exchange → notifier → the session's
 * customer's Socket.io `meter.values` event.
 *
 *   npx tsx bench/realtime.ts --rate 500          latency at a fixed offered rate
 *   npx tsx bench/realtime.ts --rate 2000
 *   npx tsx bench/realtime.ts --mode max          highest sustained rate (closed loop)
 *   … --db postgres://127.0.0.1:5432/test         on PostgreSQL (a fresh schema, dropped at the end)
 *   … --target both                               the floor first (support/floor-process.ts through
 *                                                 RabbitMQ, one row per event, Socket.io emit), then
 *                                                 the CSMS, and the ratios; `all` adds floor-batch
 *   … --nodes 2                                   the CSMS as two nodes (PostgreSQL only)
 *
 * The CSMS runs in a child process. This process plays 1,000 chargers (the first `--customers` of
 * them in a session whose customer is connected over Socket.io; they send the MeterValues) and the
 * customers. Latency counts from the scheduled send time. Needs RabbitMQ at RABBITMQ_URL.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { parseDbOption } from './support/db-option.ts';
import { median, pace, percentile, sleep } from './support/harness.ts';
import { startCpuWindow } from './support/proc-cpu.ts';
import { connectFleet, sendMeterValues, startTransactions, type BenchCharger } from './support/raw-fleet.ts';
import { parseNodes, parseTargets, startTarget, type TargetName } from './support/targets.ts';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'rate' },
    rate: { type: 'string', default: '500' },
    chargers: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
    db: { type: 'string' },
    target: { type: 'string', default: 'csms' },
    nodes: { type: 'string', default: '1' },
  },
});
const DB = parseDbOption(args.db);
const TARGETS = parseTargets(args.target!);
const [NODES] = parseNodes(args.nodes!) as [number];
const CHARGERS = Number(args.chargers);
const CUSTOMERS = Number(args.customers);
const RATE = Number(args.rate);
const MODE = args.mode as 'rate' | 'max';
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Scheduled send time by `${sessionId}:${energyWh}`, until the customer's event arrives. */
const pending = new Map<string, number>();
let e2e: number[] = [];
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
  const results: Record<string, unknown>[] = [];
  for (const target of TARGETS) results.push(await runOnce(target));
  const csms = results.find((r) => r.target === 'csms') as { deliveredRate: number; e2eP50Ms: number; e2eP99Ms: number } | undefined;
  const floors = results.filter((r) => r.target !== 'csms') as { target: string; deliveredRate: number; e2eP50Ms: number; e2eP99Ms: number }[];
  if (csms && floors.length > 0) {
    const r = (a: number, b: number) => Number((a / b).toFixed(2));
    const ratios = Object.fromEntries(floors.map((f) => [`vs ${f.target}`, { deliveredRate: r(csms.deliveredRate, f.deliveredRate), e2eP50: r(csms.e2eP50Ms, f.e2eP50Ms), e2eP99: r(csms.e2eP99Ms, f.e2eP99Ms) }]));
    if (args.json) process.stdout.write(`${JSON.stringify({ ratios })}\n`);
    else console.table(ratios);
  }
}

async function runOnce(target: TargetName): Promise<Record<string, unknown>> {
  pending.clear();
  byTransaction.clear();
  e2e = [];
  delivered = 0;
  unexpected = 0;
  const nodes = target === 'csms' ? NODES : 1;
  log(`== ${target} (RabbitMQ, ${DB.kind}${nodes > 1 ? `, ${nodes} nodes` : ''})`);
  const group = await startTarget({
    target,
    db: DB,
    rabbitmq: { url: RABBIT_URL, namespace: `bench-${randomBytes(4).toString('hex')}` },
    chargers: CHARGERS,
    tokens: CUSTOMERS,
    nodes,
    tag: `rt_${target}`,
  });
  const stats = () => group.stats();

  const sockets: Socket[] = [];
  for (let i = 0; i < CUSTOMERS; i += 50) {
    await Promise.all(group.tokens.slice(i, i + 50).map((token: string, k: number) => new Promise<void>((resolve, reject) => {
      const s = io(group.httpUrls[(i + k) % group.httpUrls.length]!, { auth: { token }, transports: ['websocket'], reconnection: false });
      s.on('notification', onNotification);
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
      sockets.push(s);
    })));
  }
  const chargers = await connectFleet(group.ocppUrls, CHARGERS, onAnswer);
  const senders = chargers.slice(0, CUSTOMERS);
  await startTransactions(senders);
  for (const c of senders) byTransaction.set(c.transactionId, c);
  log(`${chargers.length} chargers (${senders.length} in a session), ${sockets.length} customers on Socket.io`);

  let stopPacing: (() => void) | null = null;
  if (MODE === 'max') for (const c of senders) sendMeter(c, performance.now());
  else {
    let cursor = 0;
    stopPacing = pace(RATE, (now) => {
      const c = senders[cursor++ % senders.length]!;
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
  const endCpuWindow = startCpuWindow();
  const csmsCpu: number[] = [];
  const genCpu: number[] = [];
  for (let s = 0; s < Number(args.duration); s += 5) {
    await sleep(5000);
    const st = await stats();
    const d = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    genCpu.push(((d.user + d.system) / 1000 / 5000) * 100);
    csmsCpu.push(st.cpuPct);
    log(`t=${((performance.now() - t0) / 1000).toFixed(0)}s delivered/s=${((delivered - delivered0) / ((performance.now() - t0) / 1000)).toFixed(0)} backlog=${st.backlog} outbox=${st.outbox} loop p99/max=${st.loopP99Ms.toFixed(1)}/${st.loopMaxMs.toFixed(0)}ms ${target} cpu=${st.perNodeCpuPct.join('+')}% generator cpu=${genCpu.at(-1)!.toFixed(0)}%`);
  }
  measuring = false;
  const system = endCpuWindow();
  const elapsed = (performance.now() - t0) / 1000;
  const after = await stats();
  stopPacing?.();
  e2e.sort((a, b) => a - b);
  const pct = (p: number) => Number(percentile(e2e, p).toFixed(2));
  const result = {
    target,
    db: DB.kind,
    nodes,
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
    ...system,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.table(result);

  for (const s of sockets) s.close();
  for (const c of chargers) c.peer.ws.terminate();
  await group.stop();
  return result;
}

function log(line: string): void {
  if (!args.json) process.stderr.write(`${line}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
