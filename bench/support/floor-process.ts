/**
 * The floor: a bare pipeline with no business logic, as in docs/performance.md, measured by the
 * same load generator as the CSMS in the same run, so figures are ratios on one machine state.
 *
 *   charger frame → answer → event → consumer → one row per event → [Socket.io emit]
 *
 * The event goes through an in-process EventEmitter (`FLOOR_MODE=memory`: answered at once) or
 * through RabbitMQ (`FLOOR_MODE=rabbitmq`: persistent on a confirm channel, answered once confirmed,
 * as the CSMS does; consumed on a connection of its own with prefetch 200, as the CSMS's default
 * RABBITMQ_PREFETCH). An answer that waits for nothing would let a closed-loop generator fill the
 * broker until its memory alarm blocks the connection: no sustained rate at all.
 *
 * The row goes to SQLite (`DB_PATH`, WAL, synchronous=NORMAL, as the CSMS) or to PostgreSQL
 * (`BENCH_DATABASE_URL`, table in `BENCH_DATABASE_SCHEMA`, created here; a pool of
 * `FLOOR_POOL_SIZE` connections, default 10 as the CSMS's DATABASE_POOL_SIZE), committed one of two ways
 * (`FLOOR_COMMIT`):
 *   row    one INSERT per event in autocommit, acked once its row is committed (PostgreSQL: up to
 *          the pool size at once; SQLite: one after the other, synchronously)
 *   batch  one transaction per consumer batch: the events delivered since the previous batch (up to
 *          the prefetch), one INSERT per event, one COMMIT, then one ack for the batch; the next
 *          batch only once this one is committed, as the CSMS's consumer does per shard queue
 *
 * Like the CSMS (its RabbitMQ broker's queueHighWater, 50,000), it holds answers while 50,000
 * accepted events are not yet written, until fewer than a fifth of that are: in `--mode max` a
 * consumer slower than the publishers then meets the same bound as the CSMS's, instead of
 * competing for the CPU with an unbounded publisher flood.
 *
 * With `FLOOR_TOKENS=n` it also serves Socket.io on a port of its own (bench:realtime's customers):
 * the customer with token `BENCH-i` joins charger BENCH-i's room and gets a `notification`
 * `{ type: 'meter.values', data: { sessionId, energyWh } }` once the row of that charger's
 * MeterValues is committed (emitted in this process: no second broker hop, unlike the CSMS's
 * notifications exchange). It speaks just enough OCPP for the benches (BootNotification,
 * StartTransaction, anything else → `{}`) and the same IPC as csms-process.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { userInfo } from 'node:os';
import { connect, type ConfirmChannel, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Server as SocketServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { MessageType } from '../../src/ocpp/frames.ts';
import { serveBenchIpc } from './ipc.ts';

const mode = process.env.FLOOR_MODE === 'rabbitmq' ? 'rabbitmq' : 'memory';
const commit = process.env.FLOOR_COMMIT === 'batch' ? 'batch' : 'row';
const PREFETCH = 200;
const tokens = Array.from({ length: Number(process.env.FLOOR_TOKENS ?? 0) }, (_, i) => `BENCH-${i}`);

interface Row {
  cp: string;
  body: string;
  at: string;
}

interface FloorDb {
  /** One row, its own commit. */
  insertOne(row: Row): Promise<void> | void;
  /** The rows in one transaction. */
  insertBatch(rows: Row[]): Promise<void> | void;
  close(): Promise<void>;
}

function openSqlite(path: string): FloorDb {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, cp TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL)');
  const insert = db.prepare<[string, string, string]>('INSERT INTO events (cp, body, at) VALUES (?, ?, ?)');
  const many = db.transaction((rows: Row[]) => {
    for (const r of rows) insert.run(r.cp, r.body, r.at);
  });
  return {
    insertOne: (r) => void insert.run(r.cp, r.body, r.at),
    insertBatch: (rows) => many(rows),
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(url: string, schema: string): Promise<FloorDb> {
  // As src/csms/store/postgres/pg-store.ts: a URL without a user falls back to the OS user, as psql does.
  if (!pg.defaults.user) pg.defaults.user = userInfo().username;
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.FLOOR_POOL_SIZE ?? 10),
    application_name: 'ev-csms-floor',
    options: `-c search_path=${schema}`,
  });
  pool.on('error', () => {});
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await pool.query('CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, cp TEXT NOT NULL, body TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)');
  const insert = (q: pg.Pool | pg.PoolClient, r: Row) => q.query({ name: 'floor_insert', text: 'INSERT INTO events (cp, body, at) VALUES ($1, $2, $3)', values: [r.cp, r.body, r.at] });
  return {
    async insertOne(r) {
      await insert(pool, r);
    },
    async insertBatch(rows) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const r of rows) await insert(client, r);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

const db: FloorDb = process.env.BENCH_DATABASE_URL
  ? await openPostgres(process.env.BENCH_DATABASE_URL, process.env.BENCH_DATABASE_SCHEMA!)
  : openSqlite(process.env.DB_PATH!);
let processed = 0;
let failed = 0;
let backlog = 0;
let txSeq = 0;
let io: SocketServer | null = null;
let stopping = false;

const HIGH_WATER = 50_000;
/** Answers held while the backlog is above the high water mark. */
let held: (() => void)[] | null = null;

