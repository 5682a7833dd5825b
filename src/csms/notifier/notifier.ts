/**
 * Socket.io on the REST port: authenticates each connection, puts it in the rooms its account
 * grants, and broadcasts the broker's notifications to their rooms. It borrows the API's HTTP
 * server and gives it back untouched on close(). Protocol and rooms: docs/events.md.
 */
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { customerRoom, deliveryRooms, revokedCustomer, ROOM_NAME_FORMS } from '../domain/notification-routing.ts';
import type { Broker, Store } from '../domain/ports.ts';
import type { Notification } from '../domain/types.ts';
import { checkAccount, handshakeAuth, originAllowed, type SocketData, type VerifyToken } from './auth.ts';
import { autoRooms, mayJoin, parseRoom, roomArg } from './rooms.ts';
import { createCounters, type NotifierStats } from './stats.ts';

export type { NotifierStats } from './stats.ts';
export type { SocketData } from './auth.ts';

/** What a client receives as event `notification`: never the recipients or rooms lists. */
export type PublicNotification = Pick<Notification, 'id' | 'type' | 'data' | 'timestamp'>;

/** The answer to `join-room` / `leave-room` (the ack's only argument). */
export type RoomAck = { ok: true; room: string } | { ok: false; error: { code: string; message: string } };

export interface ClientToServerEvents {
  'join-room': (...args: unknown[]) => void;
  'leave-room': (...args: unknown[]) => void;
}

export interface ServerToClientEvents {
  notification: (n: PublicNotification) => void;
}

export type NotifierServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type NotifierSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface NotifierOptions {
  /** The API's server; the notifier adds its handlers in start() and removes them in close(). */
  httpServer: HttpServer;
  verifyToken: VerifyToken;
  store: Store;
  broker: Broker;
  logger: Logger;
  /** Default `/socket.io`. */
  path?: string;
  /** Cross-origin pages allowed besides the same origin (e.g. `http://localhost:5173`). */
  corsOrigins?: string[];
}

export interface Notifier {
  start(): void;
  /** Disconnects every client and detaches from the HTTP server, which keeps serving. Call before closing it. */
  close(): Promise<void>;
  stats(): NotifierStats;
  /** For tests and diagnostics. Never call `io.close()`: it would close the API's HTTP server too. */
  readonly io: NotifierServer;
}

const SERVER_EVENTS = ['request', 'upgrade', 'close', 'listening'] as const;

