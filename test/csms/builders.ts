/** Test data builders: sensible defaults, override what the test is about. */
import type { ChargePointInput, NewSession, NewUser, StationInput, TariffInput } from '../../src/csms/domain/ports.ts';
import type { MeterSample, OcppMessageLogEntry, Tariff } from '../../src/csms/domain/types.ts';

let seq = 0;
/** A number unique within the test run, for emails, ids and idTags. */
export function unique(): number {
  return ++seq;
}

export function aUser(overrides: Partial<NewUser> = {}): NewUser {
  const n = unique();
  return {
    email: `user${n}@example.test`,
    name: `User ${n}`,
    passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    role: 'customer',
    idTag: `TAG${n}`,
    ...overrides,
  };
}

export function aStation(overrides: Partial<StationInput> = {}): StationInput {
  return { name: `Station ${unique()}`, address: '1 Main St', latitude: 52.37, longitude: 4.89, ...overrides };
}

export function aChargePoint(overrides: Partial<ChargePointInput> = {}): ChargePointInput {
  return { id: `CP-${unique()}`, connectors: 2, ...overrides };
}

export function aTariffInput(overrides: Partial<TariffInput> = {}): TariffInput {
  return { name: `Tariff ${unique()}`, currency: 'EUR', pricePerKwh: 30, pricePerMinute: 0, sessionFee: 0, ...overrides };
}

/** A stored-looking Tariff, for pure functions that never touch the store. */
export function aTariff(overrides: Partial<Tariff> = {}): Tariff {
  return {
    id: unique(),
    name: 'Standard',
    currency: 'EUR',
    pricePerKwh: 30,
    pricePerMinute: 0,
    sessionFee: 0,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function aNewSession(overrides: Partial<NewSession> = {}): NewSession {
  return {
    chargePointId: 'CP-1',
    connectorId: 1,
    idTag: 'TAG1',
    customerId: null,
    tariff: null,
    currency: 'EUR',
    meterStart: 1000,
    meterStartPending: false,
    startedAt: overrides.startedAt ?? '2024-05-01T10:00:00.000Z',
    startTimestamp: overrides.startedAt ?? '2024-05-01T10:00:00.000Z',
    createdAt: overrides.startedAt ?? '2024-05-01T10:00:00.000Z',
    refusal: null,
    review: null,
    ...overrides,
  };
}

export function aMeterSample(overrides: Partial<MeterSample> = {}): MeterSample {
  return {
    timestamp: '2024-05-01T10:01:00.000Z',
    measurand: 'Energy.Active.Import.Register',
    value: 1500,
    unit: 'Wh',
    phase: null,
    context: 'Sample.Periodic',
    ...overrides,
  };
}

export function aLogEntry(overrides: Partial<Omit<OcppMessageLogEntry, 'id'>> = {}): Omit<OcppMessageLogEntry, 'id'> {
  return {
    chargePointId: 'CP-1',
    direction: 'in',
    messageType: 2,
    action: 'Heartbeat',
    messageId: `m${unique()}`,
    payload: {},
    latencyMs: null,
    createdAt: '2024-05-01T10:00:00.000Z',
    ...overrides,
  };
}

/** An OCPP 1.6 MeterValues `meterValue` entry as a charger sends it (values are strings). */
export function aMeterValue(
  sampledValue: Array<Record<string, string>>,
  timestamp = '2024-05-01T10:05:00Z',
): { timestamp: string; sampledValue: Array<Record<string, string>> } {
  return { timestamp, sampledValue };
}
