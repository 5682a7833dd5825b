/**
 * Timed chaos actions, run only when the scenario lists them. Each runs on its own timer, so actions
 * overlap in time (a restart at 10 s inside a broker outage from 8 s to 20 s happens at 10 s).
 * Errors while an action and its recovery last are counted as expected (the context's chaos
 * window); lost notifications are not excused: whether the CSMS loses them during a restart is
 * exactly what such a run shows.
 */
import { performance } from 'node:perf_hooks';
import type { SimCharger } from './charger.ts';
import type { SimContext } from './context.ts';
import { rabbitmqctl } from './rabbit-node.ts';
import type { ChaosAction } from './scenario/schema.ts';
import type { RunningTarget } from './target.ts';

/** Extra time after an action during which its fallout counts as expected. */
const SETTLE_MS = 10_000;

/** How the CSMS under test runs: with its in-process broker or with RabbitMQ. */
export type CsmsMode = 'embedded' | 'rabbitmq';

export interface ChaosRunner {
  /** Performs one action now (the runner calls start(), which skips and tracks). */
  run(action: ChaosAction): Promise<void>;
  /** Runs `action` unless its `onlyMode` excludes it, tracked for settle(). */
  start(action: ChaosAction): Promise<void>;
  /** Resolves when every action started so far has finished (an outage has ended, a restart is back). */
  settle(): Promise<void>;
  /** Cuts actions short and undoes what is still in effect (a stopped broker is started again). */
  restore(): Promise<void>;
}

/** Why `action` cannot run against `target`, or null (also null for an action `onlyMode` skips). */
export function chaosUnsupported(action: ChaosAction, target: RunningTarget, mode: CsmsMode): string | null {
  if (action.onlyMode && action.onlyMode !== mode) return null;
  if (action.action === 'restart-csms' && target.kind !== 'embedded') return 'restart-csms needs the embedded target';
  if (action.action === 'restart-csms' && action.signal === 'KILL' && target.process !== 'child') {
    return 'restart-csms with signal KILL needs the CSMS in a child process: set target.csms.process: child';
  }
  if (action.action === 'rabbitmq-outage') {
    if (!target.rabbitmq) return 'rabbitmq-outage needs the embedded target with csms.rabbitmq: true';
    if (target.rabbitmq.node) return null; // a private node: always local
    const host = new URL(target.rabbitmq.url).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return `rabbitmq-outage runs rabbitmqctl, so the broker must be local (not ${host})`;
  }
  return null;
}

