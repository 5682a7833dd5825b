/**
 * The scenario's firmware rollout (`firmware.rollout`): at `at`, the admin uploads a generated image
 * (charger/firmware.ts's format) and rolls it out to `share` of the fleet through the CSMS's REST
 * routes; `failShare` of the targeted chargers fail it (half in the download, half in the
 * installation). It then follows the rollout's jobs over REST until each has an outcome:
 * firmware.rollout.duration is the time from the rollout request until the last one did.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SimCharger } from './charger.ts';
import { firmwareImage, setFirmwareFault } from './charger/firmware.ts';
import { reportError } from './context.ts';
import type { RunState } from './run/state.ts';
import type { Scenario } from './scenario/schema.ts';
import { adminLogin } from './setup.ts';
import type { FirmwareRolloutSnapshot } from './types.ts';

export type FirmwareRolloutSpec = NonNullable<Scenario['firmware']>['rollout'];

const POLL_MS = 500;
const PAGE = 200;

/** Chooses the targets and those that fail, seeded: the same scenario and seed make the same choice. */
function choose(run: RunState, spec: FirmwareRolloutSpec): SimCharger[] {
  const random = run.ctx.random.fork('firmware-rollout');
  const fleet = [...run.chargers];
  for (let i = fleet.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [fleet[i], fleet[j]] = [fleet[j], fleet[i]];
  }
  const targets = fleet.slice(0, Math.round(spec.share * fleet.length));
  const failing = Math.round(spec.failShare * targets.length);
  targets.forEach((ch, i) => setFirmwareFault(ch, i < failing ? (i % 2 === 0 ? 'install' : 'download') : null));
  return targets;
}

async function roll(run: RunState, spec: FirmwareRolloutSpec, state: FirmwareRolloutSnapshot): Promise<void> {
  const { ctx } = run;
  if (!run.target) return;
  const token = await adminLogin(ctx.rest, run.target.admin);
  const targets = choose(run, spec);
  state.targeted = targets.length;
  if (targets.length === 0) {
    state.durationMs = 0;
    return;
  }
  const image = firmwareImage(spec.version, randomBytes(spec.sizeKb * 1024));
  const started = performance.now();
  const query = `name=${encodeURIComponent(`evsim-${spec.version}.bin`)}&version=${encodeURIComponent(spec.version)}`;
  const res = await fetch(`${ctx.rest.baseUrl}/api/cms/firmware?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Uint8Array.from(image) });
  ctx.metrics.latency('rest.POST /api/cms/firmware', performance.now() - started);
  const file = await res.json().catch(() => null) as { id?: string } | null;
  if (res.status !== 201 || !file?.id) throw new Error(`firmware upload: HTTP ${res.status}`);

  const rolloutAt = performance.now();
  const rollout = await ctx.rest.request<{ rolloutId: string }>('POST', '/api/cms/firmware/rollouts', '/api/cms/firmware/rollouts', {
    token, body: { firmwareId: file.id, chargePointIds: targets.map((ch) => ch.id), retries: spec.retries, retryInterval: spec.retryInterval },
    timeoutMs: 120_000,
  });
  if (rollout.status !== 200 || !rollout.data) throw new Error(`firmware rollout: HTTP ${rollout.status} ${rollout.code ?? ''}`.trim());
  const { rolloutId } = rollout.data;

  // Until every job has an outcome, or the run no longer follows it (the fleet is ramping down).
  while (run.phase !== 'done' && !run.targetFailed) {
    let installed = 0;
    let failed = 0;
    let seen = 0;
    for (let offset = 0; ; offset += PAGE) {
      const page = await ctx.rest.request<{ items: { outcome: string | null }[] }>('GET', '/api/cms/jobs', `/api/cms/jobs?rolloutId=${rolloutId}&limit=${PAGE}&offset=${offset}`, { token });
      if (page.status !== 200 || !page.data) {
        reportError(ctx, `rest.GET /api/cms/jobs: ${page.status} ${page.code ?? ''}`.trim());
        break;
      }
      for (const job of page.data.items) {
        seen++;
        if (job.outcome === 'done') installed++;
        else if (job.outcome === 'failed') failed++;
      }
      if (page.data.items.length < PAGE) break;
    }
    state.installed = installed;
    state.failed = failed;
    if (seen === targets.length && installed + failed === seen) {
      state.durationMs = Math.round(performance.now() - rolloutAt);
      ctx.log(`firmware rollout ${spec.version}: ${installed} installed, ${failed} failed of ${seen} in ${(state.durationMs / 1000).toFixed(1)} s`);
      return;
    }
    if (ctx.stopping) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Schedules the rollout at its `at`; the run's snapshot reads `state` (firmware.* metrics). */
export function scheduleFirmwareRollout(run: RunState, spec: FirmwareRolloutSpec, state: FirmwareRolloutSnapshot): NodeJS.Timeout {
  return setTimeout(() => {
    roll(run, spec, state).catch((error: unknown) => {
      run.ctx.log(`firmware rollout failed: ${(error as Error).message}`);
      run.metrics.error('firmware rollout failed', false);
    });
  }, spec.at);
}
