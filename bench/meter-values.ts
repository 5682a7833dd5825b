/**
 * MeterValues through the pipeline: gateway → broker (embedded, or RabbitMQ with --rabbitmq) →
 * processor → SQLite (default) or PostgreSQL (`--db postgres://127.0.0.1:5432/test`: a fresh schema
 * per target, dropped at the end).
 *
 *   npx tsx bench/meter-values.ts --mode rate --rate 2000     reply latency at a fixed offered rate
 *   npx tsx bench/meter-values.ts --mode max                  highest sustained processed rate
 *   … --target both                                           the floor first, then the CSMS, and the ratios
 *   … --target all                                            both floors (row, batch), then the CSMS
 *   … --nodes 2                                               the CSMS as two nodes (RabbitMQ + PostgreSQL)
 *   … --nodes 1,2                                             the CSMS with one node, then with two
 *
 * `--target floor` measures the bare pipeline (support/floor-process.ts: answer, one row per event,
 * through an EventEmitter or RabbitMQ, into the same store as the CSMS; `floor` commits each row on
 * its own, `floor-batch` one transaction per consumer batch) with the same generator: the floor of
 * the same run.
 *
 * The CSMS runs in a child process (its own event loop); this process plays 1,000 chargers over raw
 * `ws`, each with a running transaction, never more than one CALL outstanding per charger (J §4.1.1).
 * Latency counts from the *scheduled* send time, so a slow server cannot hide its delay behind our
 * queue. Measures a warm-up, then a measured window (defaults 10 s + 60 s). Beside each figure: the
 * CPU of PostgreSQL and RabbitMQ, the machine's busy share and load average over the window.
 */
import { parseArgs } from 'node:util';
import { MessageType } from '../src/ocpp/frames.ts';
import { parseDbOption } from './support/db-option.ts';
import { median, pace, percentile, sleep } from './support/harness.ts';
import { startCpuWindow } from './support/proc-cpu.ts';
import { connectFleet, sendMeterValues, startTransactions, type BenchCharger } from './support/raw-fleet.ts';
import { parseNodes, parseTargets, startTarget, type TargetName } from './support/targets.ts';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'rate' },
    rate: { type: 'string', default: '2000' },
    chargers: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
    target: { type: 'string', default: 'csms' },
    rabbitmq: { type: 'boolean', default: false },
    db: { type: 'string' },
    nodes: { type: 'string', default: '1' },
  },
});
const TARGETS = parseTargets(args.target!);
const DB = parseDbOption(args.db);
const NODE_COUNTS = parseNodes(args.nodes!);
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CHARGERS = Number(args.chargers);
const RATE = Number(args.rate);
const WARMUP_S = Number(args.warmup);
const DURATION_S = Number(args.duration);
const MODE = args.mode as 'rate' | 'max';

let latencies: number[] = [];
let measuring = false;
let replies = 0;
let errors = 0;

function onAnswer(c: BenchCharger, frame: unknown[], scheduledAt: number): void {
  if (frame[0] !== MessageType.CALLRESULT) errors++;
  replies++;
  if (measuring) latencies.push(performance.now() - scheduledAt);
  if (MODE === 'max') sendMeterValues(c, performance.now());
  else if (c.backlog.length > 0) sendMeterValues(c, c.backlog.shift()!);
}

async function connectAll(ocppUrls: string[]): Promise<BenchCharger[]> {
  const chargers = await connectFleet(ocppUrls, CHARGERS, onAnswer);
  await startTransactions(chargers);
  return chargers;
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  for (const target of TARGETS) {
    if (target === 'csms') for (const n of NODE_COUNTS) results.push(await runOnce(target, n));
    else results.push(await runOnce(target, 1));
  }
  type Figures = { target: string; nodes: number; processedRate: number; replyP99Ms: number };
  const csmsRuns = results.filter((r) => r.target === 'csms') as Figures[];
  const floors = results.filter((r) => r.target !== 'csms') as Figures[];
  const ratios: Record<string, Record<string, number>> = {};
  const r = (a: number, b: number) => Number((a / b).toFixed(2));
  for (const c of csmsRuns) {
    for (const f of floors) ratios[`csms ×${c.nodes} vs ${f.target}`] = { processedRate: r(c.processedRate, f.processedRate), replyP99: r(c.replyP99Ms, f.replyP99Ms) };
    const one = csmsRuns.find((o) => o.nodes === 1);
    if (c.nodes > 1 && one) ratios[`csms ×${c.nodes} vs csms ×1`] = { processedRate: r(c.processedRate, one.processedRate), replyP99: r(c.replyP99Ms, one.replyP99Ms) };
  }
  if (Object.keys(ratios).length > 0) {
    if (args.json) process.stdout.write(`${JSON.stringify({ ratios })}\n`);
    else console.table(ratios);
  }
}

