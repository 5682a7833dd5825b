// Backpressure: when publishers are asked to wait, and when they may go on, from held messages and queue depths.
import type { Logger } from 'pino';

export interface QueueDepth {
  events: number;
  retry: number;
}

export interface BackpressureOptions {
  /** Messages held in memory (unconfirmed + not yet written) at which publishers are asked to wait… */
  highWater: number;
  /** …until they drop below this. */
  lowWater: number;
  /** Work-queue depth at which publishers are asked to wait, until below a fifth of it. */
  queueHighWater: number;
  /** Messages held in memory now. */
  inMemory: () => number;
  /**
   * False while the broker is away, blocked or closed: publishers are never held then, since the
   * outbox (in the store) is the buffer.
   */
  mayHold: () => boolean;
  /** Reads the queue depths; null when there is no connection to read them on. */
  readDepth: () => Promise<QueueDepth> | null;
  logger: Logger;
}

export type Backpressure = ReturnType<typeof createBackpressure>;

export function createBackpressure(opts: BackpressureOptions) {
  const { highWater, lowWater, queueHighWater } = opts;
  let depth: QueueDepth = { events: 0, retry: 0 };
  let depthTimer: NodeJS.Timeout | null = null;
  let relief: { promise: Promise<void>; resolve: () => void } | null = null;

  /** Lets waiting publishers go on once there is room again (or holding them no longer makes sense). */
  function check(): void {
    if (!relief) return;
    if (!opts.mayHold() || (opts.inMemory() < lowWater && depth.events < queueHighWater / 5)) {
      relief.resolve();
      relief = null;
    }
  }

  async function refreshDepth(): Promise<void> {
    const reading = opts.readDepth();
    if (!reading) return;
    try {
      depth = await reading;
    } catch (err) {
      opts.logger.debug({ err }, 'queue depth check failed');
    }
    check();
  }

  return {
    check,

    /** The queue depths last read. */
    depth: (): QueueDepth => depth,

    /** Null when publishers may go on; else a promise that resolves when they may. */
    pressure(): Promise<void> | null {
      if (relief) return relief.promise;
      if (!opts.mayHold() || (opts.inMemory() < highWater && depth.events < queueHighWater)) return null;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      relief = { promise, resolve };
      return promise;
    },

    /** Reads the depths now and every `intervalMs` until stopDepthPolling(). */
    startDepthPolling(intervalMs: number): void {
      void refreshDepth();
      depthTimer = setInterval(() => void refreshDepth(), intervalMs);
      depthTimer.unref();
    },

    stopDepthPolling(): void {
      if (depthTimer) clearInterval(depthTimer);
      depthTimer = null;
    },
  };
}
