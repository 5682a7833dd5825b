/**
 * Firmware Management end to end: an admin uploads an image, sends UpdateFirmware, the simulated
 * charger really downloads it from the CSMS, installs, reboots and boots with the new version; the
 * job's states reach the store, REST and the point's room. GetDiagnostics: the charger uploads a file
 * the admin then downloads. Tokens and size limits are enforced.
 */
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { firmwareImage, setFirmwareFault } from '../../../src/simulator/charger/firmware.ts';
import { aChargePoint, login, startCsms, waitFor, type TestCsms } from '../../helpers/csms.ts';
import { csmsStores } from '../../helpers/postgres.ts';
import { deleteNamespace, describeRabbit, RABBIT_URL, uniqueNamespace } from '../../helpers/rabbit.ts';
import { aTestCharger, type TestCharger } from '../../helpers/sim-charger.ts';

interface Received { type: string; data: Record<string, any> }

async function adminSocket(t: TestCsms, token: string, room: string): Promise<{ socket: Socket; received: Received[] }> {
  const socket = io(t.info.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  const received: Received[] = [];
  socket.on('notification', (n: Received) => received.push(n));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  expect(await socket.emitWithAck('join-room', room)).toMatchObject({ ok: true });
  return { socket, received };
}

for (const [storeName, store] of csmsStores) describeRabbit(`firmware and diagnostics end to end [${storeName} store]`, () => {
  let ns: string;
  let t: TestCsms;
  let admin: string;
  const sockets: Socket[] = [];
  const chargers: TestCharger[] = [];

  beforeEach(async () => {
    ns = uniqueNamespace();
    t = await startCsms({ enableRabbitmq: true, rabbitmqNamespace: ns, diagnosticsMaxBytes: 4096, firmwareMaxBytes: 64 * 1024, ...store });
    admin = await login(t, t.info.admin.email, 'admin-password');
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const c of chargers.splice(0)) c.sim.shutdown();
    await t.close();
    await deleteNamespace(RABBIT_URL, ns);
  });

  const upload = (bytes: Uint8Array, query: string, token = admin) =>
    fetch(`${t.info.httpUrl}/api/cms/firmware?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Uint8Array.from(bytes) });
  const jobsOf = async (cp: string) => ((await (await t.api(`/api/charger/${cp}/jobs`, { token: admin })).json()) as { items: any[] }).items;
  const charger = async (id: string) => {
    await aChargePoint(t.store, { id, connectors: 1 });
    const c = await aTestCharger(t, id);
    chargers.push(c);
    return c;
  };

  it('installs an uploaded image: downloaded from the CSMS, Downloading … Installed, reboot, boot with the new version, job done', async () => {
    const image = firmwareImage('2.0.0', randomBytes(20_000));
    const res = await upload(image, 'name=evsim-2.0.0.bin&version=2.0.0');
    expect(res.status).toBe(201);
    const file = await res.json() as { id: string; sizeBytes: number };
    expect(file).toMatchObject({ sizeBytes: image.length, version: '2.0.0' });
    expect((await (await t.api('/api/cms/firmware', { token: admin })).json()).items.map((f: any) => f.id)).toEqual([file.id]);

    const c = await charger('FW-1');
    const { socket, received } = await adminSocket(t, admin, 'cms:point:FW-1');
    const jobsPage = await adminSocket(t, admin, 'cms:jobs');
    sockets.push(socket, jobsPage.socket);
    const sent = await (await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'FW-1', firmwareId: file.id, retries: 2, retryInterval: 1 } })).json() as any;
    expect(sent).toMatchObject({ commandStatus: 'answered', job: { kind: 'firmware', chargePointId: 'FW-1', targetVersion: '2.0.0', firmwareId: file.id } });
    expect(sent.job.token).toBeUndefined();
    expect(sent.job.location).toMatch(new RegExp(`^${t.info.httpUrl}/api/files/firmware/[A-Za-z0-9_-]{32}/evsim-2\\.0\\.0\\.bin$`));
    expect(c.received.find((r) => r.action === 'UpdateFirmware')?.payload).toMatchObject({ location: sent.job.location, retries: 2, retryInterval: 1 });

    const done = await waitFor(async () => (await jobsOf('FW-1')).find((j) => j.outcome !== null));
    expect(done).toMatchObject({ id: sent.job.id, status: 'Done', outcome: 'done', downloads: 1, detail: 'booted with firmware 2.0.0' });
    const notices = c.answered.filter((a) => a.action === 'FirmwareStatusNotification').map((a) => a.payload.status);
    expect(notices).toEqual(['Downloading', 'Downloaded', 'Installing', 'Installed']);
    const boots = await waitFor(() => {
      const b = c.answered.filter((a) => a.action === 'BootNotification');
      return b.length === 2 && b;
    });
    expect(boots.map((b) => b.payload.firmwareVersion)).toEqual(['1.0.0', '2.0.0']);
    expect((await t.store.chargePoints.get('FW-1'))?.firmwareVersion).toBe('2.0.0');
    const states = await waitFor(() => {
      const s = received.filter((n) => n.type === 'firmware.status').map((n) => n.data.job.status);
      return s.includes('Done') && s;
    });
    expect(states).toEqual(expect.arrayContaining(['Downloading', 'Downloaded', 'Installing', 'Installed', 'Done']));
    // The firmware page's room gets the same.
    await waitFor(() => jobsPage.received.some((n) => n.type === 'firmware.status' && n.data.job.status === 'Done'));
    // A finished job's token downloads nothing more.
    expect((await fetch(sent.job.location)).status).toBe(404);

    // Nothing runs now: a triggered notice is Idle, recorded in the log, and changes no job.
    expect((await (await t.api('/api/charger/trigger', { token: admin, body: { chargePointId: 'FW-1', requestedMessage: 'FirmwareStatusNotification' } })).json()).response).toEqual({ status: 'Accepted' });
    await waitFor(() => c.answered.filter((a) => a.action === 'FirmwareStatusNotification').at(-1)?.payload.status === 'Idle');
    await t.settle();
    expect(await t.store.deviceJobs.get(sent.job.id)).toMatchObject({ status: 'Done', outcome: 'done' });
  });

  it('fails the job when the charger fails the installation, and refuses tokens it never gave or of another kind', async () => {
    const file = await (await upload(firmwareImage('3.0.0', randomBytes(100)), 'name=x.bin&version=3.0.0')).json() as { id: string };
    const c = await charger('FW-2');
    setFirmwareFault(c.sim, 'install');
    const sent = await (await t.api('/api/charger/update-firmware', { token: admin, body: { chargePointId: 'FW-2', firmwareId: file.id } })).json() as any;
    const failed = await waitFor(async () => (await jobsOf('FW-2')).find((j) => j.outcome !== null));
    expect(failed).toMatchObject({ status: 'InstallationFailed', outcome: 'failed' });
    expect(c.sim.firmwareVersion).toBe('1.0.0');

    expect((await fetch(`${t.info.httpUrl}/api/files/firmware/${'A'.repeat(32)}/x.bin`)).status).toBe(404);
    expect((await fetch(`${t.info.httpUrl}/api/files/diagnostics/${'A'.repeat(32)}`, { method: 'PUT', body: 'x' })).status).toBe(404);
    // The firmware job's token is no upload token.
    const token = new URL(sent.job.location).pathname.split('/')[4];
    expect((await fetch(`${t.info.httpUrl}/api/files/diagnostics/${token}`, { method: 'PUT', body: 'x' })).status).toBe(404);
    // Uploads are for admins only, and over the limit is 413 before a byte is stored.
    expect((await upload(new Uint8Array(10), 'name=a&version=1', 'not-a-token')).status).toBe(401);
    const big = await upload(new Uint8Array(64 * 1024 + 1), 'name=a&version=1');
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('CSMS_ERR_TOO_LARGE');
    expect((await t.store.deviceJobs.listFiles()).length).toBe(1);
  });

  it('GetDiagnostics: the charger names and uploads its file, the admin downloads it; over the size limit and after the job an upload is refused', async () => {
    const c = await charger('DG-1');
    const { socket, received } = await adminSocket(t, admin, 'cms:point:DG-1');
    sockets.push(socket);
    const sent = await (await t.api('/api/charger/get-diagnostics', { token: admin, body: { chargePointId: 'DG-1', retries: 1 } })).json() as any;
    expect(sent.job).toMatchObject({ kind: 'diagnostics', fileName: expect.stringMatching(/^DG-1-\d+\.log$/) });
    expect(sent.job.location).toMatch(new RegExp(`^${t.info.httpUrl}/api/files/diagnostics/[A-Za-z0-9_-]{32}$`));
    const done = await waitFor(async () => (await jobsOf('DG-1')).find((j) => j.outcome !== null));
    expect(done).toMatchObject({ status: 'Uploaded', outcome: 'done', fileName: sent.job.fileName });
    expect(done.fileBytes).toBeGreaterThan(100);
    // The processor may apply the notice before the charger has read the answer to it.
    await waitFor(() => c.answered.filter((a) => a.action === 'DiagnosticsStatusNotification').length === 2);
    expect(c.answered.filter((a) => a.action === 'DiagnosticsStatusNotification').map((a) => a.payload.status)).toEqual(['Uploading', 'Uploaded']);

    const file = await t.api(`/api/cms/jobs/${done.id}/diagnostics`, { token: admin });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${sent.job.fileName}"`);
    const text = await file.text();
    expect(text.length).toBe(done.fileBytes);
    expect(text).toContain('charger DG-1 vendor');
    expect((await t.api(`/api/cms/jobs/${done.id}/diagnostics`)).status).toBe(401);
    await waitFor(() => received.some((n) => n.type === 'diagnostics.status' && n.data.job.status === 'Uploaded'));

    // Over DIAGNOSTICS_MAX_BYTES (4096 here): 413 before the token is even looked at, nothing stored.
    const big = await fetch(sent.job.location, { method: 'PUT', body: 'y'.repeat(5000) });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('CSMS_ERR_TOO_LARGE');
    expect((await t.store.deviceJobs.get(done.id))?.fileBytes).toBe(done.fileBytes);
    // A finished job takes no further upload.
    expect((await fetch(sent.job.location, { method: 'PUT', body: 'late' })).status).toBe(404);
  });
});
