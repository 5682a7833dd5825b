/**
 * The interfaces the domain needs from the outside world. Adapters implement them
 * (store/ for Store, broker/ for Broker, gateway/ for CommandSender); server.ts wires them.
 */
import type { DeviceJobRepo } from './device-jobs.ts';
import type {
  ChargePoint,
  ClosedBy,
  CommandRecord,
  CommandStatus,
  Connector,
  IdTagCard,
  InstalledProfile,
  LocalListEntry,
  LocalListState,
  Notification,
  OcppEvent,
  OcppMessageLogEntry,
  RegistrationStatus,
  Reservation,
  ReservationStatus,
  Role,
  Session,
  SessionStatus,
  Station,
  Tariff,
  TariffTerms,
  UnconfirmedProfiles,
  User,
  UserWithSecret,
  WalletEntry,
  WalletEntryKind,
} from './types.ts';

export interface Page {
  limit?: number;
  offset?: number;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  idTag?: string | null;
}

export interface UserPatch {
  name?: string;
  email?: string;
  passwordHash?: string;
  /**
   * The primary card: one of the customer's own cards becomes primary; any other idTag renames
   * the primary card (or is added as one); null deletes the primary card.
   */
  idTag?: string | null;
  /** The primary card's expiry. */
  idTagExpiresAt?: string | null;
  blocked?: boolean;
  maxConcurrentSessions?: number;
}

export interface UserRepo {
  /** With an idTag, the user's first card is created with it (CSMS_ERR_ID_TAG_TAKEN if any account has it). */
  create(user: NewUser): Promise<User>;
  get(id: number): Promise<User | null>;
  findByEmail(email: string): Promise<UserWithSecret | null>;
  /** The holder of any of the cards, the idTag in any case. */
  findByIdTag(idTag: string): Promise<User | null>;
  list(filter: { role?: Role; q?: string } & Page): Promise<User[]>;
  count(filter: { role?: Role; q?: string }): Promise<number>;
  update(id: number, patch: UserPatch): Promise<User | null>;
  delete(id: number): Promise<boolean>;
}

export interface NewIdTag {
  idTag: string;
  customerId: number;
  label?: string | null;
  blocked?: boolean;
  expiresAt?: string | null;
  maxConcurrent?: number;
}

export type IdTagPatch = Partial<Pick<IdTagCard, 'label' | 'blocked' | 'expiresAt' | 'maxConcurrent'>>;

/** The cards of customers (id_tags). A customer's primary card is `User.idTag`. */
export interface IdTagRepo {
  /** The card, the idTag in any case (CiString20). */
  get(idTag: string): Promise<IdTagCard | null>;
  /** Oldest first. */
  listForCustomer(customerId: number): Promise<IdTagCard[]>;
  /** Throws CSMS_ERR_ID_TAG_TAKEN when any account has the idTag; `primary` (or a customer without one) makes it the primary card. */
  create(card: NewIdTag, opts?: { primary?: boolean }): Promise<IdTagCard>;
  update(idTag: string, patch: IdTagPatch): Promise<IdTagCard | null>;
  /** Makes the card its customer's primary one. */
  makePrimary(idTag: string): Promise<void>;
  /**
   * Throws CSMS_ERR_IN_USE while the card has an active session. Deleting the primary card makes
   * the customer's oldest other card primary, if any.
   */
  delete(idTag: string): Promise<boolean>;
}

/** Per charger, the Local Authorization List it holds (docs/local-auth-list.md). */
export interface LocalListRepo {
  /** null: the CSMS never sent this charger a list. */
  get(chargePointId: string): Promise<LocalListState | null>;
  /** Creates or replaces the charger's record. */
  save(state: LocalListState): Promise<void>;
  /**
   * The entries every charger's list should hold at `now`: each card that is not blocked nor
   * expired, of a customer who is not blocked, Accepted with its expiry; ordered by idTag.
   */
  wanted(now: string): Promise<LocalListEntry[]>;
}

