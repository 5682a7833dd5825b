/**
 * Rows of the charge-point side of the schema (charge points, connectors, stations, tariffs) and
 * their domain objects, shared by the SQLite and the PostgreSQL adapter: both tables have the same
 * columns. Boolean columns are 0/1 in SQLite and true/false in PostgreSQL (see Flag).
 */
import type { ChargePoint, Connector, RegistrationStatus, Station, Tariff } from '../../domain/types.ts';

/** A boolean column as the drivers return it: 0/1 from SQLite, true/false from PostgreSQL. */
export type Flag = boolean | 0 | 1;

export interface ChargePointRow<B extends Flag = Flag> {
  id: string;
  station_id: number | null;
  tariff_id: number | null;
  vendor: string | null;
  model: string | null;
  serial_number: string | null;
  firmware_version: string | null;
  registration_status: RegistrationStatus;
  lenient: B;
  auth_key_hash: string | null;
  online: B;
  last_seen_at: string | null;
  last_boot_at: string | null;
  priority: number;
  created_at: string;
  updated_at: string;
}

export function toChargePoint(row: ChargePointRow): ChargePoint {
  return {
    id: row.id,
    stationId: row.station_id,
    tariffId: row.tariff_id,
    vendor: row.vendor,
    model: row.model,
    serialNumber: row.serial_number,
    firmwareVersion: row.firmware_version,
    registrationStatus: row.registration_status,
    lenient: Boolean(row.lenient),
    hasAuthKey: row.auth_key_hash !== null,
    online: Boolean(row.online),
    lastSeenAt: row.last_seen_at,
    lastBootAt: row.last_boot_at,
    priority: row.priority,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface ConnectorRow {
  charge_point_id: string;
  connector_id: number;
  status: string;
  error_code: string;
  info: string | null;
  updated_at: string;
}

export function toConnector(row: ConnectorRow): Connector {
  return {
    chargePointId: row.charge_point_id,
    connectorId: row.connector_id,
    status: row.status,
    errorCode: row.error_code,
    info: row.info,
    updatedAt: row.updated_at,
  };
}

export interface StationRow {
  id: number;
  name: string;
  address: string;
  latitude: number | null;
  longitude: number | null;
  grid_limit_w: number | null;
  min_per_session_w: number | null;
  created_at: string;
  updated_at: string;
}

export function toStation(row: StationRow): Station {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    latitude: row.latitude,
    longitude: row.longitude,
    gridLimitW: row.grid_limit_w,
    minPerSessionW: row.min_per_session_w,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface TariffRow {
  id: number;
  name: string;
  currency: string;
  price_per_kwh: number;
  price_per_minute: number;
  session_fee: number;
  created_at: string;
  updated_at: string;
}

export function toTariff(row: TariffRow): Tariff {
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    pricePerKwh: row.price_per_kwh,
    pricePerMinute: row.price_per_minute,
    sessionFee: row.session_fee,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
