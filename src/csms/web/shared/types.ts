/** The REST API's shapes as the pages see them (docs/rest-api.md); domain types are reused, type-only. */
import type { SessionView } from '../../domain/charging.ts';
import type { ChargePoint, Connector, IdTagCard, Session, Station, Tariff, User, WalletEntry } from '../../domain/types.ts';

export type { ChargePoint, Connector, IdTagCard, SessionView, Station, Tariff, User, WalletEntry };

export interface Items<T> {
  items: T[];
}

export interface Page<T> extends Items<T> {
  total: number;
  limit: number;
  offset: number;
}

export interface PublicPoint {
  id: string;
  stationId: number | null;
  vendor: string | null;
  model: string | null;
  online: boolean;
  connectors: Connector[];
  tariff: Tariff | null;
}

export interface StationWithPoints extends Station {
  chargePoints: PublicPoint[];
  connectorsAvailable: number;
}

export interface MeterSeries {
  sessionId: number;
  items: { at: string; energyWh: number | null; powerW: number | null }[];
}

/** `connector.status` notification data. */
export interface ConnectorStatusEvent {
  chargePointId: string;
  connectorId: number;
  status: string;
  errorCode: string;
  info: string | null;
  at: string;
}

/** `charger.status` notification data. */
export interface ChargerStatusEvent {
  chargePointId: string;
  stationId: number | null;
  online: boolean;
  registrationStatus: string;
  status?: string;
  errorCode?: string;
}

/** Applies a `connector.status` to a list of connectors (a new one is added). */
export function withConnector(connectors: Connector[], e: ConnectorStatusEvent): Connector[] {
  const next = { chargePointId: e.chargePointId, connectorId: e.connectorId, status: e.status, errorCode: e.errorCode, info: e.info, updatedAt: e.at };
  const found = connectors.some((c) => c.connectorId === e.connectorId);
  return found
    ? connectors.map((c) => (c.connectorId === e.connectorId ? { ...c, ...next } : c))
    : [...connectors, next].sort((a, b) => a.connectorId - b.connectorId);
}

/** The session in `charging.started`, `meter.values`, `charging.stopped` and `session.updated`. */
export type SessionEvent = Pick<Session, 'customerId' | 'chargePointId' | 'connectorId' | 'status' | 'energyWh' | 'powerW' | 'costMinor' | 'currency' | 'startedAt' | 'stoppedAt' | 'lastMeterAt' | 'stopReason' | 'closedBy'> & {
  sessionId: number;
  transactionId: number;
  /** In `meter.values` of a session billed to a wallet: what is left to spend. */
  balanceLeftMinor?: number | null;
};

/** A session event as a SessionView: what the event lacks comes from `base` (the page's copy), if any. */
export function sessionFromEvent(e: SessionEvent, base?: SessionView): SessionView {
  const { sessionId, transactionId: _transactionId, ...fields } = e;
  const end = e.stoppedAt ? Date.parse(e.stoppedAt) : Date.now();
  return {
    idTag: '',
    tariffId: null,
    meterStart: 0,
    meterLast: 0,
    meterStop: null,
    tariff: null,
    createdAt: e.startedAt,
    lastReportAt: null,
    closeNote: null,
    review: null,
    refusal: null,
    meterStartPending: false,
    stale: false,
    ...base,
    ...fields,
    id: sessionId,
    balanceLeftMinor: e.balanceLeftMinor ?? base?.balanceLeftMinor ?? null,
    autoStop: base?.autoStop ?? null,
    durationS: Math.max(0, Math.round((end - Date.parse(e.startedAt)) / 1000)),
  };
}

/** Replaces the session the event is about in `list`; null when the list does not hold it. */
export function withSessionEvent(list: SessionView[], e: SessionEvent): SessionView[] | null {
  if (!list.some((s) => s.id === e.sessionId)) return null;
  return list.map((s) => (s.id === e.sessionId ? sessionFromEvent(e, s) : s));
}
