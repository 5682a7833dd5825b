import { describe, expect, it } from 'vitest';
import { createOcppValidator, type ValidationResult } from '../../src/ocpp/index.ts';
import {
  aBootNotification, aMeterValues, aMeterValue, aRemoteStartTransaction, aSampledValue, aStartTransaction,
} from '../../src/ocpp/builders.ts';

const validator = createOcppValidator();

function errorOf(result: ValidationResult): { code: string; description: string } {
  if (result.ok) throw new Error(`expected a validation error, got ok with ${result.warnings.length} warnings`);
  return { code: result.error.code, description: result.error.description };
}

describe('createOcppValidator', () => {
  it('accepts what the builders produce, in both directions', () => {
    expect(validator.validate('BootNotification', 'req', aBootNotification())).toEqual({ ok: true, warnings: [] });
    expect(validator.validate('MeterValues', 'req', aMeterValues({ transactionId: 3 })).ok).toBe(true);
    expect(validator.validate('BootNotification', 'conf', {
      status: 'Accepted', currentTime: new Date().toISOString(), interval: 300,
    }).ok).toBe(true);
  });

  it('answers a missing required field with OccurenceConstraintViolation', () => {
    const { chargePointModel: _dropped, ...payload } = aBootNotification();
    expect(errorOf(validator.validate('BootNotification', 'req', payload))).toEqual({
      code: 'OccurenceConstraintViolation', description: '"chargePointModel" is required',
    });
  });

  it('answers a wrong type with TypeConstraintViolation', () => {
    const result = validator.validate('StartTransaction', 'req', { ...aStartTransaction(), connectorId: '1' });
    expect(errorOf(result)).toEqual({ code: 'TypeConstraintViolation', description: '"connectorId" must be of type integer' });
  });

  it('answers an out-of-enum value with PropertyConstraintViolation naming the nested path', () => {
    const payload = aMeterValues({ meterValue: [aMeterValue({ sampledValue: [aSampledValue({ measurand: 'Energy' as never })] })] });
    const { code, description } = errorOf(validator.validate('MeterValues', 'req', payload));
    expect(code).toBe('PropertyConstraintViolation');
    expect(description).toMatch(/^"meterValue\[0\]\.sampledValue\[0\]\.measurand" must be one of Energy\.Active\.Export\.Register, /);
  });

  it('answers an over-long string and a bad date-time with PropertyConstraintViolation', () => {
    expect(errorOf(validator.validate('Authorize', 'req', { idTag: 'x'.repeat(21) }))).toEqual({
      code: 'PropertyConstraintViolation', description: '"idTag" must be at most 20 characters',
    });
    expect(errorOf(validator.validate('StartTransaction', 'req', aStartTransaction({ timestamp: 'yesterday' })))).toEqual({
      code: 'PropertyConstraintViolation', description: '"timestamp" must be a date-time string',
    });
  });

  it('answers an undefined field with PropertyConstraintViolation', () => {
    expect(errorOf(validator.validate('Authorize', 'req', { idTag: 'A', colour: 'red' }))).toEqual({
      code: 'PropertyConstraintViolation', description: '"colour" is not a defined property',
    });
  });

  it('names the field at fault, a missing or undefined one included', () => {
    const field = (result: ValidationResult) => (result.ok ? null : result.field);
    const { chargePointModel: _dropped, ...noModel } = aBootNotification();
    expect(field(validator.validate('BootNotification', 'req', noModel))).toBe('chargePointModel');
    expect(field(validator.validate('Authorize', 'req', { idTag: 'A', colour: 'red' }))).toBe('colour');
    const meter = aMeterValues({ meterValue: [aMeterValue({ sampledValue: [aSampledValue({ measurand: 'Energy' as never })] })] });
    expect(field(validator.validate('MeterValues', 'req', meter))).toBe('meterValue[0].sampledValue[0].measurand');
    expect(field(validator.validate('Heartbeat', 'req', []))).toBe('');
  });

  it('accepts a charging limit of 16.3 against multipleOf 0.1', () => {
    const payload = aRemoteStartTransaction({
      chargingProfile: {
        chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Absolute',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16.3 }] },
      },
    });
    expect(validator.validate('RemoteStartTransaction', 'req', payload).ok).toBe(true);
  });

  it('answers an action outside 1.6 with NotImplemented and tells known actions apart', () => {
    expect(errorOf(validator.validate('NotifyReport', 'req', {})).code).toBe('NotImplemented');
    expect(validator.isKnownAction('FirmwareStatusNotification')).toBe(true);
    expect(validator.isKnownAction('TransactionEvent')).toBe(false);
  });

  describe('lenient mode', () => {
    it('accepts out-of-enum, over-long, malformed and extra values with one warning each', () => {
      const payload = {
        ...aMeterValues({
          meterValue: [aMeterValue({ timestamp: 'now', sampledValue: [aSampledValue({ unit: 'kwh' as never })] })],
        }),
        vendorNote: 'x',
      };
      const result = validator.validate('MeterValues', 'req', payload, { lenient: true });
      expect(result).toEqual({
        ok: true,
        warnings: [
          '"vendorNote" is not a defined property',
          '"meterValue[0].timestamp" must be a date-time string',
          expect.stringMatching(/^"meterValue\[0\]\.sampledValue\[0\]\.unit" must be one of Wh, /),
        ],
      });
      expect(validator.validate('Authorize', 'req', { idTag: 'x'.repeat(30) }, { lenient: true }).ok).toBe(true);
    });

    it('still rejects a missing field or a wrong type, even behind a tolerable violation', () => {
      const noStatus = { connectorId: 1, errorCode: 'Bogus' };
      expect(errorOf(validator.validate('StatusNotification', 'req', noStatus, { lenient: true }))).toEqual({
        code: 'OccurenceConstraintViolation', description: '"status" is required',
      });
      const wrongType = { ...aStartTransaction(), idTag: 'x'.repeat(25), meterStart: 1.5 };
      expect(errorOf(validator.validate('StartTransaction', 'req', wrongType, { lenient: true })).code).toBe('TypeConstraintViolation');
    });
  });
});
