/** Dashboard fed by the runner: re-renders a few times a second at most, whatever the snapshot rate. */
import type { MetricsSnapshot } from '../../simulator/types.ts';
import { Dashboard } from './Dashboard.tsx';
import { useThrottledFeed, type Feed } from './use-throttled-feed.ts';

export interface LiveState {
  snapshot: MetricsSnapshot | null;
  log: string[];
  aborting: boolean;
}

export function LiveDashboard({ feed, scenario, durationS, refreshMs = 250 }: { feed: Feed<LiveState>; scenario: string; durationS?: number; refreshMs?: number }) {
  const state = useThrottledFeed(feed, refreshMs);
  return <Dashboard scenario={scenario} durationS={durationS} snapshot={state?.snapshot ?? null} log={state?.log} aborting={state?.aborting} />;
}
