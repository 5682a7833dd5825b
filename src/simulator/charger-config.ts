/**
 * A simulated charger's configuration keys (E2 §9.1, Core profile), as GetConfiguration reports them
 * and ChangeConfiguration changes them. Values are strings on the wire (E2 §7.22); the few the
 * charger acts on are also kept parsed. Defaults are shared per template: a charger stores only the
 * keys that were changed, so a fleet of thousands costs one map per template, not one per charger.
 */
import { OcppError, type ConfigurationStatus, type GetConfigurationResponse, type KeyValue } from '../ocpp/index.ts';
import type { ChargerTemplate } from './scenario/schema.ts';

/** The measurands the simulated meter can sample (MeterValuesSampledData may list these only). */
export const SAMPLED_MEASURANDS = ['Energy.Active.Import.Register', 'Power.Active.Import', 'Current.Import', 'Voltage', 'SoC'] as const;
export type SampledMeasurand = (typeof SAMPLED_MEASURANDS)[number];

type Kind = 'bool' | 'seconds' | 'positiveSeconds' | 'positiveInt' | 'int' | 'percent' | 'measurands' | 'rateUnits' | 'text';

interface KeySpec {
  readonly: boolean;
  kind: Kind;
  /** A change is answered RebootRequired and takes effect at the next boot (E2 §5.3). */
  reboot?: boolean;
  /** The default a real charger ships with; templates may override any read-write key. */
  value: (tpl: ChargerTemplate) => string;
  /** A read-only key a template may still set: how the simulated charger is built (its Smart Charging caps). */
  template?: boolean;
}

const seconds = (ms: number): string => String(ms / 1000);
/** How many items a measurand list may hold: each measurand the meter samples once. */
const MEASURANDS_MAX = String(SAMPLED_MEASURANDS.length);
const fixed = (v: string) => () => v;

/**
 * E2 §9.1 Core keys with their accessibility. TransactionMessageAttempts 3 and
 * TransactionMessageRetryInterval 60 s: common factory settings; with E2 §4.8's back-off (the
 * interval times the attempt number) a CSMS that fails to process a message gets 60 + 120 s to
 * recover before the message is given up. Scenarios shorten them for short runs.
 */
