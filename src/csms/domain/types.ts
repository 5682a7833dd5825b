/**
 * The CSMS's vocabulary: what the store keeps, what flows through the broker, what the API shows.
 * Money is always an integer in minor units (cents); energy is integer Wh; times are ISO 8601 strings.
 */
import type { MessageTypeNumber } from '../../ocpp/frames.ts';
import type { CallWithAnswer, ChargePointToCsms, ChargingProfile, ChargingProfilePurpose, RegistrationStatus as BootRegistrationStatus } from '../../ocpp/messages.ts';

export type Role = 'customer' | 'admin';

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** The primary card: the one the user panel starts with (one of the customer's `IdTagCard`s). */
  idTag: string | null;
  /** The primary card's expiry: after this instant it is Expired (E2 §7.23); null: it does not expire. */
  idTagExpiresAt: string | null;
  blocked: boolean;
  /** Transactions the customer may run at once, over all cards (1: one at a time). */
  maxConcurrentSessions: number;
  createdAt: string;
}

/** An idTag (RFID card or app token; OCPP IdToken, CiString20) and what it may do. */
export interface IdTagCard {
  /** Unique over all accounts, compared case-insensitively. */
  idTag: string;
  customerId: number;
  label: string | null;
  blocked: boolean;
  /** After this instant the card answers Expired (E2 §7.23); null: never. */
  expiresAt: string | null;
  /** Transactions this card may run at once (a fleet card more than 1). */
  maxConcurrent: number;
  createdAt: string;
}

/** The password hash never leaves the store except for login. */
export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface Station {
  id: number;
  name: string;
  address: string;
  latitude: number | null;
  longitude: number | null;
  /** What the station may draw from the grid (W); null: no limit, no load management. */
  gridLimitW: number | null;
  /** The least a running session gets of the grid limit (W); null: no minimum. */
  minPerSessionW: number | null;
  createdAt: string;
  updatedAt: string;
}

/** What the charger's BootNotification is answered with, or Unknown before its first boot. */
export type RegistrationStatus = 'Unknown' | BootRegistrationStatus;

export interface ChargePoint {
  id: string;
  stationId: number | null;
  tariffId: number | null;
  vendor: string | null;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  registrationStatus: RegistrationStatus;
  /** Accepts out-of-enum values from this charger (log and accept) instead of answering with a CALLERROR. */
  lenient: boolean;
  hasAuthKey: boolean;
  online: boolean;
  lastSeenAt: string | null;
  lastBootAt: string | null;
  /** Weight of its sessions when the station's grid limit is divided (0: the default, weight 1). */
  priority: number;
  createdAt: string;
  updatedAt: string;
}

export interface Connector {
  chargePointId: string;
  connectorId: number;
  status: string;
  errorCode: string;
  info: string | null;
  updatedAt: string;
}

export interface Tariff {
  id: number;
  name: string;
  currency: string;
  /** Minor units per kWh. */
  pricePerKwh: number;
  /** Minor units per started minute of charging. */
  pricePerMinute: number;
  /** Minor units, charged once per session. */
  sessionFee: number;
  createdAt: string;
  updatedAt: string;
}

/** `refused`: the StartTransaction's idTag was refused; the row only keeps the transactionId stable for retries. */
export type SessionStatus = 'active' | 'completed' | 'refused';

/** Who ended a session: the charger's StopTransaction, the CSMS on the charger's behalf, or an admin. */
export type ClosedBy = 'charger' | 'csms' | 'admin';

/**
 * The prices a session is billed with: a copy of its charge point's tariff taken when the session
 * started, so that a later change of the tariff does not rewrite history. `id` is null once the
 * tariff is deleted; the prices stay.
 */
export interface TariffTerms {
  id: number | null;
  name: string;
  currency: string;
  pricePerKwh: number;
  pricePerMinute: number;
  sessionFee: number;
}

export interface Session {
  id: number;
  chargePointId: string;
  connectorId: number;
  customerId: number | null;
  idTag: string;
  tariffId: number | null;
  /** What it is billed with; null: its charge point had no tariff, and charging there is free. */
  tariff: TariffTerms | null;
  status: SessionStatus;
  meterStart: number;
  meterLast: number;
  meterStop: number | null;
  energyWh: number;
  powerW: number;
  costMinor: number;
  currency: string;
  startedAt: string;
  stoppedAt: string | null;
  lastMeterAt: string | null;
  /** The charger's StopTransaction reason (E2 §7.39), once one arrived. */
  stopReason: string | null;
  /** When the CSMS received the StartTransaction (its own clock). */
  createdAt: string;
  /** When the CSMS last received a MeterValues of this session. */
  lastReportAt: string | null;
  closedBy: ClosedBy | null;
  /** Why the CSMS or an admin closed it (and which admin). */
  closeNote: string | null;
  /** For a refused start: the idTagInfo status it got (Blocked, Expired, Invalid, ConcurrentTx). */
  refusal: string | null;
  /** Why an admin should look at it (a value the CSMS could not use as sent), or null. */
  review: string | null;
  /** True while the StartTransaction's meterStart was unusable and no usable reading came since. */
  meterStartPending: boolean;
}

