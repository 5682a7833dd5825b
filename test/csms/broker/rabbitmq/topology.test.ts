import { describe, expect, it } from 'vitest';
import { auditRoutingKey, durableNames, eventRoute, eventRoutingKey, notificationRoutingKey, shardOf, topology } from '../../../../src/csms/broker/rabbitmq/topology.ts';
import type { NotificationType } from '../../../../src/csms/domain/types.ts';
import { anEvent } from './fixtures.ts';

describe('rabbitmq topology', () => {
  it('names everything under the namespace', () => {
    const t = topology('ns1', 3);
    expect(durableNames(t)).toEqual({
      exchanges: ['ns1.ocpp', 'ns1.notifications', 'ns1.audit', 'ns1.ocpp.retries'],
      queues: ['ns1.ocpp.events', 'ns1.ocpp.retry', 'ns1.ocpp.retries', 'ns1.ocpp.dead', 'ns1.audit', 'ns1.ocpp.events.0', 'ns1.ocpp.events.1', 'ns1.ocpp.events.2'],
    });
    expect(t.workQueues).toEqual(['ns1.ocpp.events.0', 'ns1.ocpp.events.1', 'ns1.ocpp.events.2', 'ns1.ocpp.events']);
    expect(topology('ns1').shards).toBe(16);
    expect(() => topology('ns1', 0)).toThrow(RangeError);
    expect(() => topology('ns1', 257)).toThrow(RangeError);
    expect(t.notificationQueue('a')).toBe('ns1.notifications.a');
    expect(t.commandQueue('a')).toBe('ns1.commands.a');
  });

  it('routes events by direction and action', () => {
    expect(eventRoutingKey(anEvent({ kind: 'call', action: 'MeterValues' } as never))).toBe('ocpp.in.MeterValues');
    expect(eventRoutingKey(anEvent({ kind: 'callresult', action: 'Reset' } as never))).toBe('ocpp.in.callresult');
    expect(eventRoutingKey(anEvent({ kind: 'callerror', action: 'Reset' } as never))).toBe('ocpp.in.callerror');
    expect(eventRoutingKey(anEvent({ kind: 'command', action: 'Reset' } as never))).toBe('ocpp.out.command');
    expect(eventRoutingKey(anEvent({ kind: 'connected' }))).toBe('ocpp.connection.connected');
    expect(eventRoutingKey(anEvent({ kind: 'disconnected' }))).toBe('ocpp.connection.disconnected');
    expect(eventRoutingKey(anEvent({ kind: 'invalid' } as never))).toBe('ocpp.invalid');
    // A charger cannot inject topic wildcards or extra words.
    expect(eventRoutingKey(anEvent({ kind: 'call', action: 'a.#.b*' } as never))).toBe('ocpp.in.a___b_');
  });

  it('routes a charger\'s events to one shard by a stable hash of its id, or to the shared queue with ordering none', () => {
    // FNV-1a (0xe40c292c is its published value for "a"): fixed values, so every node and every version agrees on a charger's shard.
    expect(shardOf('CP-1', 16)).toBe(shardOf('CP-1', 16));
    expect([shardOf('', 1000), shardOf('a', 1000), shardOf('CP-1', 1000)]).toEqual([0x811c9dc5 % 1000, 0xe40c292c % 1000, 0x35f5cc80 % 1000]);
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`CP-${i}`, 16)));
    expect(shards.size).toBe(16);
    const e = anEvent({ chargePointId: 'CP-1', kind: 'call', action: 'StatusNotification' } as never);
    expect(eventRoute(e, { shards: 16 }, 'per-charger')).toBe(`shard.${shardOf('CP-1', 16)}.ocpp.in.StatusNotification`);
    expect(eventRoute(e, { shards: 16 }, 'none')).toBe('ocpp.in.StatusNotification');
  });

  it('groups notifications by what they are about', () => {
    const cases: [NotificationType, string][] = [
      ['charging.started', 'session'], ['charging.stopped', 'session'], ['session.updated', 'session'], ['meter.values', 'session'],
      ['charger.status', 'charger'], ['connector.status', 'charger'],
      ['station.status', 'station'], ['station.created', 'station'], ['station.updated', 'station'], ['station.deleted', 'station'],
      ['wallet.updated', 'customer'], ['wallet.transaction', 'customer'], ['customer.created', 'customer'], ['customer.deleted', 'customer'],
      ['ocpp.message', 'ocpp'], ['command.result', 'command'],
      ['point.created', 'cms'], ['point.deleted', 'cms'], ['tariff.updated', 'cms'],
      ['dashboard.stats', 'dashboard'],
      ['firmware.status', 'job'], ['diagnostics.status', 'job'],
    ];
    for (const [type, group] of cases) expect(notificationRoutingKey({ type }), type).toBe(`notification.${group}`);
  });

  it('prefixes audit topics', () => {
    expect(auditRoutingKey('command.sent.Reset')).toBe('audit.command.sent.Reset');
    expect(auditRoutingKey('cms.station.created')).toBe('audit.cms.station.created');
    expect(auditRoutingKey('cms.*.#')).toBe('audit.cms._._');
  });
});