export interface StationInput {
  name: string;
  address?: string;
  latitude?: number | null;
  longitude?: number | null;
  /** What the station may draw (W); null: no limit. */
  gridLimitW?: number | null;
  /** The least a session gets of the limit (W); null: no minimum. */
  minPerSessionW?: number | null;
}

export interface StationRepo {
  create(input: StationInput): Promise<Station>;
  get(id: number): Promise<Station | null>;
  list(page?: Page): Promise<Station[]>;
  count(): Promise<number>;
  update(id: number, patch: Partial<StationInput>): Promise<Station | null>;
  /** Throws CsmsError CSMS_ERR_IN_USE while charge points belong to it. */
  delete(id: number): Promise<boolean>;
}

export interface ChargePointInput {
  id: string;
  stationId?: number | null;
  tariffId?: number | null;
  lenient?: boolean;
  /** Salted hash of the Basic-auth AuthorizationKey (domain/secrets.ts); null clears it. */
  authKeyHash?: string | null;
  registrationStatus?: RegistrationStatus;
  /** Connector ids to create up front (1..n); StatusNotification adds any others it sees. */
  connectors?: number;
  /** Weight in load management (default 0). */
  priority?: number;
}

export interface BootInfo {
  vendor: string;
  model: string;
  serialNumber: string | null;
  firmwareVersion: string | null;
}

export interface ChargePointRepo {
  create(input: ChargePointInput): Promise<ChargePoint>;
  get(id: string): Promise<ChargePoint | null>;
  list(filter?: { stationId?: number } & Page): Promise<ChargePoint[]>;
  /** How many charge points (of a station), and how many of them are online. */
  count(filter?: { stationId?: number }): Promise<{ total: number; online: number }>;
  update(id: string, patch: Partial<Omit<ChargePointInput, 'id'>>): Promise<ChargePoint | null>;
  delete(id: string): Promise<boolean>;
  authKeyHash(id: string): Promise<string | null>;
  recordBoot(id: string, info: BootInfo, status: RegistrationStatus, at: string): Promise<void>;
  setOnline(id: string, online: boolean, at: string): Promise<void>;
  /** Marks every charge point offline (at start-up: nothing is connected yet). */
  setAllOffline(): Promise<void>;
  touch(id: string, at: string): Promise<void>;
  connectors(id: string): Promise<Connector[]>;
  upsertConnector(c: Omit<Connector, 'updatedAt'>, at: string): Promise<void>;
  /**
   * Which CSMS node holds the charger's WebSocket (commands are routed there); written at connect,
   * unless a connection made later (`connectedAtMs`, wall clock) was recorded already: a slow write
   * of an older connection never overwrites a newer one on another node.
   */
  setNode(id: string, nodeId: string, connectedAtMs: number): Promise<void>;
  /** Clears the node, but only if it is still `nodeId` (a newer connection elsewhere wins). */
  clearNode(id: string, nodeId: string): Promise<void>;
  nodeOf(id: string): Promise<string | null>;
  /** True when any charge point of the station is connected (one indexed lookup, not a list). */
  stationOnline(stationId: number): Promise<boolean>;
}

export interface TariffInput {
  name: string;
  currency: string;
  pricePerKwh: number;
  pricePerMinute?: number;
  sessionFee?: number;
}

export interface TariffRepo {
  create(input: TariffInput): Promise<Tariff>;
  get(id: number): Promise<Tariff | null>;
  list(page?: Page): Promise<Tariff[]>;
  count(): Promise<number>;
  update(id: number, patch: Partial<TariffInput>): Promise<Tariff | null>;
  delete(id: number): Promise<boolean>;
  /** The charge point's own tariff; null: it has none, and charging there is free. */
  forChargePoint(chargePointId: string): Promise<Tariff | null>;
}

