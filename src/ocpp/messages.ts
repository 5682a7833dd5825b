// Typed payloads of OCPP 1.6: the Core profile (E2 §4, §5) and the Firmware Management, Local Auth
// List Management, Reservation, Smart Charging and Remote Trigger profiles. They mirror the
// OCA JSON schemas that validator.ts checks at runtime; `*` fields there are non-optional here.

/** E2 §7.13: an ISO 8601 date-time string, e.g. `2024-05-01T12:00:00.000Z`. */
export type DateTime = string;

export type RegistrationStatus = 'Accepted' | 'Pending' | 'Rejected';
export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';
export type ChargePointStatus =
  | 'Available' | 'Preparing' | 'Charging' | 'SuspendedEVSE' | 'SuspendedEV'
  | 'Finishing' | 'Reserved' | 'Unavailable' | 'Faulted';
export type ChargePointErrorCode =
  | 'ConnectorLockFailure' | 'EVCommunicationError' | 'GroundFailure' | 'HighTemperature'
  | 'InternalError' | 'LocalListConflict' | 'NoError' | 'OtherError' | 'OverCurrentFailure'
  | 'PowerMeterFailure' | 'PowerSwitchFailure' | 'ReaderFailure' | 'ResetFailure'
  | 'UnderVoltage' | 'OverVoltage' | 'WeakSignal';
export type StopReason =
  | 'EmergencyStop' | 'EVDisconnected' | 'HardReset' | 'Local' | 'Other' | 'PowerLoss'
  | 'Reboot' | 'Remote' | 'SoftReset' | 'UnlockCommand' | 'DeAuthorized';
export type ReadingContext =
  | 'Interruption.Begin' | 'Interruption.End' | 'Sample.Clock' | 'Sample.Periodic'
  | 'Transaction.Begin' | 'Transaction.End' | 'Trigger' | 'Other';
export type ValueFormat = 'Raw' | 'SignedData';
export type Measurand =
  | 'Energy.Active.Export.Register' | 'Energy.Active.Import.Register'
  | 'Energy.Reactive.Export.Register' | 'Energy.Reactive.Import.Register'
  | 'Energy.Active.Export.Interval' | 'Energy.Active.Import.Interval'
  | 'Energy.Reactive.Export.Interval' | 'Energy.Reactive.Import.Interval'
  | 'Power.Active.Export' | 'Power.Active.Import' | 'Power.Offered'
  | 'Power.Reactive.Export' | 'Power.Reactive.Import' | 'Power.Factor'
  | 'Current.Import' | 'Current.Export' | 'Current.Offered'
  | 'Voltage' | 'Frequency' | 'Temperature' | 'SoC' | 'RPM';
export type Phase = 'L1' | 'L2' | 'L3' | 'N' | 'L1-N' | 'L2-N' | 'L3-N' | 'L1-L2' | 'L2-L3' | 'L3-L1';
export type Location = 'Cable' | 'EV' | 'Inlet' | 'Outlet' | 'Body';
/** Both `Celcius` (1.6 original) and `Celsius` (errata) are valid. */
export type UnitOfMeasure =
  | 'Wh' | 'kWh' | 'varh' | 'kvarh' | 'W' | 'kW' | 'VA' | 'kVA' | 'var' | 'kvar'
  | 'A' | 'V' | 'K' | 'Celcius' | 'Celsius' | 'Fahrenheit' | 'Percent';
export type DataTransferStatus = 'Accepted' | 'Rejected' | 'UnknownMessageId' | 'UnknownVendorId';
export type RemoteStartStopStatus = 'Accepted' | 'Rejected';
export type ConfigurationStatus = 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';
export type ResetType = 'Hard' | 'Soft';
export type ResetStatus = 'Accepted' | 'Rejected';
export type UnlockStatus = 'Unlocked' | 'UnlockFailed' | 'NotSupported';
export type AvailabilityType = 'Inoperative' | 'Operative';
export type AvailabilityStatus = 'Accepted' | 'Rejected' | 'Scheduled';
export type ClearCacheStatus = 'Accepted' | 'Rejected';
export type MessageTrigger =
  | 'BootNotification' | 'DiagnosticsStatusNotification' | 'FirmwareStatusNotification'
  | 'Heartbeat' | 'MeterValues' | 'StatusNotification';
