/** Firmware files and firmware / diagnostics jobs (domain/device-jobs.ts). */
import { CsmsError } from '../../domain/errors.ts';
import type { DeviceJobPatch, DeviceJobRepo } from '../../domain/device-jobs.ts';
import { JOB_COLUMNS, PATCH_COLUMNS, toDeviceJob, toFirmwareFile, type DeviceJobRow, type FirmwareFileRow } from '../rows/device-jobs.ts';
import { pageValues, Params, type PgContext } from './context.ts';

const FILE_COLUMNS = 'id, name, version, size_bytes, sha256, uploaded_by, created_at';

export function createDeviceJobRepo({ db }: PgContext): DeviceJobRepo {
  return {
    async createFile(f) {
      const row = await db.first<FirmwareFileRow>(
        `INSERT INTO firmware_files (id, name, version, size_bytes, sha256, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING RETURNING ${FILE_COLUMNS}`,
        [f.id, f.name, f.version, f.sizeBytes, f.sha256, f.uploadedBy, f.createdAt],
      );
      if (!row) throw new CsmsError('CSMS_ERR_CONFLICT', `firmware file ${f.id} already exists`);
      return toFirmwareFile(row);
    },
    async getFile(id) {
      const row = await db.first<FirmwareFileRow>(`SELECT ${FILE_COLUMNS} FROM firmware_files WHERE id = $1`, [id]);
      return row ? toFirmwareFile(row) : null;
    },
    async listFiles(page) {
      const rows = await db.rows<FirmwareFileRow>(`SELECT ${FILE_COLUMNS} FROM firmware_files ORDER BY created_at DESC, seq DESC LIMIT $1 OFFSET $2`, pageValues(page));
      return rows.map(toFirmwareFile);
    },
    async deleteFile(id) {
      // One statement: a job created meanwhile either sees the row or keeps it.
      const row = await db.first<{ deleted: string | null; used: boolean }>(
        `WITH used AS (SELECT EXISTS (SELECT 1 FROM device_jobs WHERE firmware_id = $1 AND outcome IS NULL) AS used),
              gone AS (DELETE FROM firmware_files WHERE id = $1 AND NOT (SELECT used FROM used) RETURNING id)
         SELECT (SELECT id FROM gone) AS deleted, (SELECT used FROM used) AS used`,
        [id],
      );
      if (row?.deleted) return 'deleted';
      return row?.used ? 'in-use' : 'missing';
    },
    async create(job) {
      const row = await db.first<DeviceJobRow>(
        `INSERT INTO device_jobs (id, kind, charge_point_id, firmware_id, rollout_id, location, token, status, target_version, retrieve_date, requested_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'Requested', $8, $9, $10, $11, $11) ON CONFLICT DO NOTHING RETURNING ${JOB_COLUMNS}`,
        [job.id, job.kind, job.chargePointId, job.firmwareId ?? null, job.rolloutId ?? null, job.location, job.token ?? null, job.targetVersion ?? null, job.retrieveDate ?? null, job.requestedBy ?? null, job.createdAt],
      );
      if (!row) throw new CsmsError('CSMS_ERR_CONFLICT', `job ${job.id} (or its token) already exists`);
      return toDeviceJob(row);
    },
    async get(id) {
      const row = await db.first<DeviceJobRow>(`SELECT ${JOB_COLUMNS} FROM device_jobs WHERE id = $1`, [id]);
      return row ? toDeviceJob(row) : null;
    },
    async byToken(token) {
      const row = await db.first<DeviceJobRow>(`SELECT ${JOB_COLUMNS} FROM device_jobs WHERE token = $1`, [token]);
      return row ? toDeviceJob(row) : null;
    },
    async latestOpen(chargePointId, kind) {
      const row = await db.first<DeviceJobRow>(
        `SELECT ${JOB_COLUMNS} FROM device_jobs WHERE charge_point_id = $1 AND kind = $2 AND outcome IS NULL ORDER BY created_at DESC, seq DESC LIMIT 1`,
        [chargePointId, kind],
      );
      return row ? toDeviceJob(row) : null;
    },
    async update(id, patch, at, opts = {}) {
      const p = new Params();
      const sets = [`updated_at = ${p.add(at)}`];
      for (const [field, column] of Object.entries(PATCH_COLUMNS)) {
        const value = patch[field as keyof DeviceJobPatch];
        if (value !== undefined) sets.push(`${column} = ${p.add(value)}`);
      }
      if (patch.outcome !== undefined) sets.push(`finished_at = ${p.add(at)}`);
      const where = `id = ${p.add(id)}${opts.openOnly ? ' AND outcome IS NULL' : ''}${opts.ifStatus !== undefined ? ` AND status = ${p.add(opts.ifStatus)}` : ''}`;
      const row = await db.first<DeviceJobRow>(`UPDATE device_jobs SET ${sets.join(', ')} WHERE ${where} RETURNING ${JOB_COLUMNS}`, p.values);
      return row ? toDeviceJob(row) : null;
    },
    async countDownload(id, at) {
      await db.query('UPDATE device_jobs SET downloads = downloads + 1, updated_at = $1 WHERE id = $2', [at, id]);
    },
    async list(filter = {}, page) {
      const p = new Params();
      const where: string[] = [];
      if (filter.chargePointId !== undefined) where.push(`charge_point_id = ${p.add(filter.chargePointId)}`);
      if (filter.kind !== undefined) where.push(`kind = ${p.add(filter.kind)}`);
      if (filter.rolloutId !== undefined) where.push(`rollout_id = ${p.add(filter.rolloutId)}`);
      if (filter.open !== undefined) where.push(filter.open ? 'outcome IS NULL' : 'outcome IS NOT NULL');
      const [limit, offset] = pageValues(page);
      const sql = `SELECT ${JOB_COLUMNS} FROM device_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
      return (await db.rows<DeviceJobRow>(sql, p.values)).map(toDeviceJob);
    },
  };
}
