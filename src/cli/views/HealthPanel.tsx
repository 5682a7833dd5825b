/** Isolation leaks, notification loss, top errors and the load generator's own health. */
import { Box, Text } from 'ink';
import { formatMs } from '../../simulator/report/index.ts';
import type { MetricsSnapshot } from '../../simulator/types.ts';

type Props = Pick<MetricsSnapshot, 'isolation' | 'notifications' | 'errors' | 'generator'>;

export function HealthPanel({ isolation, notifications, errors, generator }: Props) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} minWidth={34}>
      <Text bold>Isolation</Text>
      <Text color={isolation.leaks > 0 ? 'red' : 'green'}>leaks {isolation.leaks}</Text>
      <Text dimColor>
        joins ok {isolation.acceptedJoins}, refused {isolation.refusedJoins}
      </Text>
      {isolation.recent.slice(-2).map((l) => (
        <Text key={`${l.customerId}-${l.at}-${l.type}`} color="red" wrap="truncate-end">
          customer {l.customerId} got {l.type} {JSON.stringify(l.ids)}
        </Text>
      ))}
      <Text bold>Notifications</Text>
      <Text>
        expected {notifications.expected} received {notifications.received}{' '}
        <Text color={notifications.lost > 0 ? 'red' : undefined}>lost {notifications.lost}</Text>
      </Text>
      <Text bold>
        Errors {errors.total}
        {errors.unexpected > 0 ? <Text color="red"> ({errors.unexpected} unexpected)</Text> : null}
      </Text>
      {errors.top.slice(0, 4).map((e) => (
        <Text key={e.key} wrap="truncate-end">
          {String(e.count).padStart(5)} {e.key}
        </Text>
      ))}
      <Text bold>Generator</Text>
      <Text>
        loop p99 {formatMs(generator.eventLoopP99Ms)} CPU {Math.round(generator.cpuPct)}% RSS {Math.round(generator.rssMb)}MB
      </Text>
      {generator.overloaded && (
        <Text color="red" bold wrap="truncate-end">
          ⚠ OVERLOADED{generator.reason ? `: ${generator.reason}` : ''}
        </Text>
      )}
    </Box>
  );
}