export interface NewSession {
  chargePointId: string;
  connectorId: number;
  idTag: string;
  customerId: number | null;
  /** The prices it is billed with (copied); null: free. */
  tariff: TariffTerms | null;
  /** The network's currency: what the wallet is debited in. */
  currency: string;
  /** A usable register reading (Wh); 0 while `meterStartPending`. */
  meterStart: number;
  meterStartPending: boolean;
  /** StartTransaction.timestamp as the charger sent it (one spelling when it parses): with connector, idTag and meterStart, the key a retry is found by. */
  startTimestamp: string;
  /** When charging started, as billed (the charger's time when it can be trusted). */
  startedAt: string;
  /** When the CSMS received the StartTransaction. */
  createdAt: string;
  /** Non-null: the start was refused with this idTagInfo status (the session is `refused`). */
  refusal: string | null;
  review: string | null;
}

export interface SessionFilter extends Page {
  customerId?: number;
  chargePointId?: string;
  status?: SessionStatus;
  from?: string;
  to?: string;
  /** Only active sessions of which nothing (no MeterValues, no message of their charger) arrived since this instant. */
  silentSince?: string;
}

export interface SessionProgress {
  meterLast: number;
  energyWh: number;
  powerW: number;
  costMinor: number;
  lastMeterAt: string;
  /** When the CSMS received the reading (default: unchanged). */
  lastReportAt?: string;
  /** Set when the session's meterStart was pending: the first usable reading becomes the start. */
  meterStart?: number;
}

export interface SessionClose {
  meterStop: number;
  energyWh: number;
  costMinor: number;
  stoppedAt: string;
  /** The charger's StopTransaction reason, if it sent one. */
  reason: string | null;
  /** Default 'charger'. */
  closedBy?: ClosedBy;
  closeNote?: string | null;
}

export interface SessionRepo {
  /**
   * Creates the session, or returns the existing one for a retried StartTransaction
   * (same charge point, connector, idTag, timestamp as sent and meterStart).
   */
  start(input: NewSession): Promise<{ session: Session; created: boolean }>;
  get(id: number): Promise<Session | null>;
  activeOnConnector(chargePointId: string, connectorId: number): Promise<Session | null>;
  activeForCustomer(customerId: number): Promise<Session[]>;
  /**
   * How many sessions the customer runs anywhere but on this connector (a retry, or a session the
   * charger has moved on from, is not concurrent), and how many of them with `idTag` (any case).
   */
  activeElsewhere(customerId: number, idTag: string, chargePointId: string, connectorId: number): Promise<{ customer: number; idTag: number }>;
  /** Active sessions of a charge point (or of one of its connectors) the CSMS learned of before `before`. */
  activeCreatedBefore(chargePointId: string, before: string, connectorId?: number): Promise<Session[]>;
  list(filter: SessionFilter): Promise<Session[]>;
  count(filter: SessionFilter): Promise<number>;
  updateProgress(id: number, p: SessionProgress): Promise<void>;
  /** Completes an active session; false if it was no longer active (a retried StopTransaction). */
  complete(id: number, p: SessionClose): Promise<boolean>;
  /** Rewrites the final figures of a completed session (a StopTransaction after the CSMS closed it). */
  reconcile(id: number, p: { meterStop: number; energyWh: number; costMinor: number; stoppedAt: string }): Promise<void>;
  /** Records the charger's stop reason if the session has none yet. */
  fillStopReason(id: number, reason: string): Promise<void>;
  /** Adds a reason for an admin to look at the session (kept with any earlier one). */
  flag(id: number, review: string): Promise<void>;
  addMeterSamples(sessionId: number | null, chargePointId: string, connectorId: number, samples: import('./types.ts').MeterSample[]): Promise<void>;
  /**
   * addMeterSamples(id, …) and updateProgress(id, p) at once: one round trip where the store can.
   * The samples are kept whatever the session's status; the progress only while it is active.
   */
  recordReading(id: number, chargePointId: string, connectorId: number, samples: import('./types.ts').MeterSample[], p: SessionProgress): Promise<void>;
  meterSamples(sessionId: number, page?: Page): Promise<import('./types.ts').MeterSample[]>;
}

export interface NewWalletEntry {
  customerId: number;
  amountMinor: number;
  kind: WalletEntryKind;
  sessionId?: number | null;
  note?: string | null;
  /** A payment's id at its provider: unique, so the same payment never credits twice. */
  externalId?: string | null;
  /** Who made a hand-made entry (an admin's email). */
  actor?: string | null;
  createdAt: string;
}

