import { beforeEach, describe, expect, it } from 'vitest';
import type { NewDeviceJob } from '../../../src/csms/domain/device-jobs.ts';
import type { Store } from '../../../src/csms/domain/ports.ts';
import { eachStore, openStore } from '../../helpers/stores.ts';

const aFile = (id: string, createdAt = '2024-05-01T10:00:00.000Z') => ({ id, name: `${id}.bin`, version: `v-${id}`, sizeBytes: 5_000_000_000, sha256: 'ab'.repeat(32), uploadedBy: 'admin:1', createdAt });
const aJob = (id: string, over: Partial<NewDeviceJob> = {}): NewDeviceJob => ({ id, kind: 'firmware', chargePointId: 'CP-1', location: `http://csms/f/${id}`, token: `tok-${id}`, createdAt: '2024-05-01T10:00:00.000Z', ...over });

describe.each(eachStore)('[%s] device jobs', (_name, adapter) => {
  let store: Store;
  let opened: Awaited<ReturnType<typeof openStore>>;
  beforeEach(async (ctx) => {
    opened = await openStore(adapter, ctx);
    ({ store } = opened);
  });

  it('moves the change counter another node reads when a file or a job changes (the ETags of the firmware and job lists)', async () => {
    const other = await opened.another();
    let seen = await other.changeCounter();
    const moved = async () => {
      const now = await other.changeCounter();
      const did = now !== seen;
      seen = now;
      return did;
    };
    await store.deviceJobs.createFile(aFile('f1'));
    expect(await moved()).toBe(true);
    await store.deviceJobs.create(aJob('j1', { firmwareId: 'f1' }));
    expect(await moved()).toBe(true);
    await store.deviceJobs.update('j1', { status: 'Downloading' }, '2024-05-01T10:01:00.000Z');
    expect(await moved()).toBe(true);
    await store.deviceJobs.update('j1', { outcome: 'done' }, '2024-05-01T10:02:00.000Z');
    expect(await moved()).toBe(true);
    expect(await store.deviceJobs.deleteFile('f1')).toBe('deleted');
    expect(await moved()).toBe(true);
  });

  it('keeps firmware files, newest first, sizes beyond 32 bits, and refuses a duplicate id', async () => {
    await store.deviceJobs.createFile(aFile('old', '2024-05-01T09:00:00.000Z'));
    expect(await store.deviceJobs.createFile(aFile('new'))).toMatchObject({ id: 'new', sizeBytes: 5_000_000_000, version: 'v-new' });
    await expect(store.deviceJobs.createFile(aFile('new'))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    expect((await store.deviceJobs.listFiles()).map((f) => f.id)).toEqual(['new', 'old']);
    expect((await store.deviceJobs.listFiles({ limit: 1, offset: 1 })).map((f) => f.id)).toEqual(['old']);
    expect(await store.deviceJobs.getFile('old')).toMatchObject({ name: 'old.bin', uploadedBy: 'admin:1' });
    expect(await store.deviceJobs.getFile('none')).toBeNull();
  });

  it('deletes a file no open job installs', async () => {
    await store.deviceJobs.createFile(aFile('f1'));
    await store.deviceJobs.createFile(aFile('f2'));
    await store.deviceJobs.create(aJob('j1', { firmwareId: 'f1' }));
    expect(await store.deviceJobs.deleteFile('f1')).toBe('in-use');
    expect(await store.deviceJobs.deleteFile('f2')).toBe('deleted');
    expect(await store.deviceJobs.deleteFile('f2')).toBe('missing');
    await store.deviceJobs.update('j1', { outcome: 'done' }, '2024-05-01T11:00:00.000Z');
    expect(await store.deviceJobs.deleteFile('f1')).toBe('deleted');
    expect(await store.deviceJobs.listFiles()).toEqual([]);
    // The finished job keeps naming the file it installed.
    expect((await store.deviceJobs.get('j1'))?.firmwareId).toBe('f1');
  });

  it('creates a job Requested, finds it by id and token, and refuses a reused token', async () => {
    const job = await store.deviceJobs.create(aJob('j1', { firmwareId: 'f1', targetVersion: '2.0', retrieveDate: '2024-05-01T11:00:00.000Z', requestedBy: 'admin:1', rolloutId: 'r1' }));
    expect(job).toMatchObject({ status: 'Requested', outcome: null, downloads: 0, fileBytes: null, firmwareId: 'f1', targetVersion: '2.0', rolloutId: 'r1', updatedAt: '2024-05-01T10:00:00.000Z', finishedAt: null });
    expect((await store.deviceJobs.byToken('tok-j1'))?.id).toBe('j1');
    expect(await store.deviceJobs.byToken('tok-none')).toBeNull();
    await expect(store.deviceJobs.create(aJob('j2', { token: 'tok-j1' }))).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFLICT' }));
    // Two jobs without a token (an outside location) are fine.
    await store.deviceJobs.create(aJob('j3', { token: null }));
    await store.deviceJobs.create(aJob('j4', { token: null }));
    expect(await store.deviceJobs.get('j4')).toMatchObject({ token: null });
  });

  it('updates fields, sets finished_at with an outcome, and openOnly leaves a finished job alone', async () => {
    await store.deviceJobs.create(aJob('j1', { kind: 'diagnostics' }));
    expect(await store.deviceJobs.update('j1', { status: 'Sent', fileName: 'diag.log', commandId: 'c1' }, '2024-05-01T10:00:01.000Z')).toMatchObject({ status: 'Sent', fileName: 'diag.log', commandId: 'c1', updatedAt: '2024-05-01T10:00:01.000Z', finishedAt: null });
    expect(await store.deviceJobs.update('j1', { fileBytes: 12, status: 'Uploaded', outcome: 'done' }, '2024-05-01T10:00:02.000Z', { openOnly: true })).toMatchObject({ fileBytes: 12, outcome: 'done', finishedAt: '2024-05-01T10:00:02.000Z' });
    expect(await store.deviceJobs.update('j1', { status: 'Uploading' }, '2024-05-01T10:00:03.000Z', { openOnly: true })).toBeNull();
    expect((await store.deviceJobs.get('j1'))?.status).toBe('Uploaded');
    expect(await store.deviceJobs.update('none', { status: 'x' }, '2024-05-01T10:00:03.000Z')).toBeNull();
  });

  it('updates only in the status ifStatus names (an answer must not overwrite a notice that came first)', async () => {
    await store.deviceJobs.create(aJob('j1'));
    await store.deviceJobs.update('j1', { status: 'Downloading' }, '2024-05-01T10:00:01.000Z');
    expect(await store.deviceJobs.update('j1', { status: 'Sent' }, '2024-05-01T10:00:02.000Z', { ifStatus: 'Requested' })).toBeNull();
    expect(await store.deviceJobs.update('j1', { status: 'Downloaded' }, '2024-05-01T10:00:03.000Z', { ifStatus: 'Downloading', openOnly: true })).toMatchObject({ status: 'Downloaded' });
  });

  it('finds the latest open job of a kind per charger and counts downloads', async () => {
    await store.deviceJobs.create(aJob('a', { createdAt: '2024-05-01T09:00:00.000Z' }));
    await store.deviceJobs.create(aJob('b', { createdAt: '2024-05-01T09:30:00.000Z' }));
    await store.deviceJobs.create(aJob('d', { kind: 'diagnostics', createdAt: '2024-05-01T09:45:00.000Z' }));
    await store.deviceJobs.create(aJob('other', { chargePointId: 'CP-2', createdAt: '2024-05-01T09:50:00.000Z' }));
    expect((await store.deviceJobs.latestOpen('CP-1', 'firmware'))?.id).toBe('b');
    await store.deviceJobs.update('b', { outcome: 'failed' }, '2024-05-01T10:00:00.000Z');
    expect((await store.deviceJobs.latestOpen('CP-1', 'firmware'))?.id).toBe('a');
    expect((await store.deviceJobs.latestOpen('CP-1', 'diagnostics'))?.id).toBe('d');
    expect(await store.deviceJobs.latestOpen('CP-3', 'firmware')).toBeNull();
    await store.deviceJobs.countDownload('a', '2024-05-01T10:01:00.000Z');
    await store.deviceJobs.countDownload('a', '2024-05-01T10:02:00.000Z');
    expect(await store.deviceJobs.get('a')).toMatchObject({ downloads: 2, updatedAt: '2024-05-01T10:02:00.000Z' });
  });

  it('lists newest first, filtered by charger, kind, rollout and open', async () => {
    await store.deviceJobs.create(aJob('a', { createdAt: '2024-05-01T09:00:00.000Z', rolloutId: 'r1' }));
    await store.deviceJobs.create(aJob('b', { createdAt: '2024-05-01T09:10:00.000Z', rolloutId: 'r1', chargePointId: 'CP-2' }));
    await store.deviceJobs.create(aJob('c', { createdAt: '2024-05-01T09:20:00.000Z', kind: 'diagnostics' }));
    await store.deviceJobs.update('a', { outcome: 'done' }, '2024-05-01T10:00:00.000Z');
    const ids = async (filter: Parameters<Store['deviceJobs']['list']>[0], page?: { limit: number; offset: number }) => (await store.deviceJobs.list(filter, page)).map((j) => j.id);
    expect(await ids({})).toEqual(['c', 'b', 'a']);
    expect(await ids({ chargePointId: 'CP-1' })).toEqual(['c', 'a']);
    expect(await ids({ kind: 'firmware' })).toEqual(['b', 'a']);
    expect(await ids({ rolloutId: 'r1' })).toEqual(['b', 'a']);
    expect(await ids({ open: true })).toEqual(['c', 'b']);
    expect(await ids({ open: false })).toEqual(['a']);
    expect(await ids({ chargePointId: 'CP-1', kind: 'firmware', open: false })).toEqual(['a']);
    expect(await ids({}, { limit: 1, offset: 1 })).toEqual(['b']);
  });
});