/**
 * topup: money the customer added (self top-up, or a payment the provider confirmed); charge: a
 * session's cost; adjustment: a session's cost corrected by the charger's final reading; credit,
 * debit, refund: an admin's entry with a reason (refund: paid back to the customer outside the
 * wallet, so it leaves the wallet).
 */
export type WalletEntryKind = 'topup' | 'charge' | 'adjustment' | 'credit' | 'debit' | 'refund';

/** The kinds an admin may enter by hand (POST /api/cms/customers/:id/wallet). */
export const ADMIN_WALLET_KINDS = ['credit', 'debit', 'refund'] as const satisfies readonly WalletEntryKind[];
export type AdminWalletKind = (typeof ADMIN_WALLET_KINDS)[number];

export interface WalletEntry {
  id: number;
  customerId: number;
  amountMinor: number;
  kind: WalletEntryKind;
  sessionId: number | null;
  note: string | null;
  /** The payment provider's id of the payment this entry credits (`provider:paymentId`): unique, so a payment credits once. */
  externalId: string | null;
  /** Who made a hand-made entry (the admin's email); null for entries the CSMS made. */
  actor: string | null;
  createdAt: string;
}

export interface MeterSample {
  timestamp: string;
  measurand: string;
  value: number;
  unit: string;
  phase: string | null;
  context: string | null;
}

export type CommandStatus = 'pending' | 'answered' | 'error' | 'timeout' | 'offline';

export interface CommandRecord {
  id: string;
  chargePointId: string;
  action: string;
  request: unknown;
  status: CommandStatus;
  response: unknown;
  requestedBy: string | null;
  createdAt: string;
  answeredAt: string | null;
}

/** A charging profile a charger accepted (SetChargingProfile answered Accepted), as the CSMS keeps it. */
export interface InstalledProfile {
  chargePointId: string;
  connectorId: number;
  chargingProfileId: number;
  stackLevel: number;
  purpose: ChargingProfilePurpose;
  transactionId: number | null;
  /** The csChargingProfiles as sent. */
  profile: ChargingProfile;
  /** Who asked: `admin:<id>`, `csms: load management`. */
  requestedBy: string | null;
  installedAt: string;
}

/** Profiles a charger did not confirm (Rejected, NotSupported, a CALLERROR, no answer, offline). */
export interface UnconfirmedProfiles {
  count: number;
  /** The last such outcome: the charger's status, or `timeout`, `offline`, `error`. */
  lastStatus: string | null;
  lastAt: string | null;
}

export type Direction = 'in' | 'out';

export interface OcppMessageLogEntry {
  id: number;
  chargePointId: string;
  direction: Direction;
  /** The OCPP-J message type (`MessageType`), or 0 for a frame that could not be decoded. */
  messageType: MessageTypeNumber | 0;
  action: string | null;
  messageId: string | null;
  payload: unknown;
  latencyMs: number | null;
  createdAt: string;
}

/**
 * One thing a charger did, as the gateway accepted it. `eventId` is minted at the gateway;
 * a redelivered event with the same id changes nothing (brokers deliver at least once).
 */
export type OcppEvent =
  | OcppCallEvent
  | OcppCommandEvent
  | OcppAnswerEvent
  | OcppInvalidEvent
  | OcppConnectionEvent;

interface EventBase {
  eventId: string;
  chargePointId: string;
  nodeId: string;
  /** ISO time the gateway received the frame. */
  receivedAt: string;
}

/** A CALL from the charger together with the answer we sent: a CALLRESULT or a CALLERROR. */
export type OcppCallEvent = OcppAnsweredCall | OcppRefusedCall;

interface CallEventBase extends EventBase {
  kind: 'call';
  messageId: string;
}

/**
 * A CALL we answered with a CALLRESULT, typed by its action: the request passed that action's schema,
 * the response is what our handler returned. A lenient charger's enum fields may still hold a value
 * outside their union (validation then checks types and presence, not values): compare and store
 * them, never rely on a switch over them being exhaustive.
 */
