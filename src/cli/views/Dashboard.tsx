/** The live view of a run: header, fleet and rates, latency, thresholds, isolation and generator health. */
import { Box, Text } from 'ink';
import { formatDuration } from '../../simulator/report/index.ts';
import type { MetricsSnapshot } from '../../simulator/types.ts';
import { FleetPanel } from './FleetPanel.tsx';
import { HealthPanel } from './HealthPanel.tsx';
import { LatencyTable } from './LatencyTable.tsx';
import { ThresholdList } from './ThresholdList.tsx';

export interface DashboardProps {
  scenario: string;
  snapshot: MetricsSnapshot | null;
  /** Planned load duration; elapsed time also counts setup and drain. */
  durationS?: number;
  /** The engine's latest log lines (kept out of the way of the live view). */
  log?: string[];
  aborting?: boolean;
}

export function Dashboard({ scenario, snapshot, durationS, log = [], aborting = false }: DashboardProps) {
  if (!snapshot) {
    return (
      <Box flexDirection="column">
        <Text bold>ev-sim {scenario}</Text>
        <Text dimColor>starting…</Text>
        <LogLines lines={log} />
      </Box>
    );
  }
  const s = snapshot;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>ev-sim {scenario}</Text>
        {'  '}
        <Text color="cyan">[{s.phase}]</Text> {formatDuration(s.elapsedS)}
        {durationS ? ` (load ${formatDuration(durationS)})` : ''}
        <Text dimColor>
          {'  '}
          {s.target.kind} {s.target.httpUrl} ({s.target.realtime})
        </Text>
      </Text>
      {s.target.cmsUrl && (
        <Text wrap="truncate-end">
          <Text dimColor>web CMS </Text>
          <Text color="cyan" bold>{s.target.cmsUrl}</Text>
        </Text>
      )}
      {aborting && <Text color="yellow">stopping: finishing the run and writing reports (Ctrl-C again to quit now)</Text>}
      <Box>
        <FleetPanel fleet={s.fleet} failovers={s.failovers} customers={s.customers} rates={s.rates} />
        <HealthPanel isolation={s.isolation} notifications={s.notifications} errors={s.errors} generator={s.generator} />
      </Box>
      <LatencyTable latency={s.latency} />
      <ThresholdList thresholds={s.thresholds} />
      <LogLines lines={log} />
    </Box>
  );
}

function LogLines({ lines }: { lines: string[] }) {
  return (
    <>
      {lines.slice(-3).map((line, i) => (
        <Text key={i} dimColor wrap="truncate-end">
          {line}
        </Text>
      ))}
    </>
  );
}