/** After the commit: counted, and (bench:realtime) the charger's customer told. */
function stored(rows: Row[]): void {
  processed += rows.length;
  backlog -= rows.length;
  if (held && backlog < HIGH_WATER / 5) {
    const go = held;
    held = null;
    for (const answer of go) answer();
  }
  if (!io) return;
  for (const r of rows) {
    const frame = JSON.parse(r.body) as [number, string, string, { transactionId?: number; meterValue?: { sampledValue: { value: string; measurand?: string }[] }[] }];
    if (frame[2] !== 'MeterValues') continue;
    const energy = frame[3].meterValue?.[0]?.sampledValue.find((v) => v.measurand === 'Energy.Active.Import.Register');
    if (!energy) continue;
    io.to(r.cp).emit('notification', { type: 'meter.values', data: { sessionId: frame[3].transactionId, energyWh: Number(energy.value) } });
  }
}

/** Events waiting for the next batch, each with its ack. */
const pending: { row: Row; ack: () => void }[] = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  while (pending.length > 0) {
    const items = pending.splice(0, PREFETCH);
    try {
      await db.insertBatch(items.map((i) => i.row));
      stored(items.map((i) => i.row));
      for (const i of items) i.ack();
    } catch (err) {
      failed += items.length;
      console.error(err);
    }
  }
  draining = false;
}

/** The consumer's side: the event is written, then acknowledged. */
function consume(row: Row, ack: () => void): void {
  if (commit === 'batch') {
    pending.push({ row, ack });
    if (!draining) setImmediate(() => void drain());
    return;
  }
  const done = db.insertOne(row);
  if (done instanceof Promise) {
    done.then(
      () => {
        stored([row]);
        ack();
      },
      (err: unknown) => {
        failed++;
        console.error(err);
      },
    );
  } else {
    stored([row]);
    ack();
  }
}

const bus = new EventEmitter();
let conn: ChannelModel | null = null;
let consumerConn: ChannelModel | null = null;
let pub: ConfirmChannel | null = null;
let sub: Channel | null = null;
const queue = `floor-${process.pid}`;

async function startBroker(): Promise<void> {
  if (mode === 'memory') {
    bus.on('event', (cp: string, body: string) => consume({ cp, body, at: new Date().toISOString() }, () => {}));
    return;
  }
  const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  conn = await connect(url, { noDelay: true });
  // Its own connection: a publisher the broker blocks must not hold up the acks.
  consumerConn = await connect(url, { noDelay: true });
  pub = await conn.createConfirmChannel();
  sub = await consumerConn.createChannel();
  await sub.assertQueue(queue, { durable: true, autoDelete: false });
  await sub.prefetch(PREFETCH);
  await sub.consume(queue, (msg: ConsumeMessage | null) => {
    if (!msg) return;
    const { cp, body } = JSON.parse(msg.content.toString()) as { cp: string; body: string };
    consume({ cp, body, at: new Date().toISOString() }, () => {
      // A batch committed while the bench stops us: the queue goes with the channel anyway.
      if (!stopping) sub!.ack(msg);
    });
  });
}

/** Hands the event on; `answer` runs once it is safe (at once in memory mode, on the confirm otherwise). */
function publish(cp: string, body: string, answerNow: () => void): void {
  backlog++;
  if (backlog >= HIGH_WATER && !held) held = [];
  const answer = () => (held ? held.push(answerNow) : answerNow());
  if (mode === 'memory') {
    answer();
    setImmediate(() => bus.emit('event', cp, body));
  } else {
    pub!.publish('', queue, Buffer.from(JSON.stringify({ cp, body })), { persistent: true }, (err) => {
      if (!err) answer();
    });
  }
}

function answer(action: string): object {
  if (action === 'BootNotification') return { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 };
  if (action === 'StartTransaction') return { transactionId: ++txSeq, idTagInfo: { status: 'Accepted' } };
  return {};
}

async function main(): Promise<void> {
  await startBroker();
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, handleProtocols: () => 'ocpp1.6' });
  wss.on('connection', (ws, req) => {
    const cp = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    ws.on('message', (data) => {
      const text = data.toString();
      const frame = JSON.parse(text) as [number, string, string, unknown];
      if (frame[0] !== MessageType.CALL) return;
      const reply = JSON.stringify([MessageType.CALLRESULT, frame[1], answer(frame[2])]);
      publish(cp, text, () => ws.send(reply));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  // Socket.io on a port of its own, so its upgrades never meet the OCPP WebSocketServer.
  const ioHttp = createServer();
  if (tokens.length > 0) {
    io = new SocketServer(ioHttp, { serveClient: false, transports: ['websocket'] });
    io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      if (typeof token !== 'string' || !tokens.includes(token)) return next(new Error('unknown token'));
      void socket.join(token);
      next();
    });
  }
  await new Promise<void>((resolve) => ioHttp.listen(0, '127.0.0.1', resolve));
  const ioPort = (ioHttp.address() as { port: number }).port;
  serveBenchIpc(() => ({ processed, failed, backlog, outbox: 0 }), async () => {
    stopping = true;
    wss.close();
    http.close();
    await io?.close();
    ioHttp.close();
    if (sub) await sub.deleteQueue(queue).catch(() => {});
    await sub?.close().catch(() => {});
    await pub?.close().catch(() => {});
    await conn?.close().catch(() => {});
    await consumerConn?.close().catch(() => {});
    await db.close();
  });
  process.send!({ type: 'ready', ocppUrl: `ws://127.0.0.1:${port}/ocpp`, httpUrl: `http://127.0.0.1:${ioPort}`, tokens, admin: { email: '', password: '' } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
