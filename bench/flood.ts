/**
 * One connection cannot hurt the others: a charger that floods the CSMS with frames, and a few
 * quiet chargers beside it whose Heartbeats must still be answered at once.
 *
 *   npm run bench:flood                                   floor, then each kind for 20 s
 *   npm run bench:flood -- --duration 5 --floor 3 --kinds call
 *   npm run bench:flood -- --flooders 3 --reconnect       several attackers that come back when closed
 *   npm run bench:flood -- --rabbitmq                     the same with ENABLE_RABBITMQ=true (RABBITMQ_URL)
 *
 * The CSMS runs in a child process with the default rate limits (200 frames/s per charger, closed
 * after 5 s in excess; `--rate-limit` and `--close-after` change them). The flooders run in a second
 * child process (`support/flooder.ts`) and send, as fast as their socket takes it, one kind each
 * phase: `result` (`[3,"x",{}]`, an answer to nothing), `error` (CALLERRORs) or `call` (Heartbeat
 * CALLs). This process plays the quiet chargers: each sends a Heartbeat every 100–200 ms and times
 * the answer. The floor is the same measurement with no flood, in the same run. Everything is on
 * 127.0.0.1 and ends by itself.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FloodConnectionResult, FloodKind, FloodRequest } from './support/flooder.ts';
import { encodeCall, MessageType } from '../src/ocpp/frames.ts';
import { openRawPeer, type RawPeer } from '../src/simulator/raw-peer.ts';
import { deleteNamespace, percentile, sleep, startCsmsProcess, type CsmsProcess } from './support/harness.ts';

const { values: args } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'result,error,call' },
    duration: { type: 'string', default: '20' },
    floor: { type: 'string', default: '10' },
    quiet: { type: 'string', default: '5' },
    flooders: { type: 'string', default: '1' },
    reconnect: { type: 'boolean', default: false },
    'no-read': { type: 'boolean', default: false },
    'rate-limit': { type: 'string', default: '200' },
    'close-after': { type: 'string', default: '5' },
    rabbitmq: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const KINDS = args.kinds.split(',').map((k) => k.trim()) as FloodKind[];
const DURATION_S = Number(args.duration);
const FLOOR_S = Number(args.floor);
const QUIET = Number(args.quiet);
const FLOODERS = Number(args.flooders);
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const GOAL_RSS_MB = 400;
const GOAL_P99_MS = 50;
/** A Heartbeat not answered this long after its phase ended counts as unanswered. */
const ANSWER_GRACE_MS = 5000;

interface Quiet {
  peer: RawPeer;
  seq: number;
  /** Send time by message id, until answered. */
  waiting: Map<string, number>;
}

interface Phase {
  name: string;
  sent: number;
  answered: number;
  latencies: number[];
  rssPeakMb: number;
  loopP99MaxMs: number;
  backlogPeak: number;
  cpuSamples: number[];
  flood: FloodConnectionResult[] | null;
  /** The CSMS's own warnings for the connections it closed in this phase. */
  closedByCsms: { framesReceived: number; framesOverLimit: number; framesPerSecond: number }[];
}

let logRead = 0;
/** New "over its rate limit" warnings in the CSMS's log (pino JSON lines) since the last call. */
function floodWarnings(logFile: string): Phase['closedByCsms'] {
  const text = readFileSync(logFile, 'utf8');
  const fresh = text.slice(logRead);
  logRead = text.length;
  return fresh.split('\n').filter((l) => l.includes('over its rate limit')).map((l) => JSON.parse(l));
}

let phase: Phase | null = null;

async function connectQuiet(ocppUrl: string, i: number): Promise<Quiet> {
  const waiting = new Map<string, number>();
  const peer = await openRawPeer(ocppUrl, `BENCH-${i}`, {
    onFrame(frame) {
      const sentAt = waiting.get(frame[1] as string);
      if (sentAt === undefined) return;
      waiting.delete(frame[1] as string);
      if (phase && frame[0] === MessageType.CALLRESULT) {
        phase.answered++;
        phase.latencies.push(performance.now() - sentAt);
      }
    },
  });
  await peer.call('BootNotification', { chargePointVendor: 'bench', chargePointModel: 'quiet' });
  return { peer, seq: 0, waiting };
}

