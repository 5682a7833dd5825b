import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CMS_ROOMS,
  customerRoom,
  deliveryRooms,
  NOTIFICATION_AUDIENCES,
  parseRoom,
  pointRoom,
  PUBLIC_STATIONS_ROOM,
  revokedCustomer,
  route,
} from '../../../src/csms/domain/notification-routing.ts';
import { notify, sessionNotifications } from '../../../src/csms/domain/notifications.ts';
import type { NotificationType, Session } from '../../../src/csms/domain/types.ts';

const at = '2026-01-01T00:00:00.000Z';

function aSession(overrides: Partial<Session> = {}): Session {
  return {
    id: 1, chargePointId: 'CP-1', connectorId: 1, customerId: 7, idTag: 'TAG-1', tariffId: null, tariff: null, status: 'active',
    meterStart: 0, meterLast: 0, meterStop: null, energyWh: 0, powerW: 0, costMinor: 0, currency: 'EUR', startedAt: at, stoppedAt: null,
    lastMeterAt: null, stopReason: null, createdAt: at, lastReportAt: null, closedBy: null, closeNote: null, refusal: null,
    review: null, meterStartPending: false,
    ...overrides,
  };
}

describe('notification routing', () => {
  it('routes a session event to its customer, the CMS sessions list and dashboard, and the point', () => {
    expect(route('charging.started', { customers: [7], chargePointId: 'CP-1' })).toEqual({
      recipients: [7],
      rooms: [CMS_ROOMS.sessions, CMS_ROOMS.dashboard, 'cms:point:CP-1'],
    });
    // The busiest type stays off the dashboard.
    expect(route('meter.values', { customers: [7], chargePointId: 'CP-1' }).rooms).not.toContain(CMS_ROOMS.dashboard);
  });

  it('keeps what is about one customer in that customer\'s room', () => {
    for (const type of ['wallet.updated', 'wallet.transaction'] as const) {
      expect(route(type, { customers: [7], chargePointId: 'CP-1' })).toEqual({ recipients: [7], rooms: [] });
    }
    // The public room hears availability and nothing else: no sessions, wallets or accounts.
    const toPublic = Object.entries(NOTIFICATION_AUDIENCES).filter(([, audiences]) => audiences.includes('public')).map(([type]) => type);
    expect(toPublic.sort()).toEqual(['charger.status', 'connector.status', 'station.status']);
  });

  it('sends to the subjects the emitter names, and to no other', () => {
    // command.result: the command sender names the point, the customer routes the customer.
    expect(route('command.result', { chargePointId: 'CP-1' })).toEqual({ recipients: [], rooms: [pointRoom('CP-1')] });
    expect(route('command.result', { customers: [7] })).toEqual({ recipients: [7], rooms: [] });
    // A session without a customer reaches the CMS only.
    expect(route('session.updated', { customers: [], chargePointId: 'CP-1' })).toEqual({ recipients: [], rooms: [CMS_ROOMS.sessions, pointRoom('CP-1')] });
  });

  it('puts availability in the public room and the CMS points lists', () => {
    for (const type of ['charger.status', 'connector.status', 'station.status'] as const) {
      expect(route(type, { chargePointId: 'CP-1' }).rooms, type).toContain(PUBLIC_STATIONS_ROOM);
    }
    expect(route('charger.status', { chargePointId: 'CP-1' }).rooms).toEqual([CMS_ROOMS.points, CMS_ROOMS.dashboard, pointRoom('CP-1'), PUBLIC_STATIONS_ROOM]);
  });

  it('builds only room names that parse back to what they were built from', () => {
    for (const type of Object.keys(NOTIFICATION_AUDIENCES) as NotificationType[]) {
      for (const name of deliveryRooms(route(type, { customers: [7], chargePointId: 'CP 7/ä' }))) expect(parseRoom(name), name).not.toBeNull();
    }
    expect(parseRoom(pointRoom('CP 7/ä'))).toEqual({ kind: 'point', name: 'cms:point:CP 7/ä', chargePointId: 'CP 7/ä' });
    expect(parseRoom(customerRoom(7))).toEqual({ kind: 'customer', name: 'customer:7', customerId: 7 });
  });

  it('delivers to the rooms and the recipients\' own rooms, once each', () => {
    const n = notify('connector.status', { chargePointId: 'CP-1' }, at, { customers: [7], chargePointId: 'CP-1' });
    expect(deliveryRooms(n)).toEqual([CMS_ROOMS.points, CMS_ROOMS.dashboard, pointRoom('CP-1'), PUBLIC_STATIONS_ROOM, customerRoom(7)]);
    expect(new Set(deliveryRooms(n)).size).toBe(deliveryRooms(n).length);
  });

  it('addresses what notify() builds by the table, session events included', () => {
    const s = aSession({ customerId: 7, chargePointId: 'CP-1' });
    const [started, updated] = sessionNotifications('charging.started', s, at);
    // Spelled out, not compared with route(): notify() calls route(), so that comparison could not fail.
    expect(started).toMatchObject({ type: 'charging.started', recipients: [7], rooms: [CMS_ROOMS.sessions, CMS_ROOMS.dashboard, pointRoom('CP-1')] });
    expect(updated).toMatchObject({ type: 'session.updated', recipients: [7], rooms: [CMS_ROOMS.sessions, pointRoom('CP-1')] });
    expect(deliveryRooms(started)).toEqual([CMS_ROOMS.sessions, CMS_ROOMS.dashboard, pointRoom('CP-1'), customerRoom(7)]);
  });

  it('names the customer to disconnect when an admin blocks or deletes one', () => {
    expect(revokedCustomer({ type: 'customer.deleted', data: { customerId: 7 } })).toBe(7);
    expect(revokedCustomer({ type: 'customer.updated', data: { customerId: 7, customer: { blocked: true } } })).toBe(7);
    expect(revokedCustomer({ type: 'customer.updated', data: { customerId: 7, customer: { blocked: false } } })).toBeNull();
    expect(revokedCustomer({ type: 'wallet.updated', data: { customerId: 7 } })).toBeNull();
  });

  it('has every type documented in docs/events.md', () => {
    const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    for (const type of Object.keys(NOTIFICATION_AUDIENCES) as NotificationType[]) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${type}\` |`));
      expect(rows.length, `${type} in docs/events.md`).toBeGreaterThan(0);
    }
  });
});