const KEYS: Record<string, KeySpec> = {
  AllowOfflineTxForUnknownId: { readonly: false, kind: 'bool', value: fixed('false') },
  AuthorizationCacheEnabled: { readonly: false, kind: 'bool', value: fixed('false') },
  AuthorizeRemoteTxRequests: { readonly: false, kind: 'bool', value: fixed('false') },
  BlinkRepeat: { readonly: false, kind: 'int', value: fixed('3') },
  ClockAlignedDataInterval: { readonly: false, kind: 'seconds', value: fixed('0') },
  ConnectionTimeOut: { readonly: false, kind: 'positiveSeconds', value: fixed('60') },
  // The phase wiring is read by the power electronics at start-up.
  ConnectorPhaseRotation: { readonly: false, kind: 'text', reboot: true, value: (tpl) => Array.from({ length: tpl.connectors + 1 }, (_, i) => `${i}.RST`).join(',') },
  ConnectorPhaseRotationMaxLength: { readonly: true, kind: 'positiveInt', value: (tpl) => String(tpl.connectors + 1) },
  GetConfigurationMaxKeys: { readonly: true, kind: 'positiveInt', value: fixed('50'), template: true },
  HeartbeatInterval: { readonly: false, kind: 'positiveSeconds', value: (tpl) => seconds(tpl.heartbeatInterval) },
  LightIntensity: { readonly: false, kind: 'percent', value: fixed('50') },
  LocalAuthListEnabled: { readonly: false, kind: 'bool', value: fixed('true') },
  LocalAuthListMaxLength: { readonly: true, kind: 'positiveInt', value: fixed('10000'), template: true },
  LocalAuthorizeOffline: { readonly: false, kind: 'bool', value: fixed('true') },
  LocalPreAuthorize: { readonly: false, kind: 'bool', value: fixed('false') },
  MaxEnergyOnInvalidId: { readonly: false, kind: 'int', value: fixed('0') },
  MeterValuesAlignedData: { readonly: false, kind: 'measurands', value: fixed('') },
  MeterValuesAlignedDataMaxLength: { readonly: true, kind: 'positiveInt', value: fixed(MEASURANDS_MAX) },
  MeterValuesSampledData: { readonly: false, kind: 'measurands', value: (tpl) => tpl.meterValues.measurands.join(',') },
  MeterValuesSampledDataMaxLength: { readonly: true, kind: 'positiveInt', value: fixed(MEASURANDS_MAX) },
  MeterValueSampleInterval: { readonly: false, kind: 'seconds', value: (tpl) => seconds(tpl.meterValues.interval) },
  MinimumStatusDuration: { readonly: false, kind: 'seconds', value: fixed('0') },
  NumberOfConnectors: { readonly: true, kind: 'positiveInt', value: (tpl) => String(tpl.connectors) },
  // Read-only on a real charger (a property of its model); writable here so a scenario's template can choose it.
  ReserveConnectorZeroSupported: { readonly: false, kind: 'bool', value: fixed('false') },
  ResetRetries: { readonly: false, kind: 'positiveInt', value: fixed('3') },
  SendLocalListMaxLength: { readonly: true, kind: 'positiveInt', value: fixed('1000'), template: true },
  StopTransactionOnEVSideDisconnect: { readonly: false, kind: 'bool', value: fixed('true') },
  StopTransactionOnInvalidId: { readonly: false, kind: 'bool', value: fixed('true') },
  StopTxnAlignedData: { readonly: false, kind: 'measurands', value: fixed('') },
  StopTxnAlignedDataMaxLength: { readonly: true, kind: 'positiveInt', value: fixed(MEASURANDS_MAX) },
  StopTxnSampledData: { readonly: false, kind: 'measurands', value: fixed('') },
  StopTxnSampledDataMaxLength: { readonly: true, kind: 'positiveInt', value: fixed(MEASURANDS_MAX) },
  SupportedFeatureProfiles: { readonly: true, kind: 'text', value: fixed('Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger') },
  SupportedFeatureProfilesMaxLength: { readonly: true, kind: 'positiveInt', value: fixed('6') },
  TransactionMessageAttempts: { readonly: false, kind: 'positiveInt', value: fixed('3') },
  TransactionMessageRetryInterval: { readonly: false, kind: 'seconds', value: fixed('60') },
  UnlockConnectorOnEVSideDisconnect: { readonly: false, kind: 'bool', value: fixed('true') },
  // The socket's keep-alive is set up when the connection opens.
  WebSocketPingInterval: { readonly: false, kind: 'seconds', reboot: true, value: fixed('0') },
  // E2 §9.4 Smart Charging profile: what SetChargingProfile may ask of this charger.
  ChargeProfileMaxStackLevel: { readonly: true, kind: 'positiveInt', value: fixed('8'), template: true },
  ChargingScheduleAllowedChargingRateUnit: { readonly: true, kind: 'rateUnits', value: fixed('Current,Power'), template: true },
  ChargingScheduleMaxPeriods: { readonly: true, kind: 'positiveInt', value: fixed('24'), template: true },
  ConnectorSwitch3to1PhaseSupported: { readonly: true, kind: 'bool', value: fixed('false'), template: true },
  MaxChargingProfilesInstalled: { readonly: true, kind: 'positiveInt', value: fixed('16'), template: true },
};

/** The Core keys a simulated charger knows. */
export const CONFIGURATION_KEYS: readonly string[] = Object.keys(KEYS);

/** Why `value` cannot be set for `key` (unknown, read-only or malformed) by the CSMS or by a charger template, or null when it can. */
export function configurationError(key: string, value: string, by: 'csms' | 'template' = 'csms'): string | null {
  const spec = KEYS[key];
  if (!spec) return `unknown configuration key ${key}; known: ${CONFIGURATION_KEYS.join(', ')}`;
  if (spec.readonly && !(by === 'template' && spec.template)) return `${key} is read-only`;
  return valueError(spec.kind, value);
}

function valueError(kind: Kind, value: string): string | null {
  switch (kind) {
    case 'bool': return value === 'true' || value === 'false' ? null : 'true or false';
    // Seconds may have decimals here (a simulator's short runs); a real charger takes integers.
    case 'seconds': return /^\d+(\.\d+)?$/.test(value) ? null : 'a number of seconds ≥ 0';
    case 'positiveSeconds': return /^\d+(\.\d+)?$/.test(value) && Number(value) > 0 ? null : 'a number of seconds > 0';
    case 'positiveInt': return /^\d+$/.test(value) && Number(value) > 0 ? null : 'an integer ≥ 1';
    case 'int': return /^\d+$/.test(value) ? null : 'an integer ≥ 0';
    case 'percent': return /^\d+$/.test(value) && Number(value) <= 100 ? null : 'a percentage, 0 to 100';
    case 'measurands': {
      const items = value.split(',').map((s) => s.trim()).filter((m) => m !== '');
      const bad = items.filter((m) => !(SAMPLED_MEASURANDS as readonly string[]).includes(m));
      if (bad.length > 0) return `measurands this charger cannot sample: ${bad.join(', ')} (it samples ${SAMPLED_MEASURANDS.join(', ')})`;
      // E2 §9.1: the *MaxLength keys bound these lists.
      return items.length <= SAMPLED_MEASURANDS.length ? null : `at most ${MEASURANDS_MAX} measurands`;
    }
    case 'rateUnits': {
      const units = value.split(',').map((s) => s.trim());
      return units.length > 0 && units.every((u) => u === 'Current' || u === 'Power') ? null : 'Current, Power or Current,Power';
    }
    case 'text': return value.length <= 500 ? null : 'at most 500 characters';
  }
}

