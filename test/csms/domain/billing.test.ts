import { describe, expect, it } from 'vitest';
import { computeCostMinor, energyCostMinor, minimumStartBalance, startedMinutes } from '../../../src/csms/domain/billing.ts';
import { aTariff } from '../builders.ts';

const start = '2024-05-01T10:00:00.000Z';

describe('computeCostMinor', () => {
  it('is free without a tariff', () => {
    expect(computeCostMinor(null, 50_000, start, '2024-05-01T12:00:00.000Z')).toBe(0);
  });

  it('adds session fee, energy and started minutes', () => {
    const tariff = aTariff({ sessionFee: 50, pricePerKwh: 30, pricePerMinute: 2 });
    // 50 + 12.345 kWh × 30 = 370.35 → 370, + 2 × ceil(10.5 min) = 22
    expect(computeCostMinor(tariff, 12_345, start, '2024-05-01T10:10:30.000Z')).toBe(50 + 370 + 22);
  });

  it('charges only the session fee at the very start', () => {
    expect(computeCostMinor(aTariff({ sessionFee: 99, pricePerMinute: 5 }), 0, start, start)).toBe(99);
  });

  it('rounds the energy part half away from zero, once', () => {
    expect(energyCostMinor(50, 30)).toBe(2); // 1.5 → 2
    expect(energyCostMinor(49, 30)).toBe(1); // 1.47 → 1
    expect(energyCostMinor(16_650, 25)).toBe(416); // 416.25
    expect(energyCostMinor(16_660, 25)).toBe(417); // 416.5 → 417
    expect(energyCostMinor(1, 1)).toBe(0);
    // Rounding per sample would give 0 + 0 + 0; rounding the total gives 2.
    expect(energyCostMinor(3 * 17, 30)).toBe(2);
  });

  it('never refunds for a meter that went backwards', () => {
    expect(computeCostMinor(aTariff({ pricePerKwh: 30, sessionFee: 10 }), -5000, start, start)).toBe(10);
  });

  it('counts started minutes', () => {
    expect(startedMinutes(start, start)).toBe(0);
    expect(startedMinutes(start, '2024-05-01T10:00:00.001Z')).toBe(1);
    expect(startedMinutes(start, '2024-05-01T10:01:00.000Z')).toBe(1);
    expect(startedMinutes(start, '2024-05-01T10:01:00.001Z')).toBe(2);
    expect(startedMinutes(start, '2024-05-01T09:59:00.000Z')).toBe(0);
    // Different but equivalent timestamp spellings
    expect(startedMinutes('2024-05-01T12:00:00+02:00', '2024-05-01T10:02:00Z')).toBe(2);
  });

  it('rejects an unparsable timestamp with a CsmsError', () => {
    expect(() => computeCostMinor(aTariff(), 0, 'yesterday', start)).toThrow(expect.objectContaining({ code: 'CSMS_ERR_VALIDATION' }));
  });

  it('returns integers for large sessions', () => {
    const cost = computeCostMinor(aTariff({ pricePerKwh: 39, pricePerMinute: 1, sessionFee: 0 }), 987_654, start, '2024-05-03T10:00:00.000Z');
    expect(Number.isInteger(cost)).toBe(true);
    expect(cost).toBe(38_519 + 2 * 24 * 60);
  });
});

describe('minimumStartBalance', () => {
  it('is the session fee plus the configured floor', () => {
    expect(minimumStartBalance(aTariff({ sessionFee: 75 }), 500)).toBe(575);
    expect(minimumStartBalance(null, 500)).toBe(500);
  });
});
