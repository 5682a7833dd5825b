/**
 * Timed chaos actions, run only when the scenario lists them. Errors while an action and its
 * recovery last are counted as expected (the context's chaos window); lost notifications are not
 * excused: whether the CSMS loses them during a restart is exactly what such a run shows.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { SimCharger } from './charger.ts';
import type { SimContext } from './context.ts';
import type { ChaosAction } from './scenario/schema.ts';
import type { RunningTarget } from './target.ts';

const exec = promisify(execFile);

/** Extra time after an action during which its fallout counts as expected. */
const SETTLE_MS = 10_000;

export interface ChaosRunner {
  run(action: ChaosAction): Promise<void>;
  /** Undoes what is still in effect (a stopped broker is started again). */
  restore(): Promise<void>;
}

/** Why `action` cannot run against `target`, or null. */
export function chaosUnsupported(action: ChaosAction, target: RunningTarget): string | null {
  if (action.action === 'restart-csms' && target.kind !== 'embedded') return 'restart-csms needs the embedded target';
  if (action.action === 'rabbitmq-outage') {
    if (!target.rabbitmq) return 'rabbitmq-outage needs the embedded target with csms.rabbitmq: true';
    const host = new URL(target.rabbitmq.url).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return `rabbitmq-outage runs rabbitmqctl, so the broker must be local (not ${host})`;
  }
  return null;
}

export function createChaos(ctx: SimContext, chargers: readonly SimCharger[], target: RunningTarget): ChaosRunner {
  let brokerStopped = false;

  const widen = (ms: number): void => {
    ctx.chaosUntil = Math.max(ctx.chaosUntil, performance.now() + ms + SETTLE_MS);
  };

  function pickOnline(share: number): SimCharger[] {
    const online = chargers.filter((c) => c.state === 'online');
    // Fisher–Yates with the run's seed: the same chargers fall every time.
    for (let i = online.length - 1; i > 0; i--) {
      const j = ctx.random.int(0, i);
      [online[i], online[j]] = [online[j], online[i]];
    }
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

  return {
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
          widen(action.downtime + Math.max(...chargers.map((c) => c.tpl.faults.reconnect.max), 0));
          ctx.log(`chaos: restarting the embedded CSMS (${action.downtime} ms down)`);
          await target.restart(action.downtime);
          widen(Math.max(...chargers.map((c) => c.tpl.faults.reconnect.max), 0));
          ctx.log('chaos: the embedded CSMS is back');
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
          ctx.log(`chaos: rabbitmqctl stop_app for ${action.duration} ms`);
          brokerStopped = true;
          await exec('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
          await new Promise((r) => setTimeout(r, action.duration));
          await exec('rabbitmqctl', ['start_app'], { timeout: 60_000 });
          brokerStopped = false;
          widen(0);
          ctx.log('chaos: rabbitmqctl start_app done');
          return;
        }
      }
    },
    async restore() {
      if (!brokerStopped) return;
      brokerStopped = false;
      await exec('rabbitmqctl', ['start_app'], { timeout: 60_000 });
    },
  };
}