export type TriggerMessageStatus = 'Accepted' | 'Rejected' | 'NotImplemented';
export type ChargingProfilePurpose = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
export type ChargingProfileKind = 'Absolute' | 'Recurring' | 'Relative';
export type ChargingRateUnit = 'A' | 'W';

export interface IdTagInfo {
  status: AuthorizationStatus;
  expiryDate?: DateTime;
  parentIdTag?: string;
}

export interface SampledValue {
  /** Always a string on the wire, even for numbers (E2 §7.43). */
  value: string;
  context?: ReadingContext;
  format?: ValueFormat;
  measurand?: Measurand;
  phase?: Phase;
  location?: Location;
  unit?: UnitOfMeasure;
}

export interface MeterValue {
  timestamp: DateTime;
  sampledValue: SampledValue[];
}

export interface ChargingSchedulePeriod {
  startPeriod: number;
  /** Multiple of 0.1 (schema `multipleOf`). */
  limit: number;
  numberPhases?: number;
}

export interface ChargingSchedule {
  duration?: number;
  startSchedule?: DateTime;
  chargingRateUnit: ChargingRateUnit;
  chargingSchedulePeriod: ChargingSchedulePeriod[];
  minChargingRate?: number;
}

export interface ChargingProfile {
  chargingProfileId: number;
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfilePurpose;
  chargingProfileKind: ChargingProfileKind;
  recurrencyKind?: 'Daily' | 'Weekly';
  validFrom?: DateTime;
  validTo?: DateTime;
  chargingSchedule: ChargingSchedule;
}

export interface KeyValue {
  key: string;
  readonly: boolean;
  value?: string;
}

export type EmptyPayload = Record<string, never>;

export interface BootNotificationRequest {
  chargePointVendor: string;
  chargePointModel: string;
  chargePointSerialNumber?: string;
  chargeBoxSerialNumber?: string;
  firmwareVersion?: string;
  iccid?: string;
  imsi?: string;
  meterType?: string;
  meterSerialNumber?: string;
}
export interface BootNotificationResponse {
  status: RegistrationStatus;
  currentTime: DateTime;
  /** Heartbeat interval in seconds (or retry delay while Pending/Rejected). */
  interval: number;
}

export type HeartbeatRequest = EmptyPayload;
export interface HeartbeatResponse { currentTime: DateTime }

export interface AuthorizeRequest { idTag: string }
export interface AuthorizeResponse { idTagInfo: IdTagInfo }

export interface StartTransactionRequest {
  connectorId: number;
  idTag: string;
  /** Wh, integer. */
  meterStart: number;
  timestamp: DateTime;
  reservationId?: number;
}
export interface StartTransactionResponse { transactionId: number; idTagInfo: IdTagInfo }

export interface StopTransactionRequest {
  transactionId: number;
  /** Wh, integer. */
  meterStop: number;
  timestamp: DateTime;
  idTag?: string;
  reason?: StopReason;
  transactionData?: MeterValue[];
}
export interface StopTransactionResponse { idTagInfo?: IdTagInfo }

export interface StatusNotificationRequest {
  connectorId: number;
  errorCode: ChargePointErrorCode;
  status: ChargePointStatus;
  info?: string;
  timestamp?: DateTime;
  vendorId?: string;
  vendorErrorCode?: string;
}
export type StatusNotificationResponse = EmptyPayload;

export interface MeterValuesRequest {
  connectorId: number;
  transactionId?: number;
  meterValue: MeterValue[];
}
export type MeterValuesResponse = EmptyPayload;

export interface DataTransferRequest { vendorId: string; messageId?: string; data?: string }
export interface DataTransferResponse { status: DataTransferStatus; data?: string }

export interface RemoteStartTransactionRequest {
  idTag: string;
  connectorId?: number;
  chargingProfile?: ChargingProfile;
}
export interface RemoteStartTransactionResponse { status: RemoteStartStopStatus }

