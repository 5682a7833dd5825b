/** scenarios/broker-outage.yaml stops the app of a private RabbitMQ node of the run mid-run (never the shared broker). */
import { expect, it } from 'vitest';
import { runScenario } from '../../src/simulator/runner.ts';
import { describeRabbit } from '../helpers/rabbit.ts';
import { shippedScenario } from './shipped.ts';

describeRabbit('broker-outage.yaml', () => {
  it('passes: chargers answered through the outage, no leaks, no unexpected errors', async () => {
    const result = await runScenario(await shippedScenario('broker-outage.yaml'), {});
    expect({ exitCode: result.exitCode, failed: result.thresholds.filter((t) => t.ok !== true).map((t) => t.message) }).toEqual({ exitCode: 0, failed: [] });
  }, 120_000);
});