export function createChaos(ctx: SimContext, chargers: readonly SimCharger[], target: RunningTarget, mode: CsmsMode = target.rabbitmq ? 'rabbitmq' : 'embedded'): ChaosRunner {
  let brokerStopped = false;
  const inFlight = new Set<Promise<void>>();
  // The restart under way, if any: the next one waits for it (see restart-csms below).
  let restarting: Promise<void> = Promise.resolve();
  // restore() cuts the waits short (Ctrl-C, the end of the run): nothing stays broken behind us.
  const cut = new AbortController();
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (cut.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        cut.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      cut.signal.addEventListener('abort', done, { once: true });
    });
  // A private node by name; null is the local default node, shared with everything else on the machine.
  const node = target.rabbitmq?.node ?? null;
  const brokerName = node ?? 'the shared RabbitMQ node';

  const widen = (ms: number): void => {
    ctx.chaosUntil = Math.max(ctx.chaosUntil, performance.now() + ms + SETTLE_MS);
  };

  function pickOnline(share: number): SimCharger[] {
    // Shuffled with the run's seed: the same chargers fall every time.
    const online = shuffled(chargers.filter((c) => c.state === 'online'));
    return online.slice(0, Math.round(online.length * share));
  }

  function shuffled<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = ctx.random.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A share of the powered chargers, those with transactions first. */
  function pickForReboot(share: number): SimCharger[] {
    const powered = chargers.filter((c) => c.state !== 'closed' && c.state !== 'idle' && !c.poweredOff);
    const busy = shuffled(powered.filter((c) => c.charging));
    const idle = shuffled(powered.filter((c) => !c.charging));
    return [...busy, ...idle].slice(0, Math.round(powered.length * share));
  }

  /** A share of the running transactions, as [charger, connector index]. */
  function pickRunning(share: number): [SimCharger, number][] {
    const running = shuffled(chargers.flatMap((c) => (c.state === 'closed' ? [] : c.running().map((i): [SimCharger, number] => [c, i]))));
    return running.slice(0, Math.round(running.length * share));
  }

  async function restartCsms(action: Extract<ChaosAction, { action: 'restart-csms' }>): Promise<void> {
    const reconnectMax = Math.max(...chargers.map((c) => c.tpl.faults.reconnect.max), 0);
    widen(action.downtime + reconnectMax);
    const before = target.pid;
    const how = action.signal === 'KILL' ? `kill -9 of pid ${before}` : target.process === 'child' ? `SIGTERM to pid ${before}` : 'graceful close';
    ctx.log(`chaos: restarting the embedded CSMS (${how}, ${action.downtime} ms down)`);
    await target.restart(action.downtime, action.signal);
    widen(reconnectMax);
    ctx.log(`chaos: the embedded CSMS is back${target.pid ? ` (pid ${target.pid}, was ${before})` : ''}`);
  }

  const runner: ChaosRunner = {
    async run(action) {
      switch (action.action) {
        case 'disconnect': {
          const victims = pickOnline(action.share);
          widen(Math.max(...chargers.map((c) => c.tpl.faults.reconnect.max), 0));
          ctx.log(`chaos: dropping ${victims.length} charger connections (they reconnect with backoff)`);
          for (const c of victims) c.drop();
          return;
        }
        case 'reconnect-storm': {
          const victims = pickOnline(action.share);
          widen(0);
          ctx.log(`chaos: reconnect storm, ${victims.length} chargers drop and reconnect at once`);
          for (const c of victims) c.drop(0);
          return;
        }
        case 'restart-csms': {
          // One restart at a time. On a busy machine the timers fire late and together, so a second
          // restart can come while the first is still starting the CSMS: killing that process would
          // fail the first restart (and the run) for no fault of the CSMS. It waits for the CSMS to be back.
          const previous = restarting;
          let done!: () => void;
          restarting = new Promise<void>((resolve) => (done = resolve));
          try {
            await previous;
            if (cut.signal.aborted) return;
            await restartCsms(action);
          } finally {
            done();
          }
          return;
        }
        case 'reboot': {
          const victims = pickForReboot(action.share);
          widen(action.downtime + Math.max(...chargers.map((c) => c.tpl.faults.reconnect.max), 0));
          ctx.log(`chaos: ${victims.length} chargers lose power for ${action.downtime} ms (${victims.filter((c) => c.charging).length} of them mid-session)`);
          for (const c of victims) c.reboot(action.downtime, 'PowerLoss');
          return;
        }
        case 'end-sessions': {
          widen(0);
          let n = 0;
          for (const [c, i] of pickRunning(action.share)) {
            c.stop(i, 'Local');
            n++;
          }
          ctx.log(`chaos: drivers end ${n} sessions at once`);
          return;
        }
        case 'rabbitmq-outage': {
          widen(action.duration);
          ctx.log(`chaos: rabbitmqctl stop_app on ${brokerName} for ${action.duration} ms`);
          brokerStopped = true;
          await rabbitmqctl(node, ['stop_app']);
          await wait(action.duration);
          if (!brokerStopped) return; // restore() started it again
          await rabbitmqctl(node, ['start_app']);
          brokerStopped = false;
          widen(0);
          ctx.log(`chaos: rabbitmqctl start_app on ${brokerName} done`);
          return;
        }
      }
    },
    start(action) {
      if (action.onlyMode && action.onlyMode !== mode) {
        ctx.log(`chaos: ${action.action} at ${action.at} ms skipped (onlyMode ${action.onlyMode}; the CSMS runs in ${mode} mode)`);
        return Promise.resolve();
      }
      const p = runner.run(action);
      const tracked: Promise<void> = p.catch(() => {}).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      return p;
    },
    async settle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    async restore() {
      cut.abort();
      // An outage cut short starts its broker itself; a restart under way finishes first.
      await runner.settle();
      if (!brokerStopped) return;
      brokerStopped = false;
      await rabbitmqctl(node, ['start_app']);
      ctx.log(`chaos: rabbitmqctl start_app on ${brokerName} (restored)`);
    },
  };
  return runner;
}