export interface RemoteStopTransactionRequest { transactionId: number }
export interface RemoteStopTransactionResponse { status: RemoteStartStopStatus }

export interface ChangeConfigurationRequest { key: string; value: string }
export interface ChangeConfigurationResponse { status: ConfigurationStatus }

export interface GetConfigurationRequest { key?: string[] }
export interface GetConfigurationResponse { configurationKey?: KeyValue[]; unknownKey?: string[] }

export interface ResetRequest { type: ResetType }
export interface ResetResponse { status: ResetStatus }

export interface UnlockConnectorRequest { connectorId: number }
export interface UnlockConnectorResponse { status: UnlockStatus }

export interface ChangeAvailabilityRequest { connectorId: number; type: AvailabilityType }
export interface ChangeAvailabilityResponse { status: AvailabilityStatus }

export type ClearCacheRequest = EmptyPayload;
export interface ClearCacheResponse { status: ClearCacheStatus }

// Firmware Management profile (E2 §6.16, §6.17): chargers send these after TriggerMessage too.
export type DiagnosticsStatus = 'Idle' | 'Uploaded' | 'UploadFailed' | 'Uploading';
export type FirmwareStatus =
  | 'Downloaded' | 'DownloadFailed' | 'Downloading' | 'Idle' | 'InstallationFailed' | 'Installing' | 'Installed';
export interface DiagnosticsStatusNotificationRequest { status: DiagnosticsStatus }
export type DiagnosticsStatusNotificationResponse = EmptyPayload;
export interface FirmwareStatusNotificationRequest { status: FirmwareStatus }
export type FirmwareStatusNotificationResponse = EmptyPayload;

// Firmware Management profile (E2 §5.9, §5.19): the charger downloads from / uploads to `location`.
export interface UpdateFirmwareRequest { location: string; retrieveDate: DateTime; retries?: number; retryInterval?: number }
export type UpdateFirmwareResponse = EmptyPayload;
export interface GetDiagnosticsRequest { location: string; retries?: number; retryInterval?: number; startTime?: DateTime; stopTime?: DateTime }
/** No `fileName`: the charger has no diagnostics to upload. */
export interface GetDiagnosticsResponse { fileName?: string }

// Local Auth List Management profile (E2 §5.10, §5.15).
export type UpdateType = 'Differential' | 'Full';
export type UpdateStatus = 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch';
/** One entry of a local list; without `idTagInfo` (Differential only) the idTag is removed. */
export interface AuthorizationData { idTag: string; idTagInfo?: IdTagInfo }
export interface SendLocalListRequest { listVersion: number; localAuthorizationList?: AuthorizationData[]; updateType: UpdateType }
export interface SendLocalListResponse { status: UpdateStatus }
export type GetLocalListVersionRequest = EmptyPayload;
/** -1: the charger has no local list support; 0: no list installed. */
export interface GetLocalListVersionResponse { listVersion: number }

// Reservation profile (E2 §5.1, §5.13).
export type ReservationStatus = 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';
export type CancelReservationStatus = 'Accepted' | 'Rejected';
export interface ReserveNowRequest { connectorId: number; expiryDate: DateTime; idTag: string; parentIdTag?: string; reservationId: number }
export interface ReserveNowResponse { status: ReservationStatus }
export interface CancelReservationRequest { reservationId: number }
export interface CancelReservationResponse { status: CancelReservationStatus }

// Smart Charging profile (E2 §3.13, §5.5, §5.7, §5.16).
export type ChargingProfileStatus = 'Accepted' | 'Rejected' | 'NotSupported';
export type ClearChargingProfileStatus = 'Accepted' | 'Unknown';
export type GetCompositeScheduleStatus = 'Accepted' | 'Rejected';
export interface SetChargingProfileRequest { connectorId: number; csChargingProfiles: ChargingProfile }
export interface SetChargingProfileResponse { status: ChargingProfileStatus }
export interface ClearChargingProfileRequest { id?: number; connectorId?: number; chargingProfilePurpose?: ChargingProfilePurpose; stackLevel?: number }
export interface ClearChargingProfileResponse { status: ClearChargingProfileStatus }
export interface GetCompositeScheduleRequest { connectorId: number; duration: number; chargingRateUnit?: ChargingRateUnit }
export interface GetCompositeScheduleResponse { status: GetCompositeScheduleStatus; connectorId?: number; scheduleStart?: DateTime; chargingSchedule?: ChargingSchedule }

