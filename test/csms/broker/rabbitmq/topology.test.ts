import { describe, expect, it } from 'vitest';
import { auditRoutingKey, durableNames, eventRoutingKey, notificationRoutingKey, topology } from '../../../../src/csms/broker/rabbitmq/topology.ts';
import type { NotificationType } from '../../../../src/csms/domain/types.ts';
import { anEvent } from './fixtures.ts';

describe('rabbitmq topology', () => {
  it('names everything under the namespace', () => {
    const t = topology('ns1');
    expect(durableNames(t)).toEqual({
      exchanges: ['ns1.ocpp', 'ns1.notifications', 'ns1.audit'],
      queues: ['ns1.ocpp.events', 'ns1.ocpp.retry', 'ns1.ocpp.dead', 'ns1.audit'],
    });
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

  it('groups notifications by what they are about', () => {
    const cases: [NotificationType, string][] = [
      ['charging.started', 'session'], ['charging.stopped', 'session'], ['session.updated', 'session'], ['meter.values', 'session'],
      ['charger.status', 'charger'], ['connector.status', 'charger'],
      ['station.status', 'station'], ['station.created', 'station'], ['station.updated', 'station'], ['station.deleted', 'station'],
      ['wallet.updated', 'customer'], ['wallet.transaction', 'customer'], ['customer.created', 'customer'], ['customer.deleted', 'customer'],
      ['ocpp.message', 'ocpp'], ['command.result', 'command'],
      ['point.created', 'cms'], ['point.deleted', 'cms'], ['tariff.updated', 'cms'],
      ['dashboard.stats', 'dashboard'],
    ];
    for (const [type, group] of cases) expect(notificationRoutingKey({ type }), type).toBe(`notification.${group}`);
  });

  it('prefixes audit topics', () => {
    expect(auditRoutingKey('command.sent.Reset')).toBe('audit.command.sent.Reset');
    expect(auditRoutingKey('cms.station.created')).toBe('audit.cms.station.created');
    expect(auditRoutingKey('cms.*.#')).toBe('audit.cms._._');
  });
});
