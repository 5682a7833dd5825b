/** Charger states and message rates. */
import { Box, Text } from 'ink';
import { formatRate } from '../../simulator/report/index.ts';
import type { MetricsSnapshot } from '../../simulator/types.ts';

export function FleetPanel({ fleet, failovers, customers, rates }: Pick<MetricsSnapshot, 'fleet' | 'failovers' | 'customers' | 'rates'>) {
  return (
    <Box borderStyle="round" borderColor="gray" paddingX={1} flexDirection="column" minWidth={30}>
      <Text bold>Fleet {fleet.total} chargers</Text>
      <Row label="connecting" value={fleet.connecting} color="yellow" />
      <Row label="available" value={fleet.available} color="green" />
      <Row label="charging" value={fleet.charging} color="cyan" />
      <Row label="faulted" value={fleet.faulted} color={fleet.faulted > 0 ? 'red' : undefined} />
      <Row label="offline" value={fleet.offline} color={fleet.offline > 0 ? 'yellow' : undefined} />
      {failovers.total > 0 ? <Row label="failovers" value={failovers.total} color="yellow" /> : null}
      <Text dimColor>
        customers {customers.connected}/{customers.total} ({customers.realtime} rt, {customers.polling} poll)
      </Text>
      <Text bold>Per second</Text>
      <Row label="ocpp out" value={formatRate(rates.ocppSent)} />
      <Row label="ocpp in" value={formatRate(rates.ocppReceived)} />
      <Row label="rest" value={formatRate(rates.restRequests)} />
      <Row label="notifications" value={formatRate(rates.notifications)} />
    </Box>
  );
}

function Row({ label, value, color }: { label: string; value: number | string; color?: string }) {
  return (
    <Box justifyContent="space-between">
      <Text>{label}</Text>
      <Text color={color}>{String(value)}</Text>
    </Box>
  );
}
