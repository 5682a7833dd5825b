/**
 * Firmware updates and diagnostics requests as jobs (E2 §4.4, §4.5, §5.9, §5.19): the CSMS records
 * each one it sends, and the charger's FirmwareStatusNotification / DiagnosticsStatusNotification
 * move it on. 1.6 carries no job id in those notices, so a notice belongs to the charger's latest
 * open job of its kind; an `Idle` (the answer to a TriggerMessage when nothing runs) is recorded
 * in the log and changes nothing. A firmware job is done when, after `Installed`, the charger boots
 * with the version the job installs.
 */
import { notify } from './notifications.ts';
import type { Page, Store } from './ports.ts';
import type { Notification } from './types.ts';

export type JobKind = 'firmware' | 'diagnostics';
export type JobOutcome = 'done' | 'failed';

/** A firmware image an admin uploaded; its bytes live in the files directory under `id`. */
export interface FirmwareFile {
  id: string;
  name: string;
  version: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string | null;
  createdAt: string;
}

/**
 * One UpdateFirmware or GetDiagnostics sent to one charger. `status` is the last state: `Requested`
 * (recorded, being sent), `Sent` (the charger answered), `NotSent` (offline, timeout, CALLERROR), then
 * what its notices report (Downloading … Installed, Uploading / Uploaded / UploadFailed). `outcome`
 * is null while the job is open.
 */