async function runOnce(target: TargetName, nodes: number): Promise<Record<string, unknown>> {
  latencies = [];
  replies = 0;
  errors = 0;
  log(`== ${target} (${args.rabbitmq ? 'RabbitMQ' : 'embedded'}, ${DB.kind}${nodes > 1 ? `, ${nodes} nodes` : ''})`);
  const group = await startTarget({
    target,
    db: DB,
    rabbitmq: args.rabbitmq ? { url: RABBIT_URL, namespace: `bench-${process.pid}-${target}-${nodes}` } : null,
    chargers: CHARGERS,
    nodes,
    tag: `meter_${target}`,
  });
  const stats = () => group.stats();
  const chargers = await connectAll(group.ocppUrls);
  log(`${chargers.length} chargers connected, booted, each with a running transaction`);

  let stopPacing: (() => void) | null = null;
  if (MODE === 'max') {
    for (const c of chargers) sendMeterValues(c, performance.now());
  } else {
    let cursor = 0;
    stopPacing = pace(RATE, (now) => {
      const c = chargers[cursor++ % chargers.length];
      if (c.inFlight) c.backlog.push(now);
      else sendMeterValues(c, now);
    });
  }

  await sleep(WARMUP_S * 1000);
  await stats();
  const before = await stats();
  const t0 = performance.now();
  const replies0 = replies;
  measuring = true;
  const endCpuWindow = startCpuWindow();
  const samples: { at: number; processed: number; backlog: number; cpuPct: number; rssMb: number; perNodeCpuPct: number[] }[] = [];
  for (let s = 0; s < DURATION_S; s += 5) {
    await sleep(Math.min(5, DURATION_S - s) * 1000);
    const st = await stats();
    samples.push({ at: (performance.now() - t0) / 1000, processed: st.processed, backlog: st.backlog, cpuPct: st.cpuPct, rssMb: st.rssMb, perNodeCpuPct: st.perNodeCpuPct });
    log(`t=${samples.at(-1)!.at.toFixed(0)}s replies/s=${((replies - replies0) / ((performance.now() - t0) / 1000)).toFixed(0)} backlog=${st.backlog} ${target} cpu=${st.perNodeCpuPct.join('+')}% rss=${st.rssMb.toFixed(0)}MB`);
  }
  measuring = false;
  const system = endCpuWindow();
  const elapsed = (performance.now() - t0) / 1000;
  const after = samples.at(-1)!;
  stopPacing?.();
  latencies.sort((a, b) => a - b);
  const result = {
    target,
    broker: args.rabbitmq ? 'rabbitmq' : 'embedded',
    db: DB.kind,
    nodes,
    mode: MODE,
    chargers: CHARGERS,
    offeredRate: MODE === 'rate' ? RATE : null,
    measuredSeconds: Number(elapsed.toFixed(1)),
    replyRate: Math.round((replies - replies0) / elapsed),
    processedRate: Math.round((after.processed - before.processed) / elapsed),
    backlogAtEnd: after.backlog,
    replyP50Ms: Number(percentile(latencies, 50).toFixed(2)),
    replyP99Ms: Number(percentile(latencies, 99).toFixed(2)),
    replyMaxMs: Number(latencies.at(-1)?.toFixed(2)),
    errors,
    csmsCpuPctMedian: median(samples.map((s) => s.cpuPct)),
    ...(nodes > 1 && { perNodeCpuPctMedian: samples[0]!.perNodeCpuPct.map((_, i) => median(samples.map((s) => s.perNodeCpuPct[i]!))).join('+') }),
    csmsRssMbMax: Math.round(Math.max(...samples.map((s) => s.rssMb))),
    ...system,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.table(result);
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