function heartbeats(q: Quiet): () => void {
  let timer: NodeJS.Timeout;
  const tick = () => {
    if (phase) {
      const id = `h${q.seq++}`;
      q.waiting.set(id, performance.now());
      phase.sent++;
      q.peer.sendText(encodeCall(id, 'Heartbeat'));
    }
    timer = setTimeout(tick, 100 + Math.random() * 100);
  };
  timer = setTimeout(tick, Math.random() * 100);
  return () => clearTimeout(timer);
}

async function startFlooder(): Promise<{ run(req: FloodRequest): Promise<FloodConnectionResult[]>; kill(): void }> {
  const child = fork(new URL('./support/flooder.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`flooder exited (${code})`)));
  });
  return {
    run: (req) =>
      new Promise((resolve, reject) => {
        // Bounded: a flooder that does not report well after its time is killed.
        const deadline = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('flooder did not finish in time'));
        }, (req.durationS + 20) * 1000);
        child.once('message', (m: { connections: FloodConnectionResult[] }) => {
          clearTimeout(deadline);
          resolve(m.connections);
        });
        child.send(req);
      }),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function runPhase(name: string, seconds: number, csms: CsmsProcess, logFile: string, quiet: Quiet[], flood: (() => Promise<FloodConnectionResult[]>) | null): Promise<Phase> {
  const p: Phase = { name, sent: 0, answered: 0, latencies: [], rssPeakMb: 0, loopP99MaxMs: 0, backlogPeak: 0, cpuSamples: [], flood: null, closedByCsms: [] };
  await csms.stats(); // resets the CSMS's event-loop window
  phase = p;
  const flooding = flood?.();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await sleep(500);
    const st = await csms.stats();
    p.rssPeakMb = Math.max(p.rssPeakMb, st.rssMb);
    p.loopP99MaxMs = Math.max(p.loopP99MaxMs, st.loopP99Ms);
    p.backlogPeak = Math.max(p.backlogPeak, st.backlog);
    p.cpuSamples.push(st.cpuPct);
    log(`${name} t=${Math.round(seconds - (end - performance.now()) / 1000)}s heartbeats ${p.answered}/${p.sent} rss=${st.rssMb.toFixed(0)}MB cpu=${st.cpuPct.toFixed(0)}% loop p99=${st.loopP99Ms.toFixed(1)}ms backlog=${st.backlog}`);
  }
  if (flooding) p.flood = await flooding;
  // The last Heartbeats get their grace, then the phase stops counting.
  const graceEnd = performance.now() + ANSWER_GRACE_MS;
  while (quiet.some((q) => q.waiting.size > 0) && performance.now() < graceEnd) await sleep(50);
  phase = null;
  for (const q of quiet) q.waiting.clear();
  p.closedByCsms = floodWarnings(logFile);
  p.latencies.sort((a, b) => a - b);
  return p;
}