const defaultsByTemplate = new WeakMap<ChargerTemplate, Map<string, string>>();

function defaultsOf(tpl: ChargerTemplate): Map<string, string> {
  let d = defaultsByTemplate.get(tpl);
  if (!d) {
    d = new Map(Object.entries(KEYS).map(([k, spec]) => [k, spec.value(tpl)]));
    for (const [k, v] of Object.entries(tpl.configuration)) d.set(k, v);
    defaultsByTemplate.set(tpl, d);
  }
  return d;
}

/** One charger's keys, with the values it acts on parsed. */
export class ChargerConfig {
  heartbeatMs = 0;
  /** 0: no sampled meter values (E2 §9.1.18). */
  meterMs = 0;
  measurands: SampledMeasurand[] = [];
  attempts = 0;
  retryIntervalMs = 0;
  private changed: Map<string, string> | null = null;
  /** Accepted with RebootRequired: applied at the next boot. */
  private pending: Map<string, string> | null = null;

  constructor(private readonly tpl: ChargerTemplate) {
    this.parse();
  }

  value(key: string): string | undefined {
    return this.changed?.get(key) ?? defaultsOf(this.tpl).get(key);
  }

  /**
   * GetConfiguration (E2 §5.8): every key when `keys` is absent or empty, else those asked for. More
   * keys than GetConfigurationMaxKeys is a CALLERROR OccurenceConstraintViolation (the `key` field
   * occurs too often); all of them, asked with no `key`, always come.
   */
  get(keys?: string[]): GetConfigurationResponse {
    const max = Number(this.value('GetConfigurationMaxKeys'));
    if (keys && keys.length > max) throw new OcppError('OccurenceConstraintViolation', `at most ${max} keys (GetConfigurationMaxKeys)`);
    const asked = keys && keys.length > 0 ? keys : CONFIGURATION_KEYS;
    const configurationKey: KeyValue[] = [];
    const unknownKey: string[] = [];
    for (const key of asked) {
      const value = this.value(key);
      if (value === undefined) unknownKey.push(key);
      else configurationKey.push({ key, readonly: KEYS[key].readonly, value });
    }
    return unknownKey.length > 0 ? { configurationKey, unknownKey } : { configurationKey };
  }

  /** ChangeConfiguration (E2 §5.3): NotSupported for an unknown key, Rejected for a read-only key or a bad value. */
  change(key: string, value: string): ConfigurationStatus {
    const spec = KEYS[key];
    if (!spec) return 'NotSupported';
    if (configurationError(key, value) !== null) return 'Rejected';
    if (spec.reboot) {
      (this.pending ??= new Map()).set(key, value);
      return 'RebootRequired';
    }
    (this.changed ??= new Map()).set(key, value);
    this.parse();
    return 'Accepted';
  }

  /** The charger boots: the changes that waited for a reboot take effect. */
  applyPending(): void {
    if (!this.pending) return;
    for (const [k, v] of this.pending) (this.changed ??= new Map()).set(k, v);
    this.pending = null;
    this.parse();
  }

  /** A boolean key's value. */
  flag(key: string): boolean {
    return this.value(key) === 'true';
  }

  private parse(): void {
    this.heartbeatMs = Number(this.value('HeartbeatInterval')) * 1000;
    this.meterMs = Number(this.value('MeterValueSampleInterval')) * 1000;
    this.measurands = this.value('MeterValuesSampledData')!.split(',').map((s) => s.trim()).filter((s) => s !== '') as SampledMeasurand[];
    this.attempts = Number(this.value('TransactionMessageAttempts'));
    this.retryIntervalMs = Number(this.value('TransactionMessageRetryInterval')) * 1000;
  }
}
