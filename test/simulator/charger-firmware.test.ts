/**
 * The simulated charger's Firmware Management (src/simulator/charger/firmware.ts) against a real
 * CSMS: retrieveDate and retries are honoured against an outside HTTP server, the version comes from
 * the image or its name, and an installation waits for the running transaction (E2 §5.19).
 */
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firmwareImage, imageVersion } from '../../src/simulator/charger/firmware.ts';
import { aChargePoint, aCustomer, login, startCsms, waitFor, type TestCsms } from '../helpers/csms.ts';
import { aTestCharger, type TestCharger } from '../helpers/sim-charger.ts';

describe('firmware images', () => {
  it('takes the version from the header line, checks its sha256, else from the file name, else from the content', () => {
    const image = firmwareImage('7.1-rc1', randomBytes(64));
    expect(imageVersion(image, 'http://x/a.bin')).toBe('7.1-rc1');
    const corrupt = Buffer.from(image);
    corrupt[corrupt.length - 1] ^= 1;
    expect(imageVersion(corrupt, 'http://x/a.bin')).toBeNull();
    expect(imageVersion(Buffer.from('plain'), 'https://vendor.example/fw/charger-2.4.1.bin')).toBe('2.4.1');
    expect(imageVersion(Buffer.from('plain'), 'https://vendor.example/fw/charger%20v3.0.2-beta.tar.gz?sig=1')).toBe('3.0.2-beta');
    expect(imageVersion(Buffer.from('plain'), 'https://vendor.example/download')).toMatch(/^sha-[0-9a-f]{8}$/);
  });
});