/** Builds the notifier; nothing is attached or consumed until start(). */
export function createNotifier(opts: NotifierOptions): Notifier {
  const { httpServer, store, broker, logger } = opts;
  const corsOrigins = opts.corsOrigins ?? [];
  const counters = createCounters();
  const io: NotifierServer = new Server({
    path: opts.path ?? '/socket.io',
    serveClient: false,
    ...(corsOrigins.length > 0 ? { cors: { origin: corsOrigins } } : {}),
    allowRequest: (req, callback) => callback(null, originAllowed(req, corsOrigins)),
  });
  const nsp = io.of('/');
  let started = false;
  let closed = false;
  let detach: (() => void) | null = null;

  io.use(handshakeAuth({ verifyToken: opts.verifyToken, store, onRefused: counters.connectionRefused }));
  io.on('connection', (socket) => {
    socket.join(autoRooms({ id: socket.data.userId, role: socket.data.role }));
    socket.on('join-room', (...args) => {
      join(socket, args).catch(() => {
        const { name, ack } = parseArgs(args);
        refuseJoin(socket, ack, name, 'database', { code: 'CSMS_ERR_DATABASE_UNAVAILABLE', message: 'The database is not reachable' });
      });
    });
    socket.on('leave-room', (...args) => leave(socket, args));
  });

  function parseArgs(args: unknown[]): { name: unknown; ack: ((a: RoomAck) => void) | null } {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (a: RoomAck) => void) : null;
    return { name: roomArg(typeof args[0] === 'function' ? undefined : args[0]), ack };
  }

  async function join(socket: NotifierSocket, args: unknown[]): Promise<void> {
    const { name, ack } = parseArgs(args);
    const { userId } = socket.data;
    // Re-checked per join: an account blocked or deleted since the handshake gets nothing more.
    const account = await checkAccount(store, userId);
    if (!account.ok) {
      refuseJoin(socket, ack, name, 'account', account.error.data);
      socket.disconnect(true);
      return;
    }
    socket.data.role = account.role;
    const room = parseRoom(name);
    const verdict = mayJoin({ id: userId, role: account.role }, room);
    if (!verdict.ok || room === null) {
      const error = room === null
        ? { code: 'CSMS_ERR_VALIDATION', message: `not a room name: expected ${ROOM_NAME_FORMS}` }
        : { code: 'CSMS_ERR_FORBIDDEN', message: `this account may not join ${room.name}` };
      refuseJoin(socket, ack, name, verdict.ok ? 'malformed' : verdict.reason, error);
      return;
    }
    socket.join(room.name);
    counters.c.acceptedJoins++;
    ack?.({ ok: true, room: room.name });
  }

  function refuseJoin(socket: NotifierSocket, ack: ((a: RoomAck) => void) | null, name: unknown, reason: string, error: { code: string; message: string }): void {
    counters.joinRefused(reason);
    const room = typeof name === 'string' ? name.slice(0, 80) : typeof name;
    logger.info({ userId: socket.data.userId, role: socket.data.role, room, reason }, 'room join refused');
    ack?.({ ok: false, error });
  }

  function leave(socket: NotifierSocket, args: unknown[]): void {
    const { name, ack } = parseArgs(args);
    const room = parseRoom(name);
    if (!room) {
      ack?.({ ok: false, error: { code: 'CSMS_ERR_VALIDATION', message: 'not a room name' } });
      return;
    }
    socket.leave(room.name);
    ack?.({ ok: true, room: room.name });
  }

  /** True when some local socket is in one of `rooms`: the in-memory adapter knows every socket of this node. */
  function hasAudience(rooms: readonly string[]): boolean {
    const members = nsp.adapter.rooms;
    for (const r of rooms) if (members.has(r)) return true;
    return false;
  }

  function deliver(n: Notification): void {
    if (closed) return;
    counters.c.received++;
    const targets = deliveryRooms(n);
    if (hasAudience(targets)) {
      // One emit for all target rooms: socket.io encodes once and sends each socket one copy.
      io.to(targets).emit('notification', { id: n.id, type: n.type, data: n.data, timestamp: n.timestamp });
      counters.emitted(n.type);
    } else {
      counters.c.noAudience++;
    }
    const revoked = revokedCustomer(n);
    if (revoked !== null) io.in(customerRoom(revoked)).disconnectSockets(true);
  }

  return {
    io,
    start() {
      if (started || closed) return;
      started = true;
      detach = attach();
      broker.consumeNotifications((n) => {
        try {
          deliver(n);
        } catch (err) {
          logger.warn({ err, type: n.type }, 'notification not delivered');
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!detach) return;
      io.disconnectSockets(true);
      // Also ends connections still in their handshake; unlike io.close() it leaves the HTTP server open.
      io.engine.close();
      detach();
      detach = null;
    },
    stats: () => counters.snapshot(started && !closed ? nsp : null),
  };

  /** Attaches to the HTTP server; returns how to put its listeners back as they were. */
  function attach(): () => void {
    const before = new Map(SERVER_EVENTS.map((e) => [e, httpServer.listeners(e)]));
    // Destroying unknown upgrades is engine.io's default; leave them to any other upgrade handler.
    io.attach(httpServer, { destroyUpgrade: httpServer.listenerCount('upgrade') === 0 });
    const added = SERVER_EVENTS.map((e) => [e, httpServer.listeners(e).filter((l) => !before.get(e)!.includes(l))] as const);
    return () => {
      for (const [e, listeners] of added) for (const l of listeners) httpServer.removeListener(e, l as (...a: unknown[]) => void);
      // engine.io took the API's request handlers off the server to wrap them: put them back.
      for (const l of before.get('request')!) {
        if (!httpServer.listeners('request').includes(l)) httpServer.on('request', l as (...a: unknown[]) => void);
      }
    };
  }
}