export interface DeviceJob {
  id: string;
  kind: JobKind;
  chargePointId: string;
  firmwareId: string | null;
  /** Jobs created together by one rollout share it. */
  rolloutId: string | null;
  /** The URL sent to the charger. */
  location: string;
  /** The secret in the download / upload URL; null for a firmware job with an outside location. */
  token: string | null;
  status: string;
  outcome: JobOutcome | null;
  detail: string | null;
  /** The firmwareVersion a boot must report for the job to be done; null: any boot after Installed. */
  targetVersion: string | null;
  retrieveDate: string | null;
  /** Diagnostics: the file name the charger answered (absent: it has no diagnostics). */
  fileName: string | null;
  /** Diagnostics: bytes received at the upload URL; null until a file came. */
  fileBytes: number | null;
  /** Firmware: how often the image was fetched through this job's URL. */
  downloads: number;
  commandId: string | null;
  requestedBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export type NewDeviceJob = Pick<DeviceJob, 'id' | 'kind' | 'chargePointId' | 'location' | 'createdAt'> &
  Partial<Pick<DeviceJob, 'firmwareId' | 'rolloutId' | 'token' | 'targetVersion' | 'retrieveDate' | 'requestedBy'>>;

/** What an update may change; `outcome` set also sets finished_at. */
export type DeviceJobPatch = Partial<Pick<DeviceJob, 'status' | 'outcome' | 'detail' | 'fileName' | 'fileBytes' | 'commandId'>>;

export interface DeviceJobFilter {
  chargePointId?: string;
  kind?: JobKind;
  rolloutId?: string;
  /** true: only open jobs; false: only finished ones. */
  open?: boolean;
}

/** Firmware files and device jobs. */
export interface DeviceJobRepo {
  createFile(file: FirmwareFile): Promise<FirmwareFile>;
  getFile(id: string): Promise<FirmwareFile | null>;
  /** Newest first. */
  listFiles(page?: Page): Promise<FirmwareFile[]>;
  /** Deletes the file's row unless an open job installs it; `in-use` then, `missing` when there is none. */
  deleteFile(id: string): Promise<'deleted' | 'in-use' | 'missing'>;
  create(job: NewDeviceJob): Promise<DeviceJob>;
  get(id: string): Promise<DeviceJob | null>;
  byToken(token: string): Promise<DeviceJob | null>;
  /** The charger's newest job of `kind` that has no outcome yet. */
  latestOpen(chargePointId: string, kind: JobKind): Promise<DeviceJob | null>;
  /** Applies `patch` (only to an open job when `openOnly`, only in status `ifStatus` when given); null when no job changed. */
  update(id: string, patch: DeviceJobPatch, at: string, opts?: { openOnly?: boolean; ifStatus?: string }): Promise<DeviceJob | null>;
  /** Counts one download of the job's firmware. */
  countDownload(id: string, at: string): Promise<void>;
  /** Newest first. */
  list(filter?: DeviceJobFilter, page?: Page): Promise<DeviceJob[]>;
}

/** The public shape of a job in notifications and lists: everything but the token. */
export function jobPayload(job: DeviceJob): Record<string, unknown> {
  const { token: _token, ...rest } = job;
  return rest;
}

const FIRMWARE_FAILED = new Set(['DownloadFailed', 'InstallationFailed']);

function jobNotification(job: DeviceJob, at: string): Notification {
  const type = job.kind === 'firmware' ? 'firmware.status' : 'diagnostics.status';
  return notify(type, { chargePointId: job.chargePointId, job: jobPayload(job), at }, at, { chargePointId: job.chargePointId });
}

/**
 * A FirmwareStatusNotification (E2 §4.5): moves the charger's latest open firmware job. `Installed`
 * stays open until the boot that follows; a failure ends the job. `Idle` changes nothing.
 */
export async function applyFirmwareStatus(store: Store, chargePointId: string, status: string, at: string): Promise<Notification[]> {
  if (status === 'Idle') return [];
  const job = await store.deviceJobs.latestOpen(chargePointId, 'firmware');
  if (!job) return [];
  const failed = FIRMWARE_FAILED.has(status);
  const updated = await store.deviceJobs.update(job.id, { status, ...(failed ? { outcome: 'failed', detail: `the charger reported ${status}` } : {}) }, at, { openOnly: true });
  return updated ? [jobNotification(updated, at)] : [];
}

/**
 * A DiagnosticsStatusNotification (E2 §4.4): `Uploaded` ends the job done (the file is the upload
 * route's to record), `UploadFailed` ends it failed. `Idle` changes nothing.
 */
export async function applyDiagnosticsStatus(store: Store, chargePointId: string, status: string, at: string): Promise<Notification[]> {
  if (status === 'Idle') return [];
  const job = await store.deviceJobs.latestOpen(chargePointId, 'diagnostics');
  if (!job) return [];
  const outcome: JobOutcome | undefined = status === 'Uploaded' ? 'done' : status === 'UploadFailed' ? 'failed' : undefined;
  const detail = status === 'Uploaded' && job.fileBytes === null ? 'the charger reported Uploaded, but no file arrived at the upload URL' : status === 'UploadFailed' ? 'the charger reported UploadFailed' : undefined;
  const updated = await store.deviceJobs.update(job.id, { status, ...(outcome ? { outcome } : {}), ...(detail ? { detail } : {}) }, at, { openOnly: true });
  return updated ? [jobNotification(updated, at)] : [];
}

/**
 * A BootNotification: a firmware job that reached `Installed` is done when the charger now runs the
 * version it installs (or the job names none), and failed when it boots with another one.
 */
export async function applyBootFirmware(store: Store, chargePointId: string, firmwareVersion: string | null, at: string): Promise<Notification[]> {
  const job = await store.deviceJobs.latestOpen(chargePointId, 'firmware');
  if (!job || job.status !== 'Installed') return [];
  const matches = job.targetVersion === null || job.targetVersion === firmwareVersion;
  const patch = matches
    ? { status: 'Done', outcome: 'done' as const, detail: `booted with firmware ${firmwareVersion ?? '(none reported)'}` }
    : { status: 'VersionMismatch', outcome: 'failed' as const, detail: `booted with firmware ${firmwareVersion ?? '(none reported)'}, expected ${job.targetVersion}` };
  const updated = await store.deviceJobs.update(job.id, patch, at, { openOnly: true });
  return updated ? [jobNotification(updated, at)] : [];
}

/** A job's change made outside the processor (sent, not sent, a file uploaded), as a notification. */
export function jobChanged(job: DeviceJob, at: string): Notification {
  return jobNotification(job, at);
}