export interface WalletRepo {
  balance(customerId: number): Promise<number>;
  /**
   * What the customer may spend, in one read: the balance less what their unreleased holds reserve
   * (as HoldRepo.reserved, `except` leaving one session out).
   */
  spendable(customerId: number, except?: number): Promise<number>;
  /**
   * Returns null when the entry exists already: a `charge` for this session, or an entry with this
   * `externalId`. The database's unique indexes decide, so the debit or credit happens once.
   * Throws CSMS_ERR_BAD_AMOUNT when the amount's sign does not fit its kind.
   */
  add(entry: NewWalletEntry): Promise<WalletEntry | null>;
  list(customerId: number, page?: Page): Promise<WalletEntry[]>;
  count(customerId: number): Promise<number>;
}

/** A running session's reservation on its customer's wallet. */
export interface WalletHold {
  sessionId: number;
  customerId: number;
  amountMinor: number;
  createdAt: string;
  releasedAt: string | null;
  stopRequestedAt: string | null;
}

/**
 * Holds: what running sessions reserve of a wallet. What a session may spend is the balance less
 * what the customer's other running sessions hold (each the larger of its hold and its cost so far).
 */
export interface HoldRepo {
  /** Places the hold of a new session; a second call for the same session changes nothing. */
  place(hold: { sessionId: number; customerId: number; amountMinor: number; createdAt: string }): Promise<void>;
  get(sessionId: number): Promise<WalletHold | null>;
  /** Releases the session's hold; true only for the call that released it. */
  release(sessionId: number, at: string): Promise<boolean>;
  /** What the customer's unreleased holds reserve, each the larger of the hold and its session's cost so far; `except` leaves one session out. */
  reserved(customerId: number, except?: number): Promise<number>;
  /** Records a stop request unless one was made at or after `notBefore`; true when the caller should send it. */
  requestStop(sessionId: number, at: string, notBefore: string): Promise<boolean>;
}

export interface NewReservation {
  chargePointId: string;
  connectorId: number;
  customerId: number;
  idTag: string;
  expiresAt: string;
  feeMinor: number;
  createdAt: string;
}

/** Reservations (ReserveNow). At most one active per connector and one per customer: unique indexes decide. */
export interface ReservationRepo {
  /**
   * Creates an active reservation. Throws CSMS_ERR_CONNECTOR_RESERVED when the connector has an
   * active one, CSMS_ERR_RESERVATION_EXISTS when the customer has (another node may have just won).
   */
  create(r: NewReservation): Promise<Reservation>;
  get(id: number): Promise<Reservation | null>;
  activeOnConnector(chargePointId: string, connectorId: number): Promise<Reservation | null>;
  /** Newest first. */
  list(filter: { customerId?: number; chargePointId?: string; status?: ReservationStatus } & Page): Promise<Reservation[]>;
  /** Ends an active reservation; null when it was no longer active (only one caller ends it). */
  finish(id: number, status: Exclude<ReservationStatus, 'active'>, at: string, extra?: { note?: string | null; sessionId?: number | null }): Promise<Reservation | null>;
  /** Active reservations whose expiry is at or before `at`, oldest first. */
  due(at: string, limit: number): Promise<Reservation[]>;
}

export interface MessageLogRepo {
  insertMany(entries: Omit<OcppMessageLogEntry, 'id'>[]): Promise<void>;
  /** Newest first; `afterId` returns only entries newer than that id (the polling cursor). */
  list(chargePointId: string, opts?: { limit?: number; afterId?: number }): Promise<OcppMessageLogEntry[]>;
  /** Keeps at most `keepPerChargePoint` entries per charge point. */
  prune(keepPerChargePoint: number): Promise<number>;
}

export interface CommandRepo {
  create(rec: Omit<CommandRecord, 'status' | 'response' | 'answeredAt'>): Promise<CommandRecord>;
  finish(id: string, status: CommandStatus, response: unknown, at: string): Promise<void>;
  get(id: string): Promise<CommandRecord | null>;
  list(chargePointId: string, page?: Page): Promise<CommandRecord[]>;
}

