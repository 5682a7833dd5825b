/**
 * The real API (SQLite in memory, embedded broker) with the notifier attached to its HTTP server,
 * and real socket.io-client connections that record what they receive.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import type { TokenClaims } from '../../../src/csms/api/auth.ts';
import type { Notification, NotificationType } from '../../../src/csms/domain/types.ts';
import { createNotifier, type PublicNotification, type RoomAck } from '../../../src/csms/notifier/notifier.ts';
import { startApi } from '../api/harness.ts';

export interface Client {
  socket: Socket;
  /** Every `notification` received, in order. */
  got: PublicNotification[];
  /** Resolves with the first notification (already received or still to come) with this id. */
  receive(id: string, timeoutMs?: number): Promise<PublicNotification>;
  join(room: unknown): Promise<RoomAck>;
  leave(room: unknown): Promise<RoomAck>;
}

export async function startNotifier() {
  const api = await startApi();
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
  const verifyToken = (token: string) => {
    try {
      const { sub, role } = api.app.jwt.verify<TokenClaims>(token);
      return { sub, role };
    } catch {
      return null;
    }
  };
  const notifier = createNotifier({ httpServer: api.app.server, verifyToken, store: api.store, broker: api.broker, logger });
  notifier.start();
  const clients: Socket[] = [];

  /** Opens a socket; `auth` and `extraHeaders` as socket.io-client takes them. */
  function open(opts: { token?: string; headers?: Record<string, string> } = {}): Socket {
    const socket = connect(api.base, {
      auth: opts.token === undefined ? {} : { token: opts.token },
      extraHeaders: opts.headers,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    clients.push(socket);
    return socket;
  }

  /** Connects and resolves once connected; rejects with the server's connect_error. */
  async function client(token: string): Promise<Client> {
    const socket = open({ token });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return recorder(socket);
  }

  /** The connect_error a connection attempt ends with (fails the test if it connects instead). */
  function refusedWith(opts: { token?: string; headers?: Record<string, string> }): Promise<Error & { data?: { code: string; message: string } }> {
    const socket = open(opts);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected, expected a refusal')));
      socket.once('connect_error', resolve);
    });
  }

  /** Publishes through the broker, as the processor and routes do, to exactly the rooms given; returns the notification. */
  function publish(type: NotificationType, opts: { recipients?: number[]; rooms?: string[]; data?: Record<string, unknown> } = {}): Notification {
    const n: Notification = { id: randomUUID(), type, data: opts.data ?? { marker: type }, timestamp: new Date().toISOString(), recipients: opts.recipients ?? [], rooms: opts.rooms ?? [] };
    api.broker.publishNotification(n);
    return n;
  }

  return {
    api, notifier, logLines, open, client, refusedWith, publish,
    async close() {
      for (const s of clients) s.disconnect();
      await notifier.close();
      await api.close();
    },
  };
}

function recorder(socket: Socket): Client {
  const got: PublicNotification[] = [];
  socket.on('notification', (n: PublicNotification) => got.push(n));
  return {
    socket,
    got,
    receive(id, timeoutMs = 30_000) {
      const seen = got.find((n) => n.id === id);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.off('notification', on);
          reject(new Error(`notification ${id} not received within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = (n: PublicNotification) => {
          if (n.id !== id) return;
          clearTimeout(timer);
          socket.off('notification', on);
          resolve(n);
        };
        socket.on('notification', on);
      });
    },
    join: (room) => socket.timeout(2000).emitWithAck('join-room', room),
    leave: (room) => socket.timeout(2000).emitWithAck('leave-room', room),
  };
}

export type NotifierHarness = Awaited<ReturnType<typeof startNotifier>>;
