/** Snapshots of a run: rates, fleet and customer counts, thresholds judged so far, and the timeline they feed. */
import { performance } from 'node:perf_hooks';
import { evaluateThresholds } from '../thresholds.ts';
import type { MetricsSnapshot } from '../types.ts';
import { endLoad, type RunState } from './state.ts';

const MAX_TIMELINE = 600;

/** A function that takes the run's next snapshot; rates are per second since the previous one. */
export function createSnapshotter(run: RunState): () => MetricsSnapshot {
  const { metrics, expectations, health, chargers, customers, timeline, ctx, targetSpec } = run;
  let timelineEvery = 1;
  let snapshotCount = 0;
  let last = { at: performance.now(), ocppSent: 0, ocppReceived: 0, restRequests: 0, notifications: 0 };

  return function snapshot(): MetricsSnapshot {
    const now = performance.now();
    const dt = Math.max(0.001, (now - last.at) / 1000);
    const c = metrics.counters;
    const rates = {
      ocppSent: Math.round((c.ocppSent - last.ocppSent) / dt),
      ocppReceived: Math.round((c.ocppReceived - last.ocppReceived) / dt),
      restRequests: Math.round((c.restRequests - last.restRequests) / dt),
      notifications: Math.round((c.notifications - last.notifications) / dt),
    };
    last = { at: now, ocppSent: c.ocppSent, ocppReceived: c.ocppReceived, restRequests: c.restRequests, notifications: c.notifications };
    expectations.sweep(now);
    run.generator = health.sample();
    const gen = run.generator;
    if (gen.overloaded && run.phase !== 'setup' && run.phase !== 'done') endLoad(run, 3, gen.reason!);
    const fleet = { total: chargers.length, connecting: 0, available: 0, charging: 0, faulted: 0, offline: 0 };
    const failovers: MetricsSnapshot['failovers'] = { total: 0, byCharger: {} };
    for (const ch of chargers) {
      if (ch.failovers > 0) {
        failovers.total += ch.failovers;
        failovers.byCharger[ch.id] = ch.failovers;
      }
      if (ch.state === 'connecting') fleet.connecting++;
      else if (ch.state !== 'online') fleet.offline++;
      else if (ch.charging) fleet.charging++;
      else if (ch.faulted) fleet.faulted++;
      else fleet.available++;
    }
    const realtime = customers.filter((cu) => cu.socket?.connected).length;
    const elapsedS = Math.round((now - run.t0) / 100) / 10;
    const interval = metrics.roll();
    if (run.phase !== 'setup') {
      if (snapshotCount++ % timelineEvery === 0) timeline.push({ t: elapsedS, rates, latency: interval });
      if (timeline.length > MAX_TIMELINE) {
        // Keep every other point and sample half as often from now on.
        for (let i = 0; i * 2 < timeline.length; i++) timeline[i] = timeline[i * 2];
        timeline.length = Math.ceil(timeline.length / 2);
        timelineEvery *= 2;
      }
    }
    const s: MetricsSnapshot = {
      at: Date.now(),
      elapsedS,
      phase: run.phase,
      target: {
        kind: targetSpec.kind,
        httpUrl: run.target?.httpUrl ?? (targetSpec.kind === 'remote' ? targetSpec.httpUrl : ''),
        ocppUrl: (run.target?.ocppUrls ?? (targetSpec.kind === 'remote' ? targetSpec.ocppUrl : [])).join(', '),
        realtime: ctx.realtime,
        cmsUrl: ctx.cmsUrl,
      },
      fleet,
      failovers,
      auth: { offline: { started: c.authOfflineStarted }, localList: { hits: c.authLocalListHits }, cache: { hits: c.authCacheHits } },
      customers: {
        total: customers.length,
        connected: customers.filter((cu) => cu.connected).length,
        realtime,
        polling: ctx.realtime === 'polling' ? customers.length : 0,
        adversarial: run.adversaries.length,
        admins: run.admins.length,
      },
      rates,
      latency: metrics.stats(),
      thresholds: [],
      errors: metrics.errors(),
      isolation: metrics.isolation(),
      reservations: { ...metrics.reservations },
      notifications: { expected: c.expected, received: c.received, lost: c.lost },
      generator: gen,
      site: ctx.sites.snapshot(),
      loadmgmt: { rebalanceTimeouts: c.rebalanceTimeouts },
      reconciliation: run.reconciliation,
      ...(run.firmware && { firmware: { ...run.firmware } }),
    };
    s.thresholds = evaluateThresholds(run.thresholds, s);
    return s;
  };
}
