// Interop against ocpp-rpc, an independent OCPP-J implementation: its RPCClient (with its own schema
// checks in strict mode) plays the charge point, our connection the CSMS.
import { RPCClient, RPCPropertyConstraintViolationError, RPCSecurityError } from 'ocpp-rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { OcppError } from '../../src/ocpp/index.ts';
import { aBootNotification } from '../../src/ocpp/builders.ts';
import { closeAll, startServer } from './helpers.ts';

const clients: RPCClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close({ force: true });
  await closeAll();
});

async function rpcClient(endpoint: string, identity: string, strictMode: boolean): Promise<RPCClient> {
  const options = { endpoint, identity, protocols: ['ocpp1.6'], strictMode, reconnect: false };
  const client = new RPCClient(options as ConstructorParameters<typeof RPCClient>[0]);
  clients.push(client);
  await client.connect();
  return client;
}

describe('interop with ocpp-rpc', () => {
  it('completes CALLs both ways with a strict-mode RPCClient', async () => {
    const { endpoint, nextConnection } = await startServer({
      handlers: {
        BootNotification: (req) => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: req.chargePointModel.length }),
      },
    });
    const chargePoint = await rpcClient(endpoint, 'RPC 1', true);
    const csms = await nextConnection();
    chargePoint.handle('RemoteStartTransaction', async ({ params }) => ({ status: params?.idTag === 'GOOD' ? 'Accepted' : 'Rejected' }));

    const boot = await chargePoint.call('BootNotification', aBootNotification({ chargePointModel: 'Model-X' }));
    expect(boot).toMatchObject({ status: 'Accepted', interval: 7 });
    await expect(csms.call('RemoteStartTransaction', { idTag: 'GOOD' })).resolves.toEqual({ status: 'Accepted' });
    await expect(csms.call('RemoteStartTransaction', { idTag: 'BAD' })).resolves.toEqual({ status: 'Rejected' });
  });

  it('makes our error codes reach it as the matching 1.6 errors', async () => {
    const { endpoint } = await startServer({
      handlers: {
        Heartbeat: () => { throw new OcppError('SecurityError', 'BootNotification not accepted yet'); },
        Authorize: () => ({ idTagInfo: { status: 'Accepted' } }),
      },
    });
    const strict = await rpcClient(endpoint, 'RPC2', true);
    await expect(strict.call('Heartbeat', {})).rejects.toBeInstanceOf(RPCSecurityError);

    // Not strict, so it sends what our strict schema check refuses.
    const loose = await rpcClient(endpoint, 'RPC3', false);
    const error = await loose.call('Authorize', { idTag: 'x'.repeat(21) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RPCPropertyConstraintViolationError);
    expect(error).toMatchObject({ rpcErrorCode: 'PropertyConstraintViolation', message: '"idTag" must be at most 20 characters' });
  });

  it('answers our CALL while its own CALL to us waits for it (calls cross)', async () => {
    const { endpoint, nextConnection } = await startServer({ handlers: {} });
    const chargePoint = await rpcClient(endpoint, 'RPC4', true);
    const csms = await nextConnection();
    csms.handle('Heartbeat', async () => {
      const reset = await csms.call('Reset', { type: 'Soft' });
      return { currentTime: reset.status === 'Accepted' ? new Date(0).toISOString() : new Date().toISOString() };
    });
    chargePoint.handle('Reset', async () => ({ status: 'Accepted' }));
    await expect(chargePoint.call('Heartbeat', {})).resolves.toEqual({ currentTime: '1970-01-01T00:00:00.000Z' });
  });
});
