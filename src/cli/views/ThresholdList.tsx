/** Thresholds as they stand now: ✓ holding, ✗ failing, … not enough data yet. */
import { Box, Text } from 'ink';
import { countThresholds, thresholdMark } from '../../simulator/report/index.ts';
import type { ThresholdState } from '../../simulator/types.ts';

export function ThresholdList({ thresholds }: { thresholds: ThresholdState[] }) {
  const c = countThresholds(thresholds);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={c.failed > 0 ? 'red' : 'gray'} paddingX={1}>
      <Text bold>
        Thresholds {c.ok}/{c.total} ok{c.failed > 0 ? `, ${c.failed} failing` : ''}
      </Text>
      {thresholds.length === 0 && <Text dimColor>none declared</Text>}
      {thresholds.map((t) => (
        <Text key={t.expression} wrap="truncate-end">
          <Text color={t.ok === true ? 'green' : t.ok === false ? 'red' : 'yellow'}>{thresholdMark(t)} </Text>
          {t.expression}
          <Text dimColor>  {t.message}</Text>
        </Text>
      ))}
    </Box>
  );
}
