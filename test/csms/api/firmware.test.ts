/**
 * The firmware and diagnostics routes without a charger on the line: uploads (streamed, limited,
 * checked), request validation, rollouts to a station whose chargers are offline, superseded jobs,
 * and the file routes' tokens.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aChargePoint, aStation } from '../builders.ts';
import { waitFor } from '../../helpers/csms.ts';
import { errorOf, startApi, type ApiHarness } from './harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({ firmwareMaxBytes: 1000, diagnosticsMaxBytes: 100, publicUrl: 'https://csms.example:8443/' });
});
afterAll(async () => {
  await h.close();
});

/** A body sent in chunks with no Content-Length: only the streaming limit can stop it. */
function chunked(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= chunks) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(sent));
    },
  });
}

const upload = (body: BodyInit, query = 'name=fw.bin&version=1.0', headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) =>
  fetch(`${h.base}/api/cms/firmware?${query}`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}`, ...headers }, body, duplex: 'half' } as RequestInit);

describe('firmware routes', () => {
  it('stores a streamed upload with its size and sha256; refuses an empty one, one over the limit (declared or streamed) and a missing version', async () => {
    const res = await upload(chunked(4, 200));
    expect(res.status).toBe(201);
    const expected = createHash('sha256');
    for (let i = 1; i <= 4; i++) expected.update(new Uint8Array(200).fill(i));
    expect(await res.json()).toMatchObject({ name: 'fw.bin', version: '1.0', sizeBytes: 800, sha256: expected.digest('hex'), uploadedBy: expect.stringMatching(/^admin:/) });

    const streamed = await upload(chunked(6, 200));
    expect(streamed.status).toBe(413);
    expect(await errorOf(streamed)).toMatchObject({ code: 'CSMS_ERR_TOO_LARGE', data: { maxBytes: 1000 } });
    expect((await upload(new Uint8Array(1001))).status).toBe(413);
    const empty = await upload(new Uint8Array(0));
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).code).toBe('CSMS_ERR_VALIDATION');
    expect((await upload(new Uint8Array(10), 'name=fw.bin')).status).toBe(400);
    // Any content type is bytes here.
    expect((await upload('text firmware', 'name=t&version=2', { 'content-type': 'text/plain' })).status).toBe(201);
    const files = (await (await h.call('/api/cms/firmware', { token: h.adminToken })).json()).items;
    expect(files.map((f: { version: string }) => f.version)).toEqual(['2', '1.0']);
    // On disk: exactly the two stored images, no partial or refused one.
    expect(readdirSync(join(h.filesDir!, 'firmware')).sort()).toEqual(files.map((f: { id: string }) => f.id).sort());
    const del = (id: string) => h.call(`/api/cms/firmware/${id}`, { method: 'DELETE', token: h.adminToken });
    expect((await del(files[0].id)).status).toBe(204);
    expect((await del(files[0].id)).status).toBe(404);
    expect(readdirSync(join(h.filesDir!, 'firmware'))).toEqual([files[1].id]);
  });

  it('validates update requests: a file or a location, never both; unknown file and charger are 404', async () => {
    await h.store.chargePoints.create(aChargePoint({ id: 'API-FW-1' }));
    const send = (body: Record<string, unknown>) => h.call('/api/charger/update-firmware', { token: h.adminToken, body });
    expect((await send({ chargePointId: 'API-FW-1' })).status).toBe(400);
    expect((await send({ chargePointId: 'API-FW-1', firmwareId: 'x', location: 'https://a.example/fw.bin' })).status).toBe(400);
    expect((await send({ chargePointId: 'API-FW-1', location: 'not a url' })).status).toBe(400);
    expect((await errorOf(await send({ chargePointId: 'API-FW-1', firmwareId: 'none' }))).code).toBe('CSMS_ERR_NOT_FOUND');
    expect((await errorOf(await send({ chargePointId: 'NOPE', location: 'https://a.example/fw.bin' }))).code).toBe('CSMS_ERR_CHARGER_NOT_FOUND');
    expect((await h.call('/api/charger/update-firmware', { body: { chargePointId: 'API-FW-1', location: 'https://a.example/fw.bin' } })).status).toBe(401);
  });

  it('rolls out to every charger of a station; offline ones fail NotSent; a new request supersedes the open job', async () => {
    const file = await (await upload(new Uint8Array(10).fill(7), 'name=r.bin&version=9')).json() as { id: string };
    const station = await h.store.stations.create(aStation());
    for (const id of ['API-R-1', 'API-R-2']) await h.store.chargePoints.create(aChargePoint({ id, stationId: station.id }));
    const res = await h.call('/api/cms/firmware/rollouts', { token: h.adminToken, body: { firmwareId: file.id, stationId: station.id } });
    expect(res.status).toBe(200);
    const rollout = await res.json() as { rolloutId: string; items: { job: any; commandStatus: string }[] };
    expect(rollout.items.map((i) => [i.job.chargePointId, i.commandStatus, i.job.status, i.job.outcome, i.job.rolloutId]).sort()).toEqual([
      ['API-R-1', 'offline', 'NotSent', 'failed', rollout.rolloutId],
      ['API-R-2', 'offline', 'NotSent', 'failed', rollout.rolloutId],
    ]);
    // The download URL is built on PUBLIC_URL.
    expect(rollout.items[0].job.location).toMatch(/^https:\/\/csms\.example:8443\/api\/files\/firmware\/[A-Za-z0-9_-]{32}\/r\.bin$/);
    const listed = await (await h.call(`/api/cms/jobs?rolloutId=${rollout.rolloutId}&kind=firmware`, { token: h.adminToken })).json();
    expect(listed.items).toHaveLength(2);
    expect((await h.call('/api/cms/firmware/rollouts', { token: h.adminToken, body: { firmwareId: file.id, chargePointIds: ['API-R-1', 'NOPE'] } })).status).toBe(404);
    // A file an open job installs stays.
    await h.store.deviceJobs.create({ id: 'open-fw', kind: 'firmware', chargePointId: 'API-R-2', firmwareId: file.id, location: 'x', token: 'open-fw-token', createdAt: new Date().toISOString() });
    const inUse = await h.call(`/api/cms/firmware/${file.id}`, { method: 'DELETE', token: h.adminToken });
    expect(inUse.status).toBe(409);
    expect((await errorOf(inUse)).code).toBe('CSMS_ERR_IN_USE');

    // An open job (as if the charger had answered) is replaced by the next request.
    const open = await h.store.deviceJobs.create({ id: 'open-1', kind: 'diagnostics', chargePointId: 'API-R-1', location: 'x', token: 'open-token-1', createdAt: new Date().toISOString() });
    await h.call('/api/charger/get-diagnostics', { token: h.adminToken, body: { chargePointId: 'API-R-1' } });
    expect(await h.store.deviceJobs.get(open.id)).toMatchObject({ status: 'Superseded', outcome: 'failed' });
    expect((await (await h.call('/api/charger/API-R-1/jobs?kind=diagnostics', { token: h.adminToken })).json()).items.map((j: any) => j.status)).toEqual(['NotSent', 'Superseded']);
  });

  it('file routes: an open diagnostics token takes an upload once under the limit, with or without a file name and content type', async () => {
    await h.store.chargePoints.create(aChargePoint({ id: 'API-DG-1' }));
    const job = await h.store.deviceJobs.create({ id: 'dg-1', kind: 'diagnostics', chargePointId: 'API-DG-1', location: 'x', token: 'dg-token-1', createdAt: new Date().toISOString() });
    const put = (path: string, init: RequestInit) => fetch(`${h.base}/api/files/diagnostics/${path}`, init);
    expect((await put('dg-token-1', { method: 'PUT', body: chunked(3, 50), duplex: 'half' } as RequestInit)).status).toBe(413);
    expect((await h.store.deviceJobs.get(job.id))?.fileBytes).toBeNull();
    expect((await put('dg-token-1/named.log', { method: 'POST', body: 'hello' })).status).toBe(201);
    expect(await h.store.deviceJobs.get(job.id)).toMatchObject({ fileBytes: 5, fileName: 'named.log' });
    const res = await put('dg-token-1', { method: 'PUT', body: new Uint8Array([1, 2, 3]), headers: {} });
    expect(res.status).toBe(201);
    const download = await h.call(`/api/cms/jobs/${job.id}/diagnostics`, { token: h.adminToken });
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect((await put('wrong-token', { method: 'PUT', body: 'x' })).status).toBe(404);

    // A charger that goes away mid-upload leaves neither a file nor a part of one.
    const socket = connect(Number(new URL(h.base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('PUT /api/files/diagnostics/dg-token-1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    // The write has begun (its part file is there), then the charger goes.
    const listed = () => readdirSync(join(h.filesDir!, 'diagnostics')).sort();
    await waitFor(() => listed().some((name) => name.endsWith('.part')));
    socket.destroy();
    await waitFor(() => listed().length === 1);
    expect(listed()).toEqual([job.id]);
    expect((await h.store.deviceJobs.get(job.id))?.fileBytes).toBe(3);
    expect((await fetch(`${h.base}/api/files/firmware/dg-token-1/x.bin`)).status).toBe(404);
    expect((await h.call('/api/cms/jobs/none/diagnostics', { token: h.adminToken })).status).toBe(404);
  });
});
