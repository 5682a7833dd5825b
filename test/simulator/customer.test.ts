/**
 * A simulated customer against a real embedded CSMS: what it counts as an error when the run ends
 * around a request of its own.
 */
import { expect, it } from 'vitest';
import { SimCustomer } from '../../src/simulator/customer.ts';
import { startCsms } from '../helpers/csms.ts';
import { aScenario } from './helpers.ts';
import { aSimContext } from './sim-harness.ts';

it('a poll that fails because the run ended (the customer closed, then the CSMS) is not an error', async () => {
  const t = await startCsms();
  let closing: Promise<void> | null = null;
  try {
    const reg = await (await t.api('/api/user/register', { body: { email: 'poll@test.local', password: 'password-123', name: 'Poll' } })).json() as { token: string; user: { id: number; idTag: string } };
    const ctx = aSimContext(t.info.ocppUrl, t.info.httpUrl);
    const cfg = aScenario('name: c\nduration: 1s\nchargers: [{ idPattern: "C-{0}", count: 1 }]\ncustomers: { count: 1 }').customers;
    const customer = new SimCustomer({ id: reg.user.id, email: 'poll@test.local', password: 'password-123', token: reg.token, idTag: reg.user.idTag }, ctx, cfg, []);
    // The run's teardown, as the runner does it, right as the customer's second poll is due: the
    // customer is closed, then the CSMS, and only then does the poll go out (so it fails for sure;
    // sent first, it would race the CSMS's close and might still be answered).
    const rest = ctx.rest;
    let polls = 0;
    let secondStatus = -1;
    let ended!: () => void;
    const secondPollEnded = new Promise<void>((resolve) => (ended = resolve));
    ctx.rest = {
      ...rest,
      baseUrl: rest.baseUrl,
      setBaseUrl: rest.setBaseUrl,
      async request(...args: Parameters<typeof rest.request>) {
        if (args[1] === '/api/user/sessions/active' && ++polls === 2) {
          customer.close();
          ctx.scheduler.clear();
          closing = t.close();
          await closing;
          const res = await rest.request(...args);
          secondStatus = res.status;
          ended();
          return res;
        }
        return rest.request(...args);
      },
    };
    await customer.connect();
    await secondPollEnded;
    await closing;
    // The request did fail (the CSMS was gone), and nobody counted that.
    expect(secondStatus).toBe(0);
    expect(ctx.metrics.errors()).toMatchObject({ total: 0, unexpected: 0 });
  } finally {
    await (closing ?? t.close());
  }
}, 30_000);
