/** Test data and small waits for the RabbitMQ broker tests. */
import { connect, type Channel } from 'amqplib';
import { notify } from '../../../../src/csms/domain/notifications.ts';
import type { CommandRouter, RemoteCommand } from '../../../../src/csms/domain/ports.ts';
import type { Notification, OcppEvent } from '../../../../src/csms/domain/types.ts';
import { RABBIT_URL } from '../../../helpers/rabbit.ts';

let seq = 0;

/** A connection event (the smallest OcppEvent); override what the test is about. */
export function anEvent(overrides: Partial<OcppEvent> = {}): OcppEvent {
  seq++;
  return { eventId: `ev-${process.pid}-${seq}`, chargePointId: 'CP-1', nodeId: 'n', receivedAt: new Date().toISOString(), kind: 'connected', remoteAddress: null, reason: null, ...overrides } as OcppEvent;
}

/** Resolves with the first truthy value of `fn`, polling every 10 ms. */
export async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 30_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The charger id of the probe commands `untilServing` sends: a serve handler answers them and records nothing. */
export const PROBE = 'CP-PROBE';

/**
 * Resolves once `node` serves forwarded commands. A command to a node whose queue is not there yet
 * comes back offline at once; the first probe that does not has reached its consumer.
 */
export async function untilServing(from: { commands: CommandRouter }, node: string): Promise<void> {
  const probe: RemoteCommand = { chargePointId: PROBE, action: 'Reset', payload: { type: 'Soft' }, requestedBy: 'test', timeoutMs: 2000 };
  await until(async () => (await from.commands.forward(node, probe)).status !== 'offline', 10_000, `node ${node} serving commands`);
}

/** A notification `untilNotified` sends; handlers under test leave these out (`isProbe`). */
export const isProbe = (n: Notification): boolean => n.data.probe === true;

/**
 * Publishes probe notifications through `publish` until `received()` is true: each node's queue is
 * bound and consumed (a notification published before that reaches nobody).
 */
export async function untilNotified(publish: (n: Notification) => void, received: () => boolean, what: string): Promise<void> {
  await until(() => {
    if (received()) return true;
    publish(notify('dashboard.stats', { probe: true }, new Date().toISOString()));
    return false;
  }, 10_000, what);
}

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
