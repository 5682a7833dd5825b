/** p50/p95/p99 per OCPP action, REST route and notification type. */
import { Box, Text } from 'ink';
import { formatMs, pickLatencyRows } from '../../simulator/report/index.ts';
import type { LatencyStats } from '../../simulator/types.ts';

const COL = 8;

export function LatencyTable({ latency, maxRows = 16 }: { latency: Record<string, LatencyStats>; maxRows?: number }) {
  const total = Object.keys(latency).length;
  const rows = pickLatencyRows(latency, maxRows);
  const keyWidth = Math.min(40, Math.max(12, ...rows.map(([k]) => k.length)));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} flexGrow={1}>
      <Text bold>
        {'Latency'.padEnd(keyWidth)}
        {['n', 'p50', 'p95', 'p99'].map((h) => h.padStart(COL)).join('')}
      </Text>
      {rows.length === 0 && <Text dimColor>nothing measured yet</Text>}
      {rows.map(([key, s]) => (
        <Text key={key} wrap="truncate-end">
          {(key.length > keyWidth ? `${key.slice(0, keyWidth - 1)}…` : key).padEnd(keyWidth)}
          {String(s.count).padStart(COL)}
          {formatMs(s.p50).padStart(COL)}
          {formatMs(s.p95).padStart(COL)}
          <Text color={s.p99 >= 1000 ? 'red' : s.p99 >= 200 ? 'yellow' : undefined}>{formatMs(s.p99).padStart(COL)}</Text>
        </Text>
      ))}
      {total > rows.length && <Text dimColor>… {total - rows.length} more (all in report.html)</Text>}
    </Box>
  );
}
