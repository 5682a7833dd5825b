/** `ev-csms serve --dashboard`: chargers, OCPP rates per action, queues, outbox, Socket.io rooms, recent errors. */
import { Box, Text } from 'ink';
import { formatDuration, formatRate } from '../../simulator/report/index.ts';
import type { ServerSample } from '../server-dashboard.ts';
import { useSampled } from './use-sampled.ts';

const MAX_ACTIONS = 12;

export function ServerDashboard({ sample: s }: { sample: ServerSample | null }) {
  if (!s) return <Text dimColor>ev-csms: starting…</Text>;
  const b = s.broker;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>ev-csms {s.info.nodeId}</Text> <Text color="cyan">[{s.info.mode}]</Text> up {formatDuration(s.uptimeS)}
        <Text dimColor>
          {'  '}
          {s.info.httpUrl} {s.info.ocppUrl}
        </Text>
      </Text>
      <Box>
        <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} minWidth={36}>
          <Text bold>Chargers connected {s.chargers.connected}</Text>
          <Text dimColor>
            accepted {s.chargers.accepted}, refused {s.chargers.rejectedUpgrades}, replaced {s.chargers.replaced}
          </Text>
          <Text bold>OCPP calls/s by action</Text>
          {s.actions.length === 0 && <Text dimColor>none since the last refresh</Text>}
          {s.actions.slice(0, MAX_ACTIONS).map((a) => (
            <Box key={`${a.direction}-${a.action}`} justifyContent="space-between">
              <Text>
                {a.direction === 'out' ? '→ ' : '← '}
                {a.action}
              </Text>
              <Text>{formatRate(a.perS)}</Text>
            </Box>
          ))}
        </Box>
        <Box flexDirection="column" borderStyle="round" borderColor={b.ok ? 'gray' : 'red'} paddingX={1} minWidth={36}>
          <Text bold>Pipeline ({b.kind})</Text>
          <Text color={b.ok ? 'green' : 'red'}>{b.ok ? 'broker ok' : `broker: ${b.detail}`}</Text>
          <Text>events/s processed {formatRate(s.processor.processedPerS)}</Text>
          <Text>backlog (consumer lag) {b.backlog}</Text>
          {b.queueDepth !== null && (
            <Text>
              queue {b.queueDepth}, retry {b.retryDepth}, unconfirmed {b.unconfirmed}
            </Text>
          )}
          <Text color={s.outbox === null ? 'red' : s.outbox > 0 ? 'yellow' : undefined}>outbox {s.outbox ?? 'unknown (database unreachable)'}</Text>
          <Text dimColor>
            failed {s.processor.failed}, duplicates {s.processor.duplicates}
          </Text>
          <Text bold>Socket.io</Text>
          {s.notifier ? (
            <>
              <Text>
                clients {s.notifier.connected}: {Object.entries(s.notifier.clientsByRoomKind).map(([k, n]) => `${k} ${n}`).join(', ')}
              </Text>
              <Text>
                emitted/s {formatRate(s.notifier.emittedPerS)}, no audience {s.notifier.noAudience}, refused joins {s.notifier.refusedJoins}
              </Text>
              {s.notifier.byType.slice(0, 4).map((t) => (
                <Text key={t.type} dimColor>
                  {'  '}
                  {t.type} {formatRate(t.perS)}/s
                </Text>
              ))}
            </>
          ) : (
            <Text dimColor>off (embedded mode: pages poll)</Text>
          )}
        </Box>
      </Box>
      <Box flexDirection="column" borderStyle="round" borderColor={s.errors.length > 0 ? 'yellow' : 'gray'} paddingX={1}>
        <Text bold>Recent warnings and errors</Text>
        {s.errors.length === 0 && <Text dimColor>none</Text>}
        {s.errors.slice(-6).map((e, i) => (
          <Text key={`${e.at}-${i}`} color={e.level === 'warn' ? 'yellow' : 'red'} wrap="truncate-end">
            {new Date(e.at).toISOString().slice(11, 19)} {e.level} {e.component ? `[${e.component}] ` : ''}
            {e.msg}
          </Text>
        ))}
      </Box>
      <Text dimColor>Ctrl-C stops the server.</Text>
    </Box>
  );
}

export function LiveServerDashboard({ sample, intervalMs }: { sample: () => Promise<ServerSample | null>; intervalMs: number }) {
  return <ServerDashboard sample={useSampled(sample, intervalMs)} />;
}