describe('the simulated charger updates its firmware', () => {
  let t: TestCsms;
  let admin: string;
  let server: Server | null = null;
  const chargers: TestCharger[] = [];
  beforeEach(async () => {
    t = await startCsms();
    admin = await login(t, t.info.admin.email, 'admin-password');
  });
  afterEach(async () => {
    for (const c of chargers.splice(0)) c.sim.shutdown();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(null)));
    server = null;
    await t.close();
  });

  const notices = (c: TestCharger) => c.answered.filter((a) => a.action === 'FirmwareStatusNotification').map((a) => a.payload.status);

  it('at retrieveDate, retrying a failed download after retryInterval; the version from the file name', async () => {
    const hits: number[] = [];
    server = createServer((req, res) => {
      hits.push(Date.now());
      if (hits.length === 1) res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('an image without a header');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await aChargePoint(t.store, { id: 'SIM-FW-1', connectors: 1 });
    const c = await aTestCharger(t, 'SIM-FW-1');
    chargers.push(c);
    const retrieveAt = Date.now() + 1500;
    const res = await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-1', location: `http://127.0.0.1:${port}/fw/sim-5.2.0.bin`, retrieveDate: new Date(retrieveAt).toISOString(), retries: 3, retryInterval: 1 } });
    expect(res.status).toBe(200);
    await waitFor(() => c.sim.firmwareVersion === '5.2.0');
    expect(hits).toHaveLength(2);
    expect(hits[0]).toBeGreaterThanOrEqual(retrieveAt - 50);
    expect(hits[1] - hits[0]).toBeGreaterThanOrEqual(950);
    expect(notices(c)).toEqual(['Downloading', 'Downloaded', 'Installing', 'Installed']);
    await waitFor(async () => (await t.store.deviceJobs.list({ chargePointId: 'SIM-FW-1' }))[0]?.outcome === 'done');
  });

  it('reports DownloadFailed after the last attempt and keeps its version', async () => {
    await aChargePoint(t.store, { id: 'SIM-FW-2', connectors: 1 });
    const c = await aTestCharger(t, 'SIM-FW-2');
    chargers.push(c);
    await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-2', location: 'http://127.0.0.1:1/none.bin', retries: 2, retryInterval: 0 } });
    await waitFor(() => notices(c).includes('DownloadFailed'));
    expect(notices(c)).toEqual(['Downloading', 'DownloadFailed']);
    expect(c.sim.firmwareVersion).toBe('1.0.0');
    await waitFor(async () => (await t.store.deviceJobs.list({ chargePointId: 'SIM-FW-2' }))[0]?.outcome === 'failed');
  });

  it('waits for the running transaction before it installs; the idle connector is Unavailable meanwhile', async () => {
    await aCustomer(t.store, { idTag: 'FW-TAG', balance: 5000 });
    await aChargePoint(t.store, { id: 'SIM-FW-3', connectors: 2 });
    const c = await aTestCharger(t, 'SIM-FW-3', { connectors: 2 });
    chargers.push(c);
    await c.startTransaction('FW-TAG', 1);
    const tx = await waitFor(() => c.transaction);
    const file = await (await fetch(`${t.info.httpUrl}/api/cms/firmware?name=f.bin&version=6.0`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' }, body: Uint8Array.from(firmwareImage('6.0', randomBytes(100))) })).json() as { id: string };
    await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-3', firmwareId: file.id } });
    await waitFor(() => c.answered.some((a) => a.action === 'StatusNotification' && a.payload.connectorId === 2 && a.payload.status === 'Unavailable'));
    await new Promise((r) => setTimeout(r, 500));
    expect(notices(c)).toEqual(['Downloading', 'Downloaded']);
    expect(c.sim.freeConnector()).toBe(-1);
    expect(c.transaction?.transactionId).toBe(tx.transactionId);

    c.sim.stop(0, 'Local');
    await waitFor(() => c.sim.firmwareVersion === '6.0');
    expect(notices(c)).toEqual(['Downloading', 'Downloaded', 'Installing', 'Installed']);
    // The transaction ended by the driver, before the installation; after the reboot both connectors are free.
    expect(c.answered.find((a) => a.action === 'StopTransaction')?.payload).toMatchObject({ transactionId: tx.transactionId, reason: 'Local' });
    await waitFor(() => c.sim.link() && c.sim.freeConnector() === 0);
    const boot = c.answered.map((a) => a.action).lastIndexOf('BootNotification');
    await waitFor(() => [1, 2].every((id) => c.answered.slice(boot).some((a) => a.action === 'StatusNotification' && a.payload.connectorId === id && a.payload.status === 'Available')));
  });
  const upload = async (version: string) => (await (await fetch(`${t.info.httpUrl}/api/cms/firmware?name=f.bin&version=${version}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' }, body: Uint8Array.from(firmwareImage(version, randomBytes(100))) })).json() as { id: string }).id;
  const lastStatus = (c: TestCharger, connectorId: number) => c.answered.filter((a) => a.action === 'StatusNotification' && a.payload.connectorId === connectorId).at(-1)?.payload.status;

  it('keeps a connector the CSMS made Inoperative Unavailable through the installation and its reboot (E2 §5.2)', async () => {
    await aChargePoint(t.store, { id: 'SIM-FW-4', connectors: 2 });
    const c = await aTestCharger(t, 'SIM-FW-4', { connectors: 2 });
    chargers.push(c);
    expect((await t.api('/api/charger/change-availability', { token: admin, body: { chargePointId: 'SIM-FW-4', connectorId: 2, type: 'Inoperative' } })).status).toBe(200);
    await waitFor(() => lastStatus(c, 2) === 'Unavailable');
    await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-4', firmwareId: await upload('6.1') } });
    const boots = () => c.answered.filter((a) => a.action === 'BootNotification').length;
    const before = boots();
    await waitFor(() => c.sim.firmwareVersion === '6.1' && boots() > before);
    const boot = c.answered.map((a) => a.action).lastIndexOf('BootNotification');
    await waitFor(() => [1, 2].every((id) => c.answered.slice(boot).some((a) => a.action === 'StatusNotification' && a.payload.connectorId === id)));
    expect(lastStatus(c, 1)).toBe('Available');
    expect(lastStatus(c, 2)).toBe('Unavailable');
    expect(c.sim.connectors[1].status).toBe('Unavailable');
  });

  it('frees the connectors an update held while it waited when a newer UpdateFirmware replaces it and fails its download', async () => {
    await aCustomer(t.store, { idTag: 'FW-TAG-5', balance: 5000 });
    await aChargePoint(t.store, { id: 'SIM-FW-5', connectors: 2 });
    const c = await aTestCharger(t, 'SIM-FW-5', { connectors: 2 });
    chargers.push(c);
    await c.startTransaction('FW-TAG-5', 1);
    await waitFor(() => c.transaction);
    await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-5', firmwareId: await upload('6.2') } });
    await waitFor(() => lastStatus(c, 2) === 'Unavailable');
    await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'SIM-FW-5', location: 'http://127.0.0.1:1/none.bin', retries: 1, retryInterval: 0 } });
    await waitFor(() => notices(c).includes('DownloadFailed'));
    await waitFor(() => lastStatus(c, 2) === 'Available');
    expect(c.sim.connectors[1].status).toBe('Available');
    expect(c.sim.firmwareVersion).toBe('1.0.0');
  });
});
