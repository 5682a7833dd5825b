/** Test data and small waits for the RabbitMQ broker tests. */
import { connect, type Channel } from 'amqplib';
import type { OcppEvent } from '../../../../src/csms/domain/types.ts';
import { RABBIT_URL } from '../../../helpers/rabbit.ts';

let seq = 0;

/** A connection event (the smallest OcppEvent); override what the test is about. */
export function anEvent(overrides: Partial<OcppEvent> = {}): OcppEvent {
  seq++;
  return { eventId: `ev-${process.pid}-${seq}`, chargePointId: 'CP-1', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'connected', remoteAddress: null, reason: null, ...overrides } as OcppEvent;
}

/** Resolves with the first truthy value of `fn`, polling every 10 ms. */
export async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` on a raw channel of its own (to look at queues from outside the broker under test). */
export async function withRawChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
  const conn = await connect(RABBIT_URL);
  try {
    const ch = await conn.createChannel();
    const out = await fn(ch);
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

/** Ready messages in `queue`. */
export function depth(queue: string): Promise<number> {
  return withRawChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
}