export interface TriggerMessageRequest { requestedMessage: MessageTrigger; connectorId?: number }
export interface TriggerMessageResponse { status: TriggerMessageStatus }

/** A request/response pair; `conf` is the 1.6 name for a response. */
export interface Exchange<Req extends object, Conf extends object> { req: Req; conf: Conf }

/** Map of action name to request/response types for one direction. */
export type ActionMap = { [action: string]: Exchange<object, object> };

/** Actions a charge point sends to the CSMS. */
// Type aliases, not interfaces: only type literals satisfy the `ActionMap` index signature.
export type ChargePointToCsms = {
  BootNotification: Exchange<BootNotificationRequest, BootNotificationResponse>;
  Heartbeat: Exchange<HeartbeatRequest, HeartbeatResponse>;
  Authorize: Exchange<AuthorizeRequest, AuthorizeResponse>;
  StartTransaction: Exchange<StartTransactionRequest, StartTransactionResponse>;
  StopTransaction: Exchange<StopTransactionRequest, StopTransactionResponse>;
  StatusNotification: Exchange<StatusNotificationRequest, StatusNotificationResponse>;
  MeterValues: Exchange<MeterValuesRequest, MeterValuesResponse>;
  DataTransfer: Exchange<DataTransferRequest, DataTransferResponse>;
  DiagnosticsStatusNotification: Exchange<DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse>;
  FirmwareStatusNotification: Exchange<FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse>;
};

/** Actions the CSMS sends to a charge point. */
export type CsmsToChargePoint = {
  RemoteStartTransaction: Exchange<RemoteStartTransactionRequest, RemoteStartTransactionResponse>;
  RemoteStopTransaction: Exchange<RemoteStopTransactionRequest, RemoteStopTransactionResponse>;
  ChangeConfiguration: Exchange<ChangeConfigurationRequest, ChangeConfigurationResponse>;
  GetConfiguration: Exchange<GetConfigurationRequest, GetConfigurationResponse>;
  Reset: Exchange<ResetRequest, ResetResponse>;
  UnlockConnector: Exchange<UnlockConnectorRequest, UnlockConnectorResponse>;
  ChangeAvailability: Exchange<ChangeAvailabilityRequest, ChangeAvailabilityResponse>;
  ClearCache: Exchange<ClearCacheRequest, ClearCacheResponse>;
  DataTransfer: Exchange<DataTransferRequest, DataTransferResponse>;
  TriggerMessage: Exchange<TriggerMessageRequest, TriggerMessageResponse>;
  UpdateFirmware: Exchange<UpdateFirmwareRequest, UpdateFirmwareResponse>;
  GetDiagnostics: Exchange<GetDiagnosticsRequest, GetDiagnosticsResponse>;
  SendLocalList: Exchange<SendLocalListRequest, SendLocalListResponse>;
  GetLocalListVersion: Exchange<GetLocalListVersionRequest, GetLocalListVersionResponse>;
  ReserveNow: Exchange<ReserveNowRequest, ReserveNowResponse>;
  CancelReservation: Exchange<CancelReservationRequest, CancelReservationResponse>;
  SetChargingProfile: Exchange<SetChargingProfileRequest, SetChargingProfileResponse>;
  ClearChargingProfile: Exchange<ClearChargingProfileRequest, ClearChargingProfileResponse>;
  GetCompositeSchedule: Exchange<GetCompositeScheduleRequest, GetCompositeScheduleResponse>;
};

/**
 * One CALL of a direction with its answer, a union discriminated by `action`: comparing the action
 * types the request and the response.
 */
export type CallWithAnswer<M extends ActionMap> = {
  [A in keyof M & string]: { action: A; request: M[A]['req']; response: M[A]['conf'] };
}[keyof M & string];

/** Every typed action, either direction. */
export type AnyAction = keyof ChargePointToCsms | keyof CsmsToChargePoint;
