import { describe, expect, it } from 'vitest';
import { autoRooms, mayJoin, parseRoom, roomArg, roomKind } from '../../../src/csms/notifier/rooms.ts';

const customer = { id: 7, role: 'customer' as const };
const admin = { id: 1, role: 'admin' as const };

describe('rooms', () => {
  it('parses the four kinds of room', () => {
    expect(parseRoom('customer:7')).toEqual({ kind: 'customer', name: 'customer:7', customerId: 7 });
    expect(parseRoom('cms:sessions')).toEqual({ kind: 'cms', name: 'cms:sessions' });
    expect(parseRoom('cms:point:CP:1')).toEqual({ kind: 'point', name: 'cms:point:CP:1', chargePointId: 'CP:1' });
    expect(parseRoom('public:stations')).toEqual({ kind: 'public', name: 'public:stations' });
  });

  it('takes a charge point identity of 1 to 48 characters without control characters', () => {
    expect(parseRoom(`cms:point:${'x'.repeat(48)}`)?.kind).toBe('point');
    for (const bad of ['cms:point:', `cms:point:${'x'.repeat(49)}`, 'cms:point:CP\u00001', 'cms:point:CP\u007f', 'cms:point:CP\u0085']) {
      expect(parseRoom(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('takes only canonical customer ids', () => {
    for (const bad of ['customer:', 'customer:0', 'customer:07', 'customer:-1', 'customer:1.5', 'customer:1e3', 'customer:99999999999999999']) {
      expect(parseRoom(bad), bad).toBeNull();
    }
  });

  it('refuses unknown names and non-strings', () => {
    for (const bad of ['cms:other', 'cms:', 'public:', 'lobby', '', 1, null, undefined, {}]) expect(parseRoom(bad)).toBeNull();
  });

  it('grants a customer its own room and the public one only', () => {
    expect(mayJoin(customer, parseRoom('customer:7'))).toEqual({ ok: true });
    expect(mayJoin(customer, parseRoom('public:stations'))).toEqual({ ok: true });
    expect(mayJoin(customer, parseRoom('customer:8'))).toEqual({ ok: false, reason: 'other-customer' });
    expect(mayJoin(customer, parseRoom('cms:dashboard'))).toEqual({ ok: false, reason: 'admin-only' });
    expect(mayJoin(customer, parseRoom('cms:point:CP-1'))).toEqual({ ok: false, reason: 'admin-only' });
    expect(mayJoin(customer, null)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('grants an admin the CMS and point rooms, not customer rooms', () => {
    for (const room of ['cms:dashboard', 'cms:stations', 'cms:points', 'cms:sessions', 'cms:point:Unknown-CP', 'public:stations']) {
      expect(mayJoin(admin, parseRoom(room)), room).toEqual({ ok: true });
    }
    expect(mayJoin(admin, parseRoom('customer:1'))).toEqual({ ok: false, reason: 'customer-only' });
  });

  it('puts customers in their own room and admins in the dashboard; the public room is joined on demand', () => {
    expect(autoRooms(customer)).toEqual(['customer:7']);
    expect(autoRooms(admin)).toEqual(['cms:dashboard']);
  });

  it('classifies rooms for stats and reads both payload forms', () => {
    expect(['customer:7', 'cms:points', 'cms:point:A', 'public:stations', 'Xa9-socket-id'].map(roomKind)).toEqual(['customer', 'cms', 'point', 'public', null]);
    expect(roomArg('cms:points')).toBe('cms:points');
    expect(roomArg({ room: 'cms:points' })).toBe('cms:points');
    expect(roomArg(null)).toBeNull();
  });
});