/** Which installed profiles a ClearChargingProfile removes (E2 §5.4): by id alone, else all that match the fields given. */
export interface ProfileFilter {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: string;
  stackLevel?: number;
}

/** The charging profiles each charger accepted, and how many it did not confirm. */
export interface ChargingProfileRepo {
  /**
   * Keeps a profile the charger accepted. It replaces the one with the same chargingProfileId on the
   * charge point and the one with the same purpose and stackLevel on that connector (E2 §3.13.2).
   * A profile for a transaction is kept only while that transaction is active on the charge point:
   * false, and nothing changed, once it has ended. Checked under the session's row lock (SQLite runs
   * one writer at a time), so a stop committing meanwhile either waits and then removes the profile
   * (removeForTransaction) or has ended the session first: a TxProfile never outlives its transaction.
   */
  install(p: InstalledProfile): Promise<boolean>;
  /** By connector, purpose, stack level. */
  list(chargePointId: string): Promise<InstalledProfile[]>;
  /** Removes what a ClearChargingProfile the charger accepted removed there; returns how many. */
  clear(chargePointId: string, filter: ProfileFilter): Promise<number>;
  /** TxProfiles end with their transaction. */
  removeForTransaction(chargePointId: string, transactionId: number): Promise<number>;
  recordUnconfirmed(chargePointId: string, status: string, at: string): Promise<void>;
  unconfirmed(chargePointId: string): Promise<UnconfirmedProfiles>;
}

export interface OutboxItem {
  id: number;
  exchange: string;
  routingKey: string;
  /** The message body as it will be published (JSON text). */
  body: string;
  createdAt: string;
}

/**
 * Messages accepted while the broker was away or slow, kept in the store until the broker confirms
 * them. Each node relays its own rows, oldest first, and adopts those of nodes that are gone.
 */
export interface OutboxRepo {
  add(nodeId: string, items: { exchange: string; routingKey: string; body: string }[], at: string): Promise<void>;
  take(nodeId: string, limit: number): Promise<OutboxItem[]>;
  remove(ids: number[]): Promise<void>;
  count(nodeId?: string): Promise<number>;
  /**
   * Gives `nodeId` the rows of every node not alive since `aliveSinceMs` (see NodeRepo), and with
   * `unregisteredToo` those of nodes never registered (rows of an older version); returns how many.
   */
  adoptOrphans(nodeId: string, aliveSinceMs: number, unregisteredToo?: boolean): Promise<number>;
}

/** Which CSMS nodes sharing the database are alive: each says so every few seconds. */
export interface NodeRepo {
  alive(nodeId: string, startedAt: string, atMs: number): Promise<void>;
  /** A node that stopped cleanly: its rows are anyone's at once. */
  leave(nodeId: string): Promise<void>;
  /** The ids of the nodes alive at or after `aliveSinceMs` (wall-clock ms), sorted. */
  live(aliveSinceMs: number): Promise<string[]>;
}

export interface JournalEntry {
  seq: number;
  /** The event as JSON. */
  body: string;
  attempts: number;
  /** Set once the event is dead-lettered. */
  deadError: string | null;
  createdAt: string;
}

/**
 * The embedded broker's journal: an accepted event is written here (many per transaction) before
 * the charger gets its answer, and forgotten once the processor has committed it.
 */
export interface EventJournalRepo {
  /**
   * One transaction: appends `append` (returning their sequence numbers, in order), forgets
   * `done`, marks `dead` as dead letters.
   */
  write(w: { append: string[]; done: number[]; dead: { seq: number; error: string; attempts: number }[] }, at: string): Promise<number[]>;
  /** Entries not yet processed and not dead, oldest first. */
  pending(): Promise<JournalEntry[]>;
  dead(): Promise<JournalEntry[]>;
  /** Dead letters back to pending (attempts reset); returns them, oldest first. */
  revive(): Promise<JournalEntry[]>;
}

