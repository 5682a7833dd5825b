/**
 * What bench:meter and bench:realtime run against: the CSMS (one node or several sharing a RabbitMQ
 * namespace and a PostgreSQL schema) or the floor (support/floor-process.ts), each on a fresh
 * database of the run's `--db` (support/db-option.ts), removed again afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, freshSchemaName, type BenchDb } from './db-option.ts';
import { deleteNamespace, startCsmsProcess, type CsmsProcess, type CsmsStats } from './harness.ts';

/** `floor`: one INSERT per event in autocommit; `floor-batch`: one transaction per consumer batch. */
export type TargetName = 'csms' | 'floor' | 'floor-batch';

/** `both` = floor, csms; `all` = floor, floor-batch, csms; or a comma-separated list. */
export function parseTargets(value: string): TargetName[] {
  if (value === 'both') return ['floor', 'csms'];
  if (value === 'all') return ['floor', 'floor-batch', 'csms'];
  const list = value.split(',').map((t) => t.trim());
  for (const t of list) if (t !== 'csms' && t !== 'floor' && t !== 'floor-batch') throw new Error(`--target is csms, floor, floor-batch, both, all or a comma-separated list, not "${t}"`);
  return list as TargetName[];
}

/** `--nodes`: a node count, or several (`1,2`: the CSMS once with each, in that order). */
export function parseNodes(value: string): number[] {
  const list = value.split(',').map((n) => Number(n.trim()));
  for (const n of list) if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--nodes is a count from 1 to 8 or a comma-separated list of them, not "${value}"`);
  return list;
}

export interface TargetGroup {
  ocppUrls: string[];
  /** Where the customers connect (Socket.io): customer i to httpUrls[i % n]. */
  httpUrls: string[];
  tokens: string[];
  /** The nodes' counters summed (CPU in % of one core, summed too); `perNodeCpuPct` beside. */
  stats(): Promise<CsmsStats & { perNodeCpuPct: number[] }>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  target: TargetName;
  db: BenchDb;
  rabbitmq: { url: string; namespace: string } | null;
  chargers: number;
  /** Customers with a Socket.io token (bench:realtime). */
  tokens?: number;
  /** CSMS nodes (the floor has one). */
  nodes?: number;
  /** A label in the schema's name. */
  tag: string;
}

/** Starts the target on a fresh database; `stop()` closes it and removes the database and the namespace. */
export async function startTarget(o: TargetOptions): Promise<TargetGroup> {
  const dir = mkdtempSync(join(process.env.BENCH_DB_DIR ?? tmpdir(), 'ev-bench-'));
  const schema = o.db.kind === 'postgres' ? freshSchemaName(o.tag) : null;
  const env: Record<string, string> = { CHARGERS: String(o.chargers), TOKENS: String(o.tokens ?? 0), DB_PATH: join(dir, 'bench.db') };
  if (o.db.kind === 'postgres') Object.assign(env, { BENCH_DATABASE_URL: o.db.url, BENCH_DATABASE_SCHEMA: schema! });
  const floor = o.target !== 'csms';
  if (o.rabbitmq) env.RABBITMQ_URL = o.rabbitmq.url;
  if (floor) Object.assign(env, { FLOOR_MODE: o.rabbitmq ? 'rabbitmq' : 'memory', FLOOR_COMMIT: o.target === 'floor-batch' ? 'batch' : 'row', FLOOR_TOKENS: String(o.tokens ?? 0) });
  else if (o.rabbitmq) env.BENCH_RABBITMQ_NAMESPACE = o.rabbitmq.namespace;
  const nodes = floor ? 1 : (o.nodes ?? 1);
  if (nodes > 1 && (!o.rabbitmq || o.db.kind !== 'postgres')) throw new Error('several nodes need RabbitMQ (--rabbitmq) and PostgreSQL (--db postgres://…)');
  const procs: CsmsProcess[] = [];
  const cleanup = async () => {
    try {
      await Promise.all(procs.map((p) => p.stop()));
      if (o.rabbitmq && !floor) await deleteNamespace(o.rabbitmq.url, o.rabbitmq.namespace, 5000);
      if (schema) await dropSchema((o.db as { url: string }).url, schema);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    // One after the other: the first creates the schema and seeds; the next finds both done.
    for (let i = 0; i < nodes; i++) procs.push(await startCsmsProcess(env, { floor }));
  } catch (err) {
    await cleanup().catch(() => {});
    throw err;
  }
  return {
    ocppUrls: procs.map((p) => p.ready.ocppUrl),
    httpUrls: procs.map((p) => p.ready.httpUrl),
    tokens: procs[0]!.ready.tokens,
    async stats() {
      const all = await Promise.all(procs.map((p) => p.stats()));
      return {
        processed: sum(all.map((s) => s.processed)),
        failed: sum(all.map((s) => s.failed)),
        backlog: sum(all.map((s) => s.backlog)),
        // One table the nodes share.
        outbox: Math.max(...all.map((s) => s.outbox)),
        loopP99Ms: Math.max(...all.map((s) => s.loopP99Ms)),
        loopMaxMs: Math.max(...all.map((s) => s.loopMaxMs)),
        rssMb: sum(all.map((s) => s.rssMb)),
        cpuPct: sum(all.map((s) => s.cpuPct)),
        perNodeCpuPct: all.map((s) => Math.round(s.cpuPct)),
      };
    },
    stop: cleanup,
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
