/** Firmware files and firmware / diagnostics jobs (domain/device-jobs.ts). */
import { CsmsError } from '../../domain/errors.ts';
import type { DeviceJobPatch, DeviceJobRepo } from '../../domain/device-jobs.ts';
import { JOB_COLUMNS, PATCH_COLUMNS, toDeviceJob, toFirmwareFile, type DeviceJobRow, type FirmwareFileRow } from '../rows/device-jobs.ts';
import type { Sync } from './sync.ts';
import { constraintFailure, createStatementCache, pageParams, type RepoContext } from './sql-helpers.ts';

export function createDeviceJobRepo({ db }: RepoContext): Sync<DeviceJobRepo> {
  const insertFile = db.prepare<[string, string, string, number, string, string | null, string], FirmwareFileRow>(
    'INSERT INTO firmware_files (id, name, version, size_bytes, sha256, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
  );
  const fileById = db.prepare<[string], FirmwareFileRow>('SELECT * FROM firmware_files WHERE id = ?');
  const files = db.prepare<[number, number], FirmwareFileRow>('SELECT * FROM firmware_files ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?');
  const openUse = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM device_jobs WHERE firmware_id = ? AND outcome IS NULL');
  const deleteFile = db.prepare<[string]>('DELETE FROM firmware_files WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO device_jobs (id, kind, charge_point_id, firmware_id, rollout_id, location, token, status, target_version, retrieve_date, requested_by, created_at, updated_at)
     VALUES (@id, @kind, @chargePointId, @firmwareId, @rolloutId, @location, @token, 'Requested', @targetVersion, @retrieveDate, @requestedBy, @createdAt, @createdAt) RETURNING ${JOB_COLUMNS}`,
  );
  const byId = db.prepare<[string], DeviceJobRow>(`SELECT ${JOB_COLUMNS} FROM device_jobs WHERE id = ?`);
  const byToken = db.prepare<[string], DeviceJobRow>(`SELECT ${JOB_COLUMNS} FROM device_jobs WHERE token = ?`);
  const latestOpen = db.prepare<[string, string], DeviceJobRow>(
    `SELECT ${JOB_COLUMNS} FROM device_jobs WHERE charge_point_id = ? AND kind = ? AND outcome IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1`,
  );
  const download = db.prepare<[string, string]>('UPDATE device_jobs SET downloads = downloads + 1, updated_at = ? WHERE id = ?');
  const statement = createStatementCache(db);

  return {
    createFile(f) {
      try {
        return toFirmwareFile(insertFile.get(f.id, f.name, f.version, f.sizeBytes, f.sha256, f.uploadedBy, f.createdAt)!);
      } catch (err) {
        if (constraintFailure(err)?.kind === 'primarykey') throw new CsmsError('CSMS_ERR_CONFLICT', `firmware file ${f.id} already exists`);
        throw err;
      }
    },
    getFile(id) {
      const row = fileById.get(id);
      return row ? toFirmwareFile(row) : null;
    },
    listFiles(page) {
      const { limit, offset } = pageParams(page);
      return files.all(limit, offset).map(toFirmwareFile);
    },
    deleteFile(id) {
      if (openUse.get(id)!.n > 0) return 'in-use';
      return deleteFile.run(id).changes > 0 ? 'deleted' : 'missing';
    },
    create(job) {
      try {
        const row = insert.get({
          id: job.id, kind: job.kind, chargePointId: job.chargePointId, firmwareId: job.firmwareId ?? null, rolloutId: job.rolloutId ?? null,
          location: job.location, token: job.token ?? null, targetVersion: job.targetVersion ?? null, retrieveDate: job.retrieveDate ?? null,
          requestedBy: job.requestedBy ?? null, createdAt: job.createdAt,
        }) as DeviceJobRow;
        return toDeviceJob(row);
      } catch (err) {
        const failure = constraintFailure(err);
        if (failure?.kind === 'primarykey' || failure?.kind === 'unique') throw new CsmsError('CSMS_ERR_CONFLICT', `job ${job.id} (or its token) already exists`);
        throw err;
      }
    },
    get(id) {
      const row = byId.get(id);
      return row ? toDeviceJob(row) : null;
    },
    byToken(token) {
      const row = byToken.get(token);
      return row ? toDeviceJob(row) : null;
    },
    latestOpen(chargePointId, kind) {
      const row = latestOpen.get(chargePointId, kind);
      return row ? toDeviceJob(row) : null;
    },
    update(id, patch, at, opts = {}) {
      const sets = ['updated_at = @at'];
      const values: Record<string, unknown> = { id, at };
      for (const [field, column] of Object.entries(PATCH_COLUMNS)) {
        const value = patch[field as keyof DeviceJobPatch];
        if (value === undefined) continue;
        sets.push(`${column} = @${field}`);
        values[field] = value;
      }
      if (patch.outcome !== undefined) sets.push('finished_at = @at');
      let where = opts.openOnly ? 'id = @id AND outcome IS NULL' : 'id = @id';
      if (opts.ifStatus !== undefined) {
        where += ' AND status = @ifStatus';
        values.ifStatus = opts.ifStatus;
      }
      const row = statement(`UPDATE device_jobs SET ${sets.join(', ')} WHERE ${where} RETURNING ${JOB_COLUMNS}`).get(values) as DeviceJobRow | undefined;
      return row ? toDeviceJob(row) : null;
    },
    countDownload(id, at) {
      download.run(at, id);
    },
    list(filter = {}, page) {
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.chargePointId !== undefined) { where.push('charge_point_id = ?'); values.push(filter.chargePointId); }
      if (filter.kind !== undefined) { where.push('kind = ?'); values.push(filter.kind); }
      if (filter.rolloutId !== undefined) { where.push('rollout_id = ?'); values.push(filter.rolloutId); }
      if (filter.open !== undefined) where.push(filter.open ? 'outcome IS NULL' : 'outcome IS NOT NULL');
      const { limit, offset } = pageParams(page);
      const sql = `SELECT ${JOB_COLUMNS} FROM device_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`;
      return (statement(sql).all(...values, limit, offset) as DeviceJobRow[]).map(toDeviceJob);
    },
  };
}
