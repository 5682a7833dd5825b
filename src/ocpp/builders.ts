import type {
  AuthorizeRequest, BootNotificationRequest, DataTransferRequest, MeterValue, MeterValuesRequest,
  RemoteStartTransactionRequest, SampledValue, StartTransactionRequest, StatusNotificationRequest,
  StopTransactionRequest,
} from './messages.ts';

// Valid 1.6 requests with plausible defaults; pass overrides for what a test or scenario cares about.

const now = (): string => new Date().toISOString();

/** A BootNotification.req from a fictitious but schema-valid charger. */
export function aBootNotification(overrides: Partial<BootNotificationRequest> = {}): BootNotificationRequest {
  return { chargePointVendor: 'EvSim', chargePointModel: 'Sim-22', firmwareVersion: '1.0.0', ...overrides };
}

/** An Authorize.req. */
export function anAuthorize(overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return { idTag: 'TAG-0001', ...overrides };
}

/** A StartTransaction.req on connector 1 at 0 Wh, now. */
export function aStartTransaction(overrides: Partial<StartTransactionRequest> = {}): StartTransactionRequest {
  return { connectorId: 1, idTag: 'TAG-0001', meterStart: 0, timestamp: now(), ...overrides };
}

/** A StopTransaction.req for `transactionId`. */
export function aStopTransaction(overrides: Partial<StopTransactionRequest> = {}): StopTransactionRequest {
  return { transactionId: 1, meterStop: 1_000, timestamp: now(), reason: 'Local', ...overrides };
}

/** A StatusNotification.req saying connector 1 is Available. */
export function aStatusNotification(overrides: Partial<StatusNotificationRequest> = {}): StatusNotificationRequest {
  return { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: now(), ...overrides };
}

/** A periodic energy register reading in Wh; `value` is a string on the wire (E2 §7.43). */
export function aSampledValue(overrides: Partial<SampledValue> = {}): SampledValue {
  return {
    value: '0',
    context: 'Sample.Periodic',
    measurand: 'Energy.Active.Import.Register',
    location: 'Outlet',
    unit: 'Wh',
    ...overrides,
  };
}

/** One timestamped set of samples. */
export function aMeterValue(overrides: Partial<MeterValue> = {}): MeterValue {
  return { timestamp: now(), sampledValue: [aSampledValue()], ...overrides };
}

/** A MeterValues.req for connector 1 with one energy reading. */
export function aMeterValues(overrides: Partial<MeterValuesRequest> = {}): MeterValuesRequest {
  return { connectorId: 1, meterValue: [aMeterValue()], ...overrides };
}

/** A DataTransfer.req. */
export function aDataTransfer(overrides: Partial<DataTransferRequest> = {}): DataTransferRequest {
  return { vendorId: 'com.example', messageId: 'Ping', data: '{}', ...overrides };
}

/** A RemoteStartTransaction.req on connector 1. */
export function aRemoteStartTransaction(
  overrides: Partial<RemoteStartTransactionRequest> = {},
): RemoteStartTransactionRequest {
  return { idTag: 'TAG-0001', connectorId: 1, ...overrides };
}