function summary(p: Phase, floor: Phase | null) {
  const p50 = percentile(p.latencies, 50);
  const p99 = percentile(p.latencies, 99);
  const sent = p.flood?.reduce((n, c) => n + c.sent, 0) ?? 0;
  const connectedS = (p.flood?.reduce((n, c) => n + c.connectedMs, 0) ?? 0) / 1000;
  const closes = p.flood?.flatMap((c) => c.closes) ?? [];
  return {
    phase: p.name,
    heartbeats: `${p.answered}/${p.sent}`,
    p50Ms: Number(p50.toFixed(2)),
    p99Ms: Number(p99.toFixed(2)),
    maxMs: Number((p.latencies.at(-1) ?? NaN).toFixed(2)),
    p99VsFloor: floor ? Number((p99 / percentile(floor.latencies, 99)).toFixed(2)) : null,
    csmsRssPeakMb: Math.round(p.rssPeakMb),
    rssVsFloor: floor ? Number((p.rssPeakMb / floor.rssPeakMb).toFixed(2)) : null,
    csmsCpuPctMax: Math.round(Math.max(...p.cpuSamples)),
    csmsLoopP99MaxMs: Number(p.loopP99MaxMs.toFixed(1)),
    backlogPeak: p.backlogPeak,
    flooderFramesSent: sent,
    flooderFramesPerS: connectedS > 0 ? Math.round(sent / connectedS) : 0,
    csmsSawFrames: p.closedByCsms.reduce((n, w) => n + w.framesReceived, 0),
    csmsDroppedOrRefused: p.closedByCsms.reduce((n, w) => n + w.framesOverLimit, 0),
    flooderClosed: closes.length === 0 ? 'no' : `${closes.length}×, first at ${(closes[0].atMs / 1000).toFixed(1)} s (${closes[0].code} ${closes[0].reason})`,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ev-bench-flood-'));
  const logFile = join(dir, 'csms.log');
  const ns = args.rabbitmq ? `bench-flood-${randomBytes(4).toString('hex')}` : null;
  const csms = await startCsmsProcess({
    ...(ns && { BENCH_RABBITMQ_NAMESPACE: ns, RABBITMQ_URL: RABBIT_URL }),
    CHARGERS: String(QUIET + FLOODERS),
    DB_PATH: join(dir, 'bench.db'),
    BENCH_CSMS_CONFIG: JSON.stringify({ ocppRateLimitPerSecond: Number(args['rate-limit']), ocppRateLimitCloseAfterS: Number(args['close-after']), ocppMaxQueuedCalls: 50 }),
  }, { logFile });
  const flooder = await startFlooder();
  const quiet: Quiet[] = [];
  try {
    const { ocppUrl } = csms.ready;
    for (let i = 0; i < QUIET; i++) quiet.push(await connectQuiet(ocppUrl, i));
    const stops = quiet.map(heartbeats);
    log(`${QUIET} quiet chargers booted; floor for ${FLOOR_S} s`);
    const floor = await runPhase('floor', FLOOR_S, csms, logFile, quiet, null);
    const results = [summary(floor, null)];
    for (const kind of KINDS) {
      await sleep(2000); // the previous phase's backlog drains
      const urls = Array.from({ length: FLOODERS }, (_, k) => `${ocppUrl}/BENCH-${QUIET + k}`);
      const req: FloodRequest = { type: 'run', urls, kind, durationS: DURATION_S, reconnect: args.reconnect, read: !args['no-read'] };
      const p = await runPhase(`flood:${kind}`, DURATION_S, csms, logFile, quiet, () => flooder.run(req));
      results.push(summary(p, floor));
    }
    for (const stop of stops) stop();
    const flooded = results.slice(1);
    const verdict = {
      rssUnder400Mb: flooded.every((r) => r.csmsRssPeakMb < GOAL_RSS_MB),
      p99Under50Ms: flooded.every((r) => r.p99Ms < GOAL_P99_MS),
      everyHeartbeatAnswered: results.every((r) => r.heartbeats.split('/')[0] === r.heartbeats.split('/')[1]),
    };
    if (args.json) process.stdout.write(`${JSON.stringify({ results, verdict })}\n`);
    else {
      console.table(results);
      console.log(`goal: CSMS RSS < ${GOAL_RSS_MB} MB ${verdict.rssUnder400Mb ? 'held' : 'MISSED'}; quiet Heartbeat p99 < ${GOAL_P99_MS} ms ${verdict.p99Under50Ms ? 'held' : 'MISSED'}; every Heartbeat answered: ${verdict.everyHeartbeatAnswered ? 'yes' : 'NO'}`);
    }
  } finally {
    for (const q of quiet) q.peer.ws.terminate();
    flooder.kill();
    await csms.stop();
    if (ns) await deleteNamespace(RABBIT_URL, ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

function log(line: string): void {
  if (!args.json) process.stderr.write(`${line}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
