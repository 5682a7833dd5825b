/** Rows of firmware_files and device_jobs and their domain objects, shared by both adapters. */
import type { DeviceJob, FirmwareFile, JobKind, JobOutcome } from '../../domain/device-jobs.ts';

export interface FirmwareFileRow {
  id: string;
  name: string;
  version: string;
  /** PostgreSQL BIGINT arrives as a string. */
  size_bytes: number | string;
  sha256: string;
  uploaded_by: string | null;
  created_at: string;
}

export const toFirmwareFile = (r: FirmwareFileRow): FirmwareFile => ({
  id: r.id, name: r.name, version: r.version, sizeBytes: Number(r.size_bytes), sha256: r.sha256, uploadedBy: r.uploaded_by, createdAt: r.created_at,
});

export interface DeviceJobRow {
  id: string;
  kind: JobKind;
  charge_point_id: string;
  firmware_id: string | null;
  rollout_id: string | null;
  location: string;
  token: string | null;
  status: string;
  outcome: JobOutcome | null;
  detail: string | null;
  target_version: string | null;
  retrieve_date: string | null;
  file_name: string | null;
  file_bytes: number | string | null;
  downloads: number;
  command_id: string | null;
  requested_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export const toDeviceJob = (r: DeviceJobRow): DeviceJob => ({
  id: r.id,
  kind: r.kind,
  chargePointId: r.charge_point_id,
  firmwareId: r.firmware_id,
  rolloutId: r.rollout_id,
  location: r.location,
  token: r.token,
  status: r.status,
  outcome: r.outcome,
  detail: r.detail,
  targetVersion: r.target_version,
  retrieveDate: r.retrieve_date,
  fileName: r.file_name,
  fileBytes: r.file_bytes === null ? null : Number(r.file_bytes),
  downloads: Number(r.downloads),
  commandId: r.command_id,
  requestedBy: r.requested_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/** The columns a DeviceJobPatch may set, by its field. */
export const PATCH_COLUMNS = {
  status: 'status', outcome: 'outcome', detail: 'detail', fileName: 'file_name', fileBytes: 'file_bytes', commandId: 'command_id',
} as const;

export const JOB_COLUMNS = 'id, kind, charge_point_id, firmware_id, rollout_id, location, token, status, outcome, detail, target_version, retrieve_date, file_name, file_bytes, downloads, command_id, requested_by, created_at, updated_at, finished_at';
