/**
 * Connection lifecycle: connect, boot, heartbeat, reconnect with backoff, and deliberate drops.
 * With several OCPP URLs (target.ocppUrl as a list) they are a failover order: a charger starts on
 * the first, and each lost connection or failed connect moves its next attempt to the next URL.
 */
import { performance } from 'node:perf_hooks';
import { connectOcpp, type CsmsToChargePoint } from '../../ocpp/index.ts';
import type { ChargerConnection, SimCharger } from '../charger.ts';
import { reportError } from '../context.ts';
import { scheduleFaults } from './faults.ts';
import { K_BOOT_RETRY, K_CONNECT, K_HEARTBEAT } from './model.ts';
import { sendStatus } from './status.ts';

/** Opens the charger's connection (unless one is open or opening, or it is powered off); a failure schedules a retry. */
export function connect(ch: SimCharger): void {
  if (ch.state === 'connecting' || ch.state === 'online' || ch.poweredOff) return;
  ch.state = 'connecting';
  const gen = ch.gen;
  connectOcpp<CsmsToChargePoint, any, SimCharger>(ch.ctx.ocppUrls[ch.urlIndex], ch.id, {
    handlers: ch.shared.handlers,
    context: ch,
    onMessage: ch.shared.onMessage,
    onProtocolError: ch.shared.onProtocolError,
    ...(ch.password !== null ? { basicAuth: { password: ch.password } } : {}),
  }).then(
    (conn) => opened(ch, conn, gen),
    (error: Error) => {
      if (gen !== ch.gen || ch.state === 'closed') return;
      reportError(ch.ctx, `ocpp.connect: ${error.message.slice(0, 60)}`, ch.attempts > 0);
      ch.state = 'offline';
      nextUrl(ch);
      scheduleReconnect(ch);
    },
  );
}

function opened(ch: SimCharger, conn: ChargerConnection, gen: number): void {
  if (gen !== ch.gen || ch.state === 'closed') {
    conn.close(1000, 'not needed');
    return;
  }
  ch.conn = conn;
  ch.state = 'online';
  ch.attempts = 0;
  if (ch.urlIndex !== ch.onlineUrl) {
    // Online at another node than the last one (for the first connection: than the first URL).
    const from = ch.ctx.ocppUrls[ch.onlineUrl];
    ch.failovers++;
    ch.onlineUrl = ch.urlIndex;
    ch.ctx.log(`failover: ${ch.id} connected to ${ch.ctx.ocppUrls[ch.urlIndex]} (was ${from}; failover ${ch.failovers})`);
  }
  conn.socket.once('close', ch.onClose);
  const now = performance.now();
  scheduleHeartbeat(ch, now);
  scheduleFaults(ch, now);
  void boot(ch, now);
}

// J §5.4: after a reconnect a charger need not boot again; it reports its connectors and goes on.
export async function boot(ch: SimCharger, scheduledAt: number): Promise<void> {
  try {
    if (!ch.booted) {
      const res = await ch.call('BootNotification', ch.bootPayload(), scheduledAt);
      if (res.status !== 'Accepted') {
        reportError(ch.ctx, `ocpp.BootNotification: ${res.status}`);
        ch.ctx.scheduler.at(performance.now() + Math.max(1000, (res.interval ?? 10) * 1000), K_BOOT_RETRY, ch, ch.gen);
        return;
      }
      ch.booted = true;
    }
    // E2 §4.8: what was queued while offline (or before a reboot) goes first, in its order.
    ch.outbox.pump();
    await sendStatus(ch, 0, ch.cpStatus(), performance.now());
    // A fault's recovery timer died with the old connection: the connector comes back Available.
    ch.faultedIndex = -1;
    for (let i = 0; i < ch.connectors.length; i++) {
      const c = ch.connectors[i];
      // A transaction cut by a reboot: its connector reports Available once its StopTransaction is through.
      if (c.tx?.interrupted) continue;
      if (!c.tx && c.status !== 'Unavailable') c.status = 'Available';
      await sendStatus(ch, i + 1, c.status, performance.now());
    }
  } catch (error) {
    ch.failed('BootNotification', error);
  }
}

/** The socket closed under us (or we dropped it): offline, and back with backoff. */
export function handleClose(ch: SimCharger): void {
  const wasDropping = ch.dropping;
  ch.dropping = false;
  ch.conn = null;
  ch.gen++;
  ch.hbGen++;
  if (ch.state === 'closed') return;
  ch.state = 'offline';
  reportError(ch.ctx, wasDropping ? 'ocpp.disconnect (injected)' : 'ocpp.connection lost', wasDropping);
  nextUrl(ch);
  scheduleReconnect(ch);
}

/** The next connect goes to the next OCPP URL of the list (round robin); one URL: the same again. */
export function nextUrl(ch: SimCharger): void {
  const n = ch.ctx.ocppUrls.length;
  if (n > 1) ch.urlIndex = (ch.urlIndex + 1) % n;
}

/** Exponential backoff with jitter: initial · 2^attempts, capped, ± jitter. */
export function scheduleReconnect(ch: SimCharger, delayMs?: number): void {
  const r = ch.tpl.faults.reconnect;
  const base = Math.min(r.max, r.initial * 2 ** ch.attempts);
  ch.attempts++;
  const delay = delayMs ?? ch.ctx.random.jitter(base, r.jitter);
  ch.ctx.scheduler.at(performance.now() + delay, K_CONNECT, ch, ch.gen);
}

/** Drops the connection on purpose; it comes back by itself (after `reconnectAfterMs`, else with backoff). */
export function drop(ch: SimCharger, reconnectAfterMs?: number): void {
  if (!ch.conn || ch.state !== 'online') return;
  ch.dropping = true;
  const conn = ch.conn;
  if (reconnectAfterMs !== undefined) {
    conn.socket.removeListener('close', ch.onClose);
    handleClose(ch);
    ch.gen++;
    ch.ctx.scheduler.at(performance.now() + reconnectAfterMs, K_CONNECT, ch, ch.gen);
  }
  conn.socket.terminate();
}

/** (Re)starts the heartbeat clock from `from`, dropping the timer of the previous interval. */
export function scheduleHeartbeat(ch: SimCharger, from: number): void {
  ch.ctx.scheduler.at(from + ch.config.heartbeatMs, K_HEARTBEAT, ch, ++ch.hbGen);
}

/** One Heartbeat, and the next one scheduled. */
export function heartbeat(ch: SimCharger, at: number): void {
  ch.ctx.scheduler.at(at + ch.config.heartbeatMs, K_HEARTBEAT, ch, ch.hbGen);
  ch.call('Heartbeat', {}, at).catch((error) => ch.failed('Heartbeat', error));
}
