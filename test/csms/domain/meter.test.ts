import { describe, expect, it } from 'vitest';
import { latestReading, parseMeterValues } from '../../../src/csms/domain/meter.ts';
import { aMeterSample, aMeterValue } from '../builders.ts';

describe('parseMeterValues', () => {
  it('applies the OCPP defaults: Energy.Active.Import.Register in Wh', () => {
    const { samples, warnings } = parseMeterValues([aMeterValue([{ value: '1234.5' }], '2024-05-01T10:05:00Z')]);
    expect(warnings).toEqual([]);
    expect(samples).toEqual([
      // Timestamps in one spelling (UTC, ms), so the store can compare and sort them as strings.
      { timestamp: '2024-05-01T10:05:00.000Z', measurand: 'Energy.Active.Import.Register', value: 1234.5, unit: 'Wh', phase: null, context: null },
    ]);
  });

  it('normalises kWh to Wh and kW to W without float noise', () => {
    const { samples } = parseMeterValues([
      aMeterValue([
        { value: '1.001', unit: 'kWh', context: 'Sample.Periodic' },
        { value: '7.4', unit: 'kW', measurand: 'Power.Active.Import' },
        { value: '16', unit: 'A', measurand: 'Current.Import', phase: 'L1' },
      ]),
    ]);
    expect(samples.map((s) => [s.measurand, s.value, s.unit, s.phase])).toEqual([
      ['Energy.Active.Import.Register', 1001, 'Wh', null],
      ['Power.Active.Import', 7400, 'W', null],
      ['Current.Import', 16, 'A', 'L1'],
    ]);
    expect(samples[0].context).toBe('Sample.Periodic');
  });

  it('skips signed data, non-numbers and bad timestamps with warnings', () => {
    const { samples, warnings } = parseMeterValues([
      aMeterValue([
        { value: 'abcdef==', format: 'SignedData' },
        { value: 'n/a' },
        { value: '' },
        { value: '0x1F' },
        { value: '42' },
      ]),
      aMeterValue([{ value: '1' }], 'not a time'),
      { sampledValue: 'oops' } as unknown,
      null,
    ]);
    expect(samples.map((s) => s.value)).toEqual([42]);
    expect(warnings).toHaveLength(7);
    expect(warnings[0]).toMatch(/SignedData/);
    expect(warnings[1]).toMatch(/sampledValue\[1\].*not a number/);
  });

  it('tolerates missing input', () => {
    expect(parseMeterValues(undefined)).toEqual({ samples: [], warnings: [] });
    expect(parseMeterValues([aMeterValue([])])).toEqual({ samples: [], warnings: [] });
  });

  it('does not treat inherited property names as units', () => {
    const { samples } = parseMeterValues([aMeterValue([{ value: '5', unit: 'toString' }])]);
    expect(samples[0]).toMatchObject({ value: 5, unit: 'toString' });
  });
});

describe('latestReading', () => {
  const E = 'Energy.Active.Import.Register';
  const P = 'Power.Active.Import';
  const t1 = '2024-05-01T10:01:00Z';
  const t2 = '2024-05-01T10:02:00Z';

  it('takes the newest energy total and power, and the newest timestamp', () => {
    const reading = latestReading([
      aMeterSample({ timestamp: t2, measurand: E, value: 2500 }),
      aMeterSample({ timestamp: t1, measurand: E, value: 2000 }),
      aMeterSample({ timestamp: t1, measurand: P, value: 7000, unit: 'W' }),
      aMeterSample({ timestamp: t2, measurand: 'SoC', value: 55, unit: 'Percent' }),
    ]);
    expect(reading).toEqual({ energyWh: 2500, powerW: 7000, at: t2 });
  });

  it('sums per-phase power when no total is given', () => {
    const perPhase = ['L1', 'L2', 'L3'].map((phase, i) => aMeterSample({ timestamp: t1, measurand: P, unit: 'W', value: 3600 + i, phase }));
    expect(latestReading(perPhase).powerW).toBe(3600 + 3601 + 3602);
    const toNeutral = ['L1-N', 'L2-N'].map((phase) => aMeterSample({ timestamp: t1, measurand: P, unit: 'W', value: 100, phase }));
    expect(latestReading(toNeutral).powerW).toBe(200);
  });

  it('prefers the phase-less energy total over per-phase registers', () => {
    const reading = latestReading([
      aMeterSample({ timestamp: t1, value: 1000, phase: 'L1' }),
      aMeterSample({ timestamp: t1, value: 1000, phase: 'L2' }),
      aMeterSample({ timestamp: t1, value: 3100, phase: null }),
    ]);
    expect(reading.energyWh).toBe(3100);
    const phasesOnly = latestReading([
      aMeterSample({ timestamp: t1, value: 1000, phase: 'L1' }),
      aMeterSample({ timestamp: t1, value: 1100, phase: 'L2' }),
      aMeterSample({ timestamp: t1, value: 1200, phase: 'L3' }),
      aMeterSample({ timestamp: t1, value: 5, phase: 'N' }),
    ]);
    expect(phasesOnly.energyWh).toBe(3300);
  });

  it('works end to end from a kWh / kW MeterValues payload', () => {
    const { samples } = parseMeterValues([
      aMeterValue([
        { value: '12.5', unit: 'kWh' },
        ...['L1', 'L2', 'L3'].map((phase) => ({ value: '3.7', unit: 'kW', measurand: P, phase })),
      ]),
    ]);
    expect(latestReading(samples)).toEqual({ energyWh: 12_500, powerW: 11_100, at: '2024-05-01T10:05:00.000Z' });
  });

  it('is all null without samples', () => {
    expect(latestReading([])).toEqual({ energyWh: null, powerW: null, at: null });
  });
});
