/** scenarios/broker-outage.yaml stops the app of a private RabbitMQ node of the run mid-run (never the shared broker). */
import { expect, it } from 'vitest';
import { loadScenario } from '../../src/simulator/scenario/loader.ts';
import { runScenario } from '../../src/simulator/runner.ts';
import { describeRabbit } from '../helpers/rabbit.ts';

describeRabbit('broker-outage.yaml', () => {
  it('passes: chargers answered through the outage, no leaks, no unexpected errors', async () => {
    const loaded = await loadScenario(new URL('../../scenarios/broker-outage.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const result = await runScenario(loaded.scenario, {});
    expect({ exitCode: result.exitCode, failed: result.thresholds.filter((t) => t.ok !== true).map((t) => t.message) }).toEqual({ exitCode: 0, failed: [] });
  }, 120_000);
});