export type OcppAnsweredCall = CallEventBase & CallWithAnswer<ChargePointToCsms> & {
  error: null;
  /** The gateway applied it to the store before answering (StopTransaction): the processor only logs it. */
  applied?: boolean;
};

/** A CALL we answered with a CALLERROR: its request is what the charger sent, valid or not. */
export interface OcppRefusedCall extends CallEventBase {
  action: string;
  request: unknown;
  response: null;
  error: { code: string; description: string };
}

/** A CALL we sent to the charger (a command), logged when it leaves. */
export interface OcppCommandEvent extends EventBase {
  kind: 'command';
  action: string;
  messageId: string;
  payload: unknown;
}

/** The charger's CALLRESULT or CALLERROR to a command we sent. */
export interface OcppAnswerEvent extends EventBase {
  kind: 'callresult' | 'callerror';
  action: string | null;
  messageId: string;
  payload: unknown;
  error: { code: string; description: string; details: unknown } | null;
  latencyMs: number | null;
}

/** A frame we could not accept, and the answer (if any) we sent back. */
export interface OcppInvalidEvent extends EventBase {
  kind: 'invalid';
  raw: string;
  reason: string;
  answer: unknown;
}

export interface OcppConnectionEvent extends EventBase {
  kind: 'connected' | 'disconnected';
  remoteAddress: string | null;
  reason: string | null;
}

export type NotificationType =
  | 'charging.started'
  | 'charging.stopped'
  | 'charging.auto_stop'
  | 'meter.values'
  | 'session.updated'
  | 'charger.status'
  | 'connector.status'
  | 'station.status'
  | 'wallet.updated'
  | 'wallet.transaction'
  | 'ocpp.message'
  | 'command.result'
  | 'charging_profile.installed'
  | 'charging_profile.cleared'
  | 'charging_profile.unconfirmed'
  | 'station.created'
  | 'station.updated'
  | 'station.deleted'
  | 'point.created'
  | 'point.updated'
  | 'point.deleted'
  | 'tariff.created'
  | 'tariff.updated'
  | 'tariff.deleted'
  | 'customer.created'
  | 'customer.updated'
  | 'customer.deleted'
  | 'dashboard.stats'
  | 'reservation.created'
  | 'reservation.cancelled'
  | 'reservation.expired'
  | 'reservation.used'
  | 'firmware.status'
  | 'diagnostics.status'
  | 'localList.synced'
  | 'localList.failed';

/** What the processor (or a route) tells the outside world; the notifier maps it to rooms. */
export interface Notification {
  id: string;
  type: NotificationType;
  data: Record<string, unknown>;
  timestamp: string;
  /** Customer ids that must receive it in their own room. */
  recipients: number[];
  /** Rooms besides the customers' (e.g. `cms:points`, `cms:point:CP-1`). */
  rooms: string[];
}

export type ReservationStatus = 'active' | 'used' | 'cancelled' | 'expired' | 'refused';

/** A connector held for a customer (ReserveNow, E2 §5.13); `id` is the OCPP reservationId. */
export interface Reservation {
  id: number;
  chargePointId: string;
  connectorId: number;
  customerId: number;
  idTag: string;
  expiresAt: string;
  status: ReservationStatus;
  /** What the wallet was debited for it (minor units; 0: free). */
  feeMinor: number;
  /** The charger's answer when it refused (Occupied, Faulted, ...), or why it was cancelled or refused. */
  note: string | null;
  /** The session that used it. */
  sessionId: number | null;
  createdAt: string;
  updatedAt: string;
}

/** An entry of a Local Authorization List (E2 §7.2 AuthorizationData, flattened). */
export interface LocalListEntry {
  idTag: string;
  status: 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';
  expiryDate: string | null;
}

/**
 * What the CSMS knows of one charger's Local Authorization List: the version the charger last
 * confirmed (Accepted) and the entries it holds since; the outcome of the last attempt.
 */
export interface LocalListState {
  chargePointId: string;
  /** The version the charger confirmed; 0: none yet. */
  version: number;
  entries: LocalListEntry[];
  /** The charger's answer to the last GetLocalListVersion; null: never asked. */
  reportedVersion: number | null;
  /** synced: the charger holds `entries`; failed: the last update was refused or unanswered (the next is Full); unsupported: NotSupported. */
  status: 'synced' | 'failed' | 'unsupported';
  detail: string | null;
  /** Wanted cards left off because the charger holds at most LocalAuthListMaxLength (0: none; the list is truncated). */
  omitted: number;
  updatedAt: string;
}
