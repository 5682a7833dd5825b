/**
 * Interop of the Firmware Management profile: a charger built on `ocpp-rpc` (strict mode: our
 * UpdateFirmware / GetDiagnostics must pass its schemas, and its notices ours) is updated and asked
 * for diagnostics through the REST API, downloads and uploads over HTTP as its firmware would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aChargePoint, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { RPCClient } from '../helpers/ocpp-rpc.ts';

describe('interop with ocpp-rpc (strict mode): firmware and diagnostics', () => {
  let t: TestCsms;
  let client: InstanceType<typeof RPCClient>;
  let admin: string;
  beforeEach(async () => {
    t = await startCsms();
    await aChargePoint(t.store, { id: 'RPC-FW', connectors: 1 });
    client = new RPCClient({ endpoint: t.info.ocppUrl, identity: 'RPC-FW', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    await client.connect();
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop', firmwareVersion: '0.9' });
    admin = await login(t, t.info.admin.email, 'admin-password');
  });
  afterEach(async () => {
    await client.close({ force: true });
    await t.close();
  });

  it('UpdateFirmware: the charger downloads the image the CSMS serves, reports each state, and boots with the new version', async () => {
    const image = randomBytes(3000);
    const upload = await fetch(`${t.info.httpUrl}/api/cms/firmware?name=rpc-1.0.bin&version=1.0`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' }, body: Uint8Array.from(image) });
    const file = await upload.json() as { id: string };
    let request: any = null;
    client.handle('UpdateFirmware', ({ params }) => {
      request = params;
      return {};
    });
    const sent = await (await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'RPC-FW', firmwareId: file.id, retries: 3, retryInterval: 10, retrieveDate: '2030-01-01T00:00:00.000Z' } })).json() as any;
    expect(sent.commandStatus).toBe('answered');
    expect(request).toEqual({ location: sent.job.location, retrieveDate: '2030-01-01T00:00:00.000Z', retries: 3, retryInterval: 10 });

    await client.call('FirmwareStatusNotification', { status: 'Downloading' });
    const downloaded = Buffer.from(await (await fetch(request.location)).arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(image).digest('hex'));
    for (const status of ['Downloaded', 'Installing', 'Installed']) await client.call('FirmwareStatusNotification', { status });
    await t.settle();
    expect(await t.store.deviceJobs.get(sent.job.id)).toMatchObject({ status: 'Installed', outcome: null, downloads: 1 });
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop', firmwareVersion: '1.0' });
    await t.settle();
    expect(await t.store.deviceJobs.get(sent.job.id)).toMatchObject({ status: 'Done', outcome: 'done' });
    // Idle with no job open: acknowledged, nothing changes.
    await client.call('FirmwareStatusNotification', { status: 'Idle' });
    await t.settle();
    expect((await t.store.deviceJobs.get(sent.job.id))?.status).toBe('Done');
  });

  it('GetDiagnostics: the answer\'s fileName is kept, the upload lands, Uploaded ends the job; any version completes a job with an outside location, another than the file\'s fails it', async () => {
    let request: any = null;
    client.handle('GetDiagnostics', ({ params }) => {
      request = params;
      return { fileName: 'rpc-diag.tar.gz' };
    });
    const sent = await (await t.api('/api/charger/get-diagnostics', { token: admin, body: { chargePointId: 'RPC-FW', startTime: '2024-01-01T00:00:00.000Z' } })).json() as any;
    expect(request).toEqual({ location: sent.job.location, startTime: '2024-01-01T00:00:00.000Z' });
    expect(sent.job).toMatchObject({ status: 'Sent', fileName: 'rpc-diag.tar.gz' });
    await client.call('DiagnosticsStatusNotification', { status: 'Uploading' });
    const put = await fetch(`${request.location}/rpc-diag.tar.gz`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'diagnostic bytes' });
    expect(put.status).toBe(201);
    await client.call('DiagnosticsStatusNotification', { status: 'Uploaded' });
    await t.settle();
    expect(await t.store.deviceJobs.get(sent.job.id)).toMatchObject({ status: 'Uploaded', outcome: 'done', fileBytes: 16, fileName: 'rpc-diag.tar.gz' });
    expect(await (await t.api(`/api/cms/jobs/${sent.job.id}/diagnostics`, { token: admin })).text()).toBe('diagnostic bytes');

    client.handle('UpdateFirmware', () => ({}));
    const update = await (await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'RPC-FW', location: 'https://vendor.example/fw/rpc-2.0.bin' } })).json() as any;
    expect(update.job).toMatchObject({ location: 'https://vendor.example/fw/rpc-2.0.bin', targetVersion: null });
    await client.call('FirmwareStatusNotification', { status: 'Installed' });
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop', firmwareVersion: 'anything' });
    await waitFor(async () => (await t.store.deviceJobs.get(update.job.id))?.outcome === 'done');

    // An uploaded file names its version: a boot with another one fails the job.
    const file = await (await fetch(`${t.info.httpUrl}/api/cms/firmware?name=rpc-3.bin&version=3.0`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' }, body: 'three' })).json() as { id: string };
    const third = await (await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'RPC-FW', firmwareId: file.id } })).json() as any;
    await client.call('FirmwareStatusNotification', { status: 'Installed' });
    await client.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'interop', firmwareVersion: '2.9' });
    await t.settle();
    expect(await t.store.deviceJobs.get(third.job.id)).toMatchObject({ status: 'VersionMismatch', outcome: 'failed', detail: 'booted with firmware 2.9, expected 3.0' });
  });
});
