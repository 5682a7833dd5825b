/**
 * MeterValues through the pipeline: gateway → broker (embedded, or RabbitMQ with --rabbitmq) →
 * processor → SQLite.
 *
 *   npx tsx bench/meter-values.ts --mode rate --rate 2000     reply latency at a fixed offered rate
 *   npx tsx bench/meter-values.ts --mode max                  highest sustained processed rate
 *   … --target both                                           the floor first, then the CSMS, and the ratios
 *
 * `--target floor` measures the bare pipeline (support/floor-process.ts: immediate answer, one SQLite
 * row per event, through an EventEmitter or RabbitMQ) with the same generator: the floor of the same run.
 *
 * The CSMS runs in a child process (its own event loop); this process plays 1,000 chargers over raw
 * `ws`, each with a running transaction, never more than one CALL outstanding per charger (J §4.1.1).
 * Latency counts from the *scheduled* send time, so a slow server cannot hide its delay behind our
 * queue. Measures a warm-up, then a measured window (defaults 10 s + 60 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageType } from '../src/ocpp/frames.ts';
import { deleteNamespace, median, pace, percentile, sleep, startCsmsProcess } from './support/harness.ts';
import { connectFleet, sendMeterValues, startTransactions, type BenchCharger } from './support/raw-fleet.ts';

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
  },
});
const TARGETS = args.target === 'both' ? ['floor', 'csms'] : [args.target!];
if (!TARGETS.every((t) => t === 'floor' || t === 'csms')) throw new Error('--target is csms, floor or both');
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

async function connectAll(ocppUrl: string): Promise<BenchCharger[]> {
  const chargers = await connectFleet(ocppUrl, CHARGERS, onAnswer);
  await startTransactions(chargers);
  return chargers;
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  for (const target of TARGETS) results.push(await runOnce(target as 'floor' | 'csms'));
  if (results.length === 2) {
    const [floor, csms] = results as { processedRate: number; replyP99Ms: number }[];
    const ratios = { processedRateVsFloor: Number((csms.processedRate / floor.processedRate).toFixed(2)), replyP99VsFloor: Number((csms.replyP99Ms / floor.replyP99Ms).toFixed(2)) };
    if (args.json) process.stdout.write(`${JSON.stringify(ratios)}\n`);
    else console.table(ratios);
  }
}

async function runOnce(target: 'floor' | 'csms'): Promise<Record<string, unknown>> {
  latencies = [];
  replies = 0;
  errors = 0;
  const dir = mkdtempSync(join(tmpdir(), 'ev-bench-'));
  const namespace = `bench-${process.pid}-${target}`;
  const env: Record<string, string> = { CHARGERS: String(CHARGERS), DB_PATH: join(dir, 'bench.db') };
  if (args.rabbitmq) Object.assign(env, target === 'floor' ? { FLOOR_MODE: 'rabbitmq' } : { BENCH_RABBITMQ_NAMESPACE: namespace });
  log(`== ${target} (${args.rabbitmq ? 'RabbitMQ' : 'embedded'})`);
  const csms = await startCsmsProcess(env, { floor: target === 'floor' });
  const { ready } = csms;
  const stats = () => csms.stats();
  const chargers = await connectAll(ready.ocppUrl);
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
  const samples: { at: number; processed: number; backlog: number; cpuPct: number; rssMb: number }[] = [];
  for (let s = 0; s < DURATION_S; s += 5) {
    await sleep(Math.min(5, DURATION_S - s) * 1000);
    const st = await stats();
    samples.push({ at: (performance.now() - t0) / 1000, processed: st.processed, backlog: st.backlog, cpuPct: st.cpuPct, rssMb: st.rssMb });
    log(`t=${samples.at(-1)!.at.toFixed(0)}s replies/s=${((replies - replies0) / ((performance.now() - t0) / 1000)).toFixed(0)} backlog=${st.backlog} csms cpu=${st.cpuPct.toFixed(0)}% rss=${st.rssMb.toFixed(0)}MB`);
  }
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const after = samples.at(-1)!;
  stopPacing?.();
  latencies.sort((a, b) => a - b);
  const result = {
    target,
    broker: args.rabbitmq ? 'rabbitmq' : 'embedded',
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
    csmsRssMbMax: Math.round(Math.max(...samples.map((s) => s.rssMb))),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.table(result);
  for (const c of chargers) c.peer.ws.terminate();
  await csms.stop();
  if (args.rabbitmq && target === 'csms') await deleteNamespace('amqp://guest:guest@127.0.0.1:5672', namespace, 5000);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

function log(line: string): void {
  if (!args.json) process.stderr.write(`${line}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