export interface ProcessedEventRepo {
  /** Records the event id; false if it was already processed (a redelivery). */
  claim(eventId: string, at: string): Promise<boolean>;
  /**
   * Claims several event ids at once (one statement where the store can): returns those this call
   * recorded; an id already processed, or listed twice, is in the set at most once.
   */
  claimMany(eventIds: readonly string[], at: string): Promise<Set<string>>;
  prune(olderThan: string): Promise<number>;
}

export interface DashboardStats {
  stations: number;
  stationsOnline: number;
  chargePoints: number;
  chargePointsOnline: number;
  connectorsByStatus: Record<string, number>;
  activeSessions: number;
  energyWhToday: number;
  energyWhTotal: number;
  revenueMinorToday: number;
  revenueMinorTotal: number;
  customers: number;
}

/**
 * Everything the CSMS persists: a SQLite file (store/sqlite/, one host) or PostgreSQL
 * (store/postgres/, shared by nodes on many hosts). Every call is asynchronous.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  users: UserRepo;
  idTags: IdTagRepo;
  stations: StationRepo;
  chargePoints: ChargePointRepo;
  tariffs: TariffRepo;
  sessions: SessionRepo;
  wallet: WalletRepo;
  holds: HoldRepo;
  reservations: ReservationRepo;
  messages: MessageLogRepo;
  commands: CommandRepo;
  chargingProfiles: ChargingProfileRepo;
  events: ProcessedEventRepo;
  outbox: OutboxRepo;
  nodes: NodeRepo;
  journal: EventJournalRepo;
  /** Firmware files and the firmware / diagnostics jobs sent to chargers (domain/device-jobs.ts). */
  deviceJobs: DeviceJobRepo;
  localLists: LocalListRepo;
  dashboardStats(now: string): Promise<DashboardStats>;
  /**
   * Runs fn in one database transaction: every store call made while fn runs (in its async
   * context) joins it, and a nested call is a savepoint that rolls back alone. fn must not wait
   * for anything but the store, or it holds the database up.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: no other transaction decides about this customer's money until this
   * one ends (a row lock in PostgreSQL; SQLite already runs one writer at a time).
   */
  lockCustomer(customerId: number): Promise<void>;
  /** A number that changes whenever any row changes (in any process sharing the database): a cheap ETag source. */
  changeCounter(): Promise<number>;
  ping(): Promise<boolean>;
  /** Where the data lives, for logs and /ready, without credentials (e.g. `sqlite ./data/csms.db`). */
  readonly location: string;
  close(): Promise<void>;
}

export interface Delivery<T> {
  body: T;
  /** True when the broker says this may have been delivered before. */
  redelivered: boolean;
  /** How many times processing this delivery has failed so far. */
  attempts: number;
}

export interface BatchOutcome {
  failed: { delivery: Delivery<OcppEvent>; error: unknown }[];
}

export interface DeadLetter {
  event: OcppEvent;
  error: string;
  attempts: number;
  at: string;
}

/** Where the gateway and routes publish, and the processor and notifier consume. */
export interface BrokerQueueStats {
  /** Events waiting in the broker's event queue, as last declared. */
  queueDepth: number;
  /** Events waiting out a retry delay. */
  retryDepth: number;
  /** Published but not yet confirmed by the broker. */
  unconfirmed: number;
}

