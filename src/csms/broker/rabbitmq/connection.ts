/**
 * One AMQP connection that keeps coming back: connects with Nagle off, a heartbeat
 * and a connect timeout, runs the `up` handlers (topology, channels, consumers) after every connect,
 * and reconnects with jittered exponential backoff when the connection or its set-up fails.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { CsmsError } from '../../domain/errors.ts';

export interface ConnectionOptions {
  url: string;
  logger: Logger;
  /** The connection's name on the broker, e.g. `ev-csms/<nodeId>`. */
  name?: string;
  /** Seconds; dead peers are noticed after about two of them. */
  heartbeatS?: number;
  connectTimeoutMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The broker stopped (true) or resumed (false) reading our publishes (memory or disk alarm). */
  onBlocked?: (blocked: boolean) => void;
}

export interface RabbitConnection {
  /** Makes the first attempt; resolves whether or not it succeeded (later ones run in the background). */
  start(): Promise<void>;
  close(): Promise<void>;
  /** The live connection once every `up` handler has run; null otherwise. */
  current(): ChannelModel | null;
  /** Runs after every connect; a throw drops the connection and schedules a retry. */
  onUp(fn: (model: ChannelModel) => Promise<void>): void;
  /** Runs once for every connection that was opened and is now gone. */
  onDown(fn: (err: Error) => void): void;
  /** Drops the connection (e.g. a channel died under us); it reconnects as after any loss. */
  drop(reason: string): void;
}

/** Throws a clear error for a URL amqplib could never connect with. */
export function parseAmqpUrl(url: string, heartbeatS?: number): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CsmsError('CSMS_ERR_CONFIG', `RABBITMQ_URL is not a valid URL: ${redact(url)}`);
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new CsmsError('CSMS_ERR_CONFIG', `RABBITMQ_URL must start with amqp:// or amqps://, got ${redact(url)}`);
  if (!u.hostname) throw new CsmsError('CSMS_ERR_CONFIG', `RABBITMQ_URL has no host: ${redact(url)}`);
  if (heartbeatS !== undefined && !u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(heartbeatS));
  return u.toString();
}

/** The URL without its password, for logs and error lines. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/** Connects once, with Nagle off (docs/performance.md: it adds 13–23 ms to the median). */
export async function connectOnce(url: string, opts: { heartbeatS?: number; connectTimeoutMs?: number; name?: string } = {}): Promise<ChannelModel> {
  return connect(parseAmqpUrl(url, opts.heartbeatS ?? 10), {
    noDelay: true,
    timeout: opts.connectTimeoutMs ?? 5000,
    // Shown by `rabbitmqctl list_connections client_properties` and the management UI.
    clientProperties: opts.name ? { connection_name: opts.name } : undefined,
  });
}

export function createRabbitConnection(opts: ConnectionOptions): RabbitConnection {
  const { logger } = opts;
  const minDelay = opts.minDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 15_000;
  const ups: ((model: ChannelModel) => Promise<void>)[] = [];
  const downs: ((err: Error) => void)[] = [];
  let model: ChannelModel | null = null;
  let ready = false;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let attempt: Promise<void> | null = null;

  function backoff(): number {
    // Full exponential step, then jitter over its upper half so that nodes restarted together spread out.
    const step = Math.min(maxDelay, minDelay * 2 ** Math.min(failures, 16));
    return Math.round(step / 2 + Math.random() * (step / 2));
  }

  function scheduleRetry(): void {
    if (closed || timer) return;
    const delay = backoff();
    failures++;
    timer = setTimeout(() => {
      timer = null;
      attempt = tryConnect();
    }, delay);
    timer.unref();
  }

  function lost(m: ChannelModel, err: Error): void {
    if (model !== m) return;
    model = null;
    ready = false;
    for (const fn of downs) {
      try {
        fn(err);
      } catch (e) {
        logger.error({ err: e }, 'rabbitmq down handler failed');
      }
    }
    if (!closed) {
      logger.warn({ err: err.message }, 'rabbitmq connection lost; reconnecting');
      scheduleRetry();
    }
  }

  async function tryConnect(): Promise<void> {
    if (closed || model) return;
    let m: ChannelModel;
    try {
      m = await connectOnce(opts.url, opts);
    } catch (err) {
      if (failures === 0 || failures % 10 === 0) logger.warn({ err: (err as Error).message, url: redact(opts.url) }, 'rabbitmq unreachable; retrying in the background');
      scheduleRetry();
      return;
    }
    if (closed) {
      await m.close().catch(() => {});
      return;
    }
    model = m;
    m.on('error', (err: Error) => logger.warn({ err: err.message }, 'rabbitmq connection error'));
    m.on('close', (err?: Error) => lost(m, err ?? new Error('connection closed')));
    m.on('blocked', (reason: string) => {
      logger.warn({ reason }, 'rabbitmq blocked the connection (resource alarm)');
      opts.onBlocked?.(true);
    });
    m.on('unblocked', () => {
      logger.info('rabbitmq unblocked the connection');
      opts.onBlocked?.(false);
    });
    try {
      for (const fn of ups) await fn(m);
    } catch (err) {
      logger.error({ err }, 'rabbitmq set-up failed; reconnecting');
      await m.close().catch(() => {});
      lost(m, err as Error);
      return;
    }
    if (model !== m) return;
    ready = true;
    failures = 0;
    logger.info({ url: redact(opts.url) }, 'rabbitmq connected');
  }

  return {
    async start() {
      parseAmqpUrl(opts.url);
      closed = false;
      attempt = tryConnect();
      await attempt;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await attempt?.catch(() => {});
      const m = model;
      if (m) {
        if (!(await settlesWithin(m.close(), CLOSE_TIMEOUT_MS))) {
          logger.warn({ timeoutMs: CLOSE_TIMEOUT_MS }, 'rabbitmq did not confirm the connection close; dropping the socket');
          destroySocket(m);
        }
        lost(m, new Error('closed'));
      }
    },
    current: () => (ready ? model : null),
    onUp: (fn) => void ups.push(fn),
    onDown: (fn) => void downs.push(fn),
    drop(reason) {
      const m = model;
      if (!m) return;
      logger.warn({ reason }, 'dropping the rabbitmq connection');
      m.close().catch(() => {});
      lost(m, new Error(reason));
    },
  };
}

/**
 * How long a channel or connection close may wait for the broker's close-ok. A close that is never
 * confirmed (seen under load, shortly after a reconnect) must not hang a graceful stop: what the
 * channel held is either confirmed already or still in the outbox (in the store).
 */
export const CLOSE_TIMEOUT_MS = 3000;

/** True when `p` settles (either way) within `ms`; false when it is still pending then. */
export async function settlesWithin(p: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!p) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ends a connection whose close the broker never confirmed, so no socket keeps the process alive. */
function destroySocket(m: ChannelModel): void {
  // amqplib keeps the socket on `connection.stream`; its types do not declare it.
  const stream = (m.connection as { stream?: { destroy?: () => void } }).stream;
  stream?.destroy?.();
}

/** Opens a short-lived confirm channel, runs `fn`, closes the channel (topology, dead letters). */
export async function withChannel<T>(model: ChannelModel, fn: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
  const ch = await model.createConfirmChannel();
  // A channel error (e.g. a queue that does not exist) surfaces as the rejected operation.
  ch.on('error', () => {});
  try {
    return await fn(ch);
  } finally {
    await ch.close().catch(() => {});
  }
}
