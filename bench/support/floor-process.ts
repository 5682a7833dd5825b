/**
 * The floor: a bare pipeline with no business logic, as in docs/performance.md, measured by the
 * same load generator as the CSMS in the same run, so figures are ratios on one machine state.
 *
 *   charger frame → immediate answer → event → consumer → one SQLite row per event
 *
 * The event goes through an in-process EventEmitter (`FLOOR_MODE=memory`: answered at once) or
 * through RabbitMQ (`FLOOR_MODE=rabbitmq`: persistent on a confirm channel, answered once confirmed,
 * as the CSMS does; consumed on a connection of its own with prefetch 200, acked after the row). An
 * answer that waits for nothing would let a closed-loop generator fill the broker until its memory
 * alarm blocks the connection: no sustained rate at all. It speaks just enough OCPP for the benches
 * (BootNotification, StartTransaction, anything else → `{}`) and the same IPC as csms-process.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { connect, type ConfirmChannel, type Channel, type ChannelModel } from 'amqplib';
import BetterSqlite3 from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import { MessageType } from '../../src/ocpp/frames.ts';
import { serveBenchIpc } from './ipc.ts';

const mode = process.env.FLOOR_MODE === 'rabbitmq' ? 'rabbitmq' : 'memory';
const db = new BetterSqlite3(process.env.DB_PATH!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, cp TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL)');
const insert = db.prepare<[string, string, string]>('INSERT INTO events (cp, body, at) VALUES (?, ?, ?)');
let processed = 0;
let backlog = 0;
let txSeq = 0;

function store(cp: string, body: string): void {
  insert.run(cp, body, new Date().toISOString());
  processed++;
  backlog--;
}

const bus = new EventEmitter();
let conn: ChannelModel | null = null;
let consumerConn: ChannelModel | null = null;
let pub: ConfirmChannel | null = null;
let sub: Channel | null = null;
const queue = `floor-${process.pid}`;

async function startBroker(): Promise<void> {
  if (mode === 'memory') {
    bus.on('event', (cp: string, body: string) => store(cp, body));
    return;
  }
  const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  conn = await connect(url, { noDelay: true });
  // Its own connection: a publisher the broker blocks must not hold up the acks.
  consumerConn = await connect(url, { noDelay: true });
  pub = await conn.createConfirmChannel();
  sub = await consumerConn.createChannel();
  await sub.assertQueue(queue, { durable: true, autoDelete: false });
  await sub.prefetch(200);
  await sub.consume(queue, (msg) => {
    if (!msg) return;
    const { cp, body } = JSON.parse(msg.content.toString()) as { cp: string; body: string };
    store(cp, body);
    sub!.ack(msg);
  });
}

/** Hands the event on; `answer` runs once it is safe (at once in memory mode, on the confirm otherwise). */
function publish(cp: string, body: string, answer: () => void): void {
  backlog++;
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
  serveBenchIpc(() => ({ processed, failed: 0, backlog, outbox: 0 }), async () => {
    wss.close();
    http.close();
    if (sub) await sub.deleteQueue(queue).catch(() => {});
    await sub?.close().catch(() => {});
    await pub?.close().catch(() => {});
    await conn?.close().catch(() => {});
    await consumerConn?.close().catch(() => {});
    db.close();
  });
  process.send!({ type: 'ready', ocppUrl: `ws://127.0.0.1:${port}/ocpp`, httpUrl: `http://127.0.0.1:${port}`, tokens: [], admin: { email: '', password: '' } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