export interface Broker {
  readonly kind: 'memory' | 'rabbitmq';
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Never throws and never drops: an accepted event is kept until a consumer has it. The promise
   * resolves once the event is durable (committed to the journal or outbox, or confirmed by the
   * broker): only then may the charger be answered. It rejects if it cannot be made durable.
   */
  publishEvent(event: OcppEvent): Promise<void>;
  /**
   * The handler gets batches; the batch is acknowledged when the returned promise resolves, except
   * the deliveries it reports as failed: those are retried a bounded number of times, then dead-lettered.
   * A rejected promise means nothing was done: the whole batch comes again.
   */
  consumeEvents(handler: (batch: Delivery<OcppEvent>[]) => Promise<BatchOutcome>): void;
  publishNotification(n: Notification): void;
  consumeNotifications(handler: (n: Notification) => void): void;
  /** Events accepted but not yet processed (for /ready and the dashboard). */
  backlog(): number;
  /** Queue figures for the server dashboard, where the broker has queues of its own (RabbitMQ). */
  queueStats?(): BrokerQueueStats;
  /**
   * Backpressure: null while there is room; otherwise a promise that resolves once the backlog has
   * drained below its low-water mark. The gateway holds its answers on it, so chargers slow down
   * instead of the backlog growing without bound.
   */
  pressure(): Promise<void> | null;
  /** Events that kept failing, for an admin to inspect and replay. */
  deadLetters(): Promise<DeadLetter[]>;
  replayDeadLetters(): Promise<number>;
  /**
   * Audit trail: commands sent to chargers and their results,
   * CMS changes. `topic` is dotted, e.g. `command.result.Reset`, `cms.station.created`.
   */
  publishAudit(topic: string, data: Record<string, unknown>): void;
  /** Routes commands to the node that holds a charger; absent when there is only one node. */
  readonly commands?: CommandRouter;
  health(): { ok: boolean; detail: string };
}

/** Sends a command to a charger and waits for its answer (or a timeout). */
export interface CommandSender {
  /** Records, sends and awaits a command; a payload that breaks OCPP 1.6 rejects with CSMS_ERR_VALIDATION, unrecorded and unsent. */
  send(chargePointId: string, action: string, payload: Record<string, unknown>, opts?: { requestedBy?: string; timeoutMs?: number }): Promise<CommandOutcome>;
  isConnected(chargePointId: string): boolean;
}

export interface RemoteCommand {
  chargePointId: string;
  action: string;
  payload: Record<string, unknown>;
  requestedBy: string | null;
  timeoutMs: number;
}

export interface CommandRouter {
  /** Sends the command to the node holding the charger and resolves with its outcome (or a timeout). */
  forward(nodeId: string, cmd: RemoteCommand): Promise<CommandOutcome>;
  /** Serves the commands other nodes forward to this one. */
  serve(handler: (cmd: RemoteCommand) => Promise<CommandOutcome>): void;
}

export interface CommandOutcome {
  commandId: string;
  status: CommandStatus;
  response: unknown;
}

/** What time it is for everything that lands in data or decides something; server.ts injects one into every adapter. */
export interface Clock {
  now(): Date;
}

/** The wall clock: the default where no clock is injected. */
export const systemClock: Clock = { now: () => new Date() };

/** A hosted payment page the customer is sent to. */
export interface CheckoutRequest {
  customerId: number;
  amountMinor: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** Where the provider sends the customer back when they are done (paid or not). */
  returnUrl: string;
}

export interface Checkout {
  /** The provider's id of this payment: the webhook names it, and the wallet credits it once. */
  paymentId: string;
  /** The provider's page where the customer pays. */
  url: string;
}

export type PaymentStatus = 'paid' | 'pending' | 'failed' | 'canceled';

/** What a verified webhook says about a payment. */
export interface PaymentEvent {
  paymentId: string;
  customerId: number;
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
}

/**
 * A payment provider (docs/payments.md): creates checkouts and verifies its webhooks. Adapters live
 * in src/csms/payments/; server.ts picks one from the config, or none.
 */
export interface PaymentProvider {
  /** Short stable name; a payment's ledger reference is `name:paymentId`. */
  readonly name: string;
  createCheckout(req: CheckoutRequest): Promise<Checkout>;
  /**
   * Verifies a webhook delivery (the raw body as received, its headers) and reads the payment.
   * Throws CsmsError CSMS_ERR_WEBHOOK_SIGNATURE or CSMS_ERR_WEBHOOK_STALE when it cannot be
   * trusted, CSMS_ERR_VALIDATION when it is signed but unreadable.
   */
  parseWebhook(rawBody: Buffer | string, headers: Record<string, string | string[] | undefined>): Promise<PaymentEvent>;
}
