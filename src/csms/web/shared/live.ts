/**
 * How a page hears about changes. `GET /api/config` decides: with ENABLE_RABBITMQ=true one shared
 * Socket.io connection (JWT in the handshake; the server puts a customer in its own room; pages
 * join the CMS and public rooms they show) and no refresh timers at all; otherwise polling, at the
 * intervals the server states.
 */
import { io, type Socket } from 'socket.io-client';

export type RefreshKind = 'activeSession' | 'detail' | 'list';
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'polling';

export interface LiveNotification<T = any> {
  id: string;
  type: string;
  data: T;
  timestamp: string;
}

export interface ServerConfig {
  ENABLE_RABBITMQ: boolean;
  realtime: 'socket.io' | 'polling';
  /** The network's currency (ISO 4217). */
  currency: string;
  pollIntervalsMs: Record<RefreshKind, number>;
  /** How money gets into a wallet: the customer's own top-up, a checkout at a payment provider, or neither (the operator credits it). */
  wallet: { currency: string; selfTopup: boolean; checkout: boolean };
}

export interface Live {
  readonly mode: 'socket.io' | 'polling';
  readonly intervals: Record<RefreshKind, number>;
  state(): ConnectionState;
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Joins `rooms` while subscribed (counted, so pages can share a room) and hears `types` ('*': all). */
  subscribe(rooms: readonly string[], types: readonly string[] | '*', listener: (n: LiveNotification) => void): () => void;
  /** Called after a reconnect: what a page shows may have changed while it was deaf. */
  onResync(listener: () => void): () => void;
  close(): void;
}

function emitter<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    on(listener: (value: T) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit(value: T) {
      for (const listener of [...listeners]) listener(value);
    },
  };
}

export async function fetchServerConfig(): Promise<ServerConfig> {
  const res = await fetch('/api/config', { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /api/config: HTTP ${res.status}`);
  return (await res.json()) as ServerConfig;
}

/** A Live that never hears anything: pages poll. */
function pollingLive(config: ServerConfig): Live {
  return {
    mode: 'polling',
    intervals: config.pollIntervalsMs,
    state: () => 'polling',
    onState: () => () => {},
    subscribe: () => () => {},
    onResync: () => () => {},
    close() {},
  };
}

function socketLive(config: ServerConfig, token: string, onRefused: (code: string) => void): Live {
  let state: ConnectionState = 'connecting';
  let connectedBefore = false;
  const states = emitter<ConnectionState>();
  const resyncs = emitter<void>();
  const notifications = emitter<LiveNotification>();
  const roomCounts = new Map<string, number>();
  // Polling transport would make HTTP requests of its own: a page in realtime mode makes none.
  const socket: Socket = io({ path: '/socket.io', transports: ['websocket'], auth: { token } });

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    states.emit(next);
  };
  const join = (room: string) => socket.emit('join-room', room, (ack: { ok?: boolean; error?: { code: string } } | undefined) => {
    if (ack && ack.ok === false && ack.error) console.warn(`join-room ${room} refused: ${ack.error.code}`);
  });

  socket.on('connect', () => {
    for (const room of roomCounts.keys()) join(room);
    setState('live');
    if (connectedBefore) resyncs.emit();
    connectedBefore = true;
  });
  socket.on('disconnect', (reason) => {
    setState('reconnecting');
    // The server hung up on purpose (a restart, or this account was blocked): socket.io-client
    // does not retry that by itself. Retry once after a pause; a refused handshake logs out.
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000 + Math.random() * 2000);
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const code = err.data?.code ?? err.message;
    // A refused token will not get better by retrying.
    if (/UNAUTHORIZED|BLOCKED|FORBIDDEN/.test(code)) {
      socket.close();
      onRefused(code);
    }
    setState('reconnecting');
  });
  socket.on('error', (err: { code?: string } | undefined) => {
    if (err?.code && /UNAUTHORIZED|BLOCKED/.test(err.code)) onRefused(err.code);
  });
  socket.on('notification', (n: LiveNotification) => notifications.emit(n));

  return {
    mode: 'socket.io',
    intervals: config.pollIntervalsMs,
    state: () => state,
    onState: states.on,
    onResync: resyncs.on,
    subscribe(rooms, types, listener) {
      for (const room of rooms) {
        const count = roomCounts.get(room) ?? 0;
        roomCounts.set(room, count + 1);
        if (count === 0 && socket.connected) join(room);
      }
      const off = notifications.on((n) => {
        if (types === '*' || types.includes(n.type)) listener(n);
      });
      return () => {
        off();
        for (const room of rooms) {
          const count = (roomCounts.get(room) ?? 1) - 1;
          if (count > 0) roomCounts.set(room, count);
          else {
            roomCounts.delete(room);
            if (socket.connected) socket.emit('leave-room', room);
          }
        }
      };
    },
    close: () => void socket.close(),
  };
}

/** The Live a page should use; `onRefused` is told when the server refuses the token. */
export function createLive(config: ServerConfig, token: string, onRefused: (code: string) => void): Live {
  return config.realtime === 'socket.io' ? socketLive(config, token, onRefused) : pollingLive(config);
}
