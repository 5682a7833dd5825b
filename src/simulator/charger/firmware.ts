/**
 * Firmware Management on the simulated charger (E2 §4.4, §4.5, §5.9, §5.19): UpdateFirmware really
 * downloads the image over HTTP(S) and walks Downloading → Downloaded → Installing → Installed, then
 * reboots and boots with the new firmwareVersion; GetDiagnostics really uploads a generated file
 * (HTTP PUT) and walks Uploading → Uploaded. Failures: DownloadFailed after the retries,
 * InstallationFailed, UploadFailed. TriggerMessage reports the current state, Idle when none runs.
 *
 * The new firmwareVersion comes from the image: its first line `EVSIM-FIRMWARE <version> <sha256>`
 * (sha256 of the rest, checked: a mismatch is a failed download); without that line, a version in
 * the URL's file name (`charger-2.1.0.bin` → `2.1.0`); else `sha-` and the first 8 hex digits of its
 * sha256.
 *
 * Running transactions: E2 §5.19 lets a charger that cannot charge while it installs wait until its
 * sessions end, with idle connectors Unavailable meanwhile. This charger does exactly that once the
 * image is downloaded: no transaction is stopped, no new one can start, and it installs once every
 * connector is free.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DiagnosticsStatus, FirmwareStatus, GetDiagnosticsRequest, GetDiagnosticsResponse, UpdateFirmwareRequest, UpdateFirmwareResponse } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import { reboot } from './power.ts';

/** How the simulated installation fails on purpose (a rollout's `failShare`). */
export type FirmwareFault = 'download' | 'install' | null;

interface FirmwareState {
  firmware: FirmwareStatus;
  diagnostics: DiagnosticsStatus;
  /** Bumped by each UpdateFirmware: a newer one replaces one still waiting or running. */
  gen: number;
  fault: FirmwareFault;
  /** Connectors an installation made Unavailable while it waits (E2 §5.19): only these are freed after it. */
  held: Set<number>;
}

const HEADER = 'EVSIM-FIRMWARE';
/** How long the simulated installation takes. */
const INSTALL_MS = 1000;
/** How long the reboot after an installation keeps the charger down. */
const REBOOT_DOWNTIME_MS = 1000;
/** How long a status notice waits for the connection before it is given up. */
const NOTICE_WAIT_MS = 60_000;
/** retryInterval when UpdateFirmware / GetDiagnostics gives none (the charger's choice, E2 §6.21, §6.43). */
const DEFAULT_RETRY_INTERVAL_S = 5;
const TRANSFER_TIMEOUT_MS = 60_000;

const states = new WeakMap<SimCharger, FirmwareState>();

function stateOf(ch: SimCharger): FirmwareState {
  let st = states.get(ch);
  if (!st) {
    st = { firmware: 'Idle', diagnostics: 'Idle', gen: 0, fault: null, held: new Set() };
    states.set(ch, st);
  }
  return st;
}

/** Makes this charger's next installations fail (`download`: every attempt gets a corrupt image). */
export function setFirmwareFault(ch: SimCharger, fault: FirmwareFault): void {
  stateOf(ch).fault = fault;
}

/** A firmware image this charger accepts: the header line, then `payload`. */
export function firmwareImage(version: string, payload: Uint8Array): Buffer {
  const sha = createHash('sha256').update(payload).digest('hex');
  return Buffer.concat([Buffer.from(`${HEADER} ${version} ${sha}\n`), payload]);
}

/** The version an image installs, or null when its header's checksum does not match (a corrupt download). */
export function imageVersion(bytes: Buffer, url: string): string | null {
  const nl = bytes.indexOf(0x0a);
  const first = nl > 0 ? bytes.subarray(0, nl).toString('latin1') : '';
  const m = new RegExp(`^${HEADER} (\\S{1,50}) ([0-9a-f]{64})$`).exec(first);
  if (m) return createHash('sha256').update(bytes.subarray(nl + 1)).digest('hex') === m[2] ? m[1] : null;
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').replace(/(\.(bin|img|fw|zip|tar|gz|tgz|hex))+$/i, '');
  const named = /(\d+(?:\.\d+)+(?:[-+][\w.]+)?)$/.exec(name);
  if (named) return named[1].slice(0, 50);
  return `sha-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The charger is still the one this work was started for (no newer update, not shut down). */
const alive = (ch: SimCharger, gen?: number) => ch.state !== 'closed' && (gen === undefined || stateOf(ch).gen === gen);

/** Sends a status notice once the charger is online (it waits out a reconnect), then records it. */
async function notice(ch: SimCharger, action: 'FirmwareStatusNotification' | 'DiagnosticsStatusNotification', status: string): Promise<void> {
  const until = performance.now() + NOTICE_WAIT_MS;
  while (!ch.link() && ch.state !== 'closed' && performance.now() < until) await sleep(100);
  if (!ch.link()) return;
  await ch.call(action, { status }, performance.now()).catch((error: unknown) => ch.failed(action, error));
}

async function setFirmware(ch: SimCharger, status: FirmwareStatus): Promise<void> {
  stateOf(ch).firmware = status;
  await notice(ch, 'FirmwareStatusNotification', status);
}

async function setDiagnostics(ch: SimCharger, status: DiagnosticsStatus): Promise<void> {
  stateOf(ch).diagnostics = status;
  await notice(ch, 'DiagnosticsStatusNotification', status);
}

async function transfer(url: string, init: RequestInit): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TRANSFER_TIMEOUT_MS).unref();
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** One download attempt: the version the image installs, or null (network, HTTP status, checksum). */
async function download(ch: SimCharger, location: string): Promise<string | null> {
  try {
    const res = await transfer(location, {});
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    // A corrupt transfer, as a fault: the header's checksum catches it.
    if (stateOf(ch).fault === 'download' && bytes.length > 0) bytes[bytes.length - 1] ^= 0xff;
    return imageVersion(bytes, location);
  } catch {
    return null;
  }
}

/** E2 §5.19: idle connectors Unavailable until the running transactions have ended. */
async function waitForIdle(ch: SimCharger, gen: number): Promise<void> {
  const { held } = stateOf(ch);
  while (alive(ch, gen)) {
    ch.connectors.forEach((c, i) => {
      if (c.tx === null && c.heldBy === null && c.status === 'Available') {
        c.status = 'Unavailable';
        held.add(i);
        ch.report(i + 1, 'Unavailable');
      }
    });
    if (!ch.charging && ch.connectors.every((c) => c.heldBy === null)) return;
    await sleep(200);
  }
}

/**
 * The connectors held for the installation (also by one a newer UpdateFirmware replaced) are free
 * again; a connector the CSMS made Inoperative stays Unavailable (E2 §5.2, kept across reboots).
 */
function release(ch: SimCharger, report: boolean): void {
  const { held } = stateOf(ch);
  for (const i of held) {
    const c = ch.connectors[i];
    if (!c || c.status !== 'Unavailable' || c.unavailableAfterTx || ch.cpUnavailable) continue;
    c.status = 'Available';
    if (report) ch.report(i + 1, 'Available');
  }
  held.clear();
}

async function runUpdate(ch: SimCharger, req: UpdateFirmwareRequest, gen: number): Promise<void> {
  const attempts = Math.max(1, req.retries ?? 1);
  const intervalMs = (req.retryInterval ?? DEFAULT_RETRY_INTERVAL_S) * 1000;
  const st = stateOf(ch);
  await setFirmware(ch, 'Downloading');
  let version: string | null = null;
  for (let attempt = 1; attempt <= attempts && alive(ch, gen); attempt++) {
    version = /^https?:\/\//i.test(req.location) ? await download(ch, req.location) : null;
    if (version !== null || attempt === attempts) break;
    await sleep(intervalMs);
  }
  if (!alive(ch, gen)) return;
  if (version === null) {
    await setFirmware(ch, 'DownloadFailed');
    st.firmware = 'Idle';
    // An update this one replaced may have held connectors while it waited.
    release(ch, true);
    return;
  }
  await setFirmware(ch, 'Downloaded');
  await waitForIdle(ch, gen);
  if (!alive(ch, gen)) return;
  await setFirmware(ch, 'Installing');
  await sleep(INSTALL_MS);
  if (!alive(ch, gen)) return;
  if (st.fault === 'install') {
    await setFirmware(ch, 'InstallationFailed');
    st.firmware = 'Idle';
    release(ch, true);
    return;
  }
  await setFirmware(ch, 'Installed');
  st.firmware = 'Idle';
  ch.firmwareVersion = version;
  // The boot after the reboot reports the connectors as they are then.
  release(ch, false);
  if (alive(ch, gen)) reboot(ch, REBOOT_DOWNTIME_MS, 'SoftReset', true);
}

/** setTimeout's longest delay (about 24.8 days); a later retrieveDate is waited for in steps. */
const MAX_TIMER_MS = 2_147_483_647;

function startAt(ch: SimCharger, req: UpdateFirmwareRequest, gen: number): void {
  if (!alive(ch, gen)) return;
  const delay = Date.parse(req.retrieveDate) - (Date.now() + ch.clockOffsetMs);
  if (Number.isFinite(delay) && delay > MAX_TIMER_MS) {
    setTimeout(startAt, MAX_TIMER_MS, ch, req, gen).unref();
    return;
  }
  setTimeout(() => {
    runUpdate(ch, req, gen).catch((error: unknown) => ch.failed('UpdateFirmware', error));
  }, Number.isFinite(delay) ? Math.max(0, delay) : 0).unref();
}

/** UpdateFirmware (E2 §5.19): answered at once; the work starts at retrieveDate. */
export function updateFirmware(ch: SimCharger, req: UpdateFirmwareRequest): UpdateFirmwareResponse {
  startAt(ch, req, ++stateOf(ch).gen);
  return {};
}

/** The generated diagnostics file: what a support engineer would ask for first. */
function diagnosticsFile(ch: SimCharger, req: GetDiagnosticsRequest): string {
  const lines = [
    `charger ${ch.id} vendor ${ch.tpl.vendor} model ${ch.tpl.model} firmware ${ch.firmwareVersion}`,
    `generated ${new Date(Date.now() + ch.clockOffsetMs).toISOString()} window ${req.startTime ?? '-'} .. ${req.stopTime ?? '-'}`,
    `state ${ch.state} booted ${ch.booted}`,
    ...ch.connectors.map((c, i) => `connector ${i + 1} ${c.status} register ${Math.floor(c.registerWh)} Wh${c.tx ? ` transaction ${c.tx.transactionId}` : ''}`),
    ...(ch.config.get().configurationKey ?? []).map((k) => `config ${k.key}=${k.value ?? ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function runUpload(ch: SimCharger, req: GetDiagnosticsRequest, fileName: string): Promise<void> {
  const attempts = Math.max(1, req.retries ?? 1);
  const intervalMs = (req.retryInterval ?? DEFAULT_RETRY_INTERVAL_S) * 1000;
  await setDiagnostics(ch, 'Uploading');
  const content = diagnosticsFile(ch, req);
  let ok = false;
  for (let attempt = 1; attempt <= attempts && alive(ch); attempt++) {
    if (!/^https?:\/\//i.test(req.location)) break; // FTP is not spoken here: a failed upload
    const res = await transfer(req.location, { method: 'PUT', headers: { 'content-type': 'text/plain', 'x-file-name': fileName }, body: content }).catch(() => null);
    await res?.body?.cancel();
    ok = res !== null && res.ok;
    if (ok || attempt === attempts) break;
    await sleep(intervalMs);
  }
  if (!alive(ch)) return;
  await setDiagnostics(ch, ok ? 'Uploaded' : 'UploadFailed');
  stateOf(ch).diagnostics = 'Idle';
}

/** GetDiagnostics (E2 §5.9): answers the file name, then uploads it to `location`. */
export function getDiagnostics(ch: SimCharger, req: GetDiagnosticsRequest): GetDiagnosticsResponse {
  const fileName = `${ch.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now()}.log`.slice(-255);
  setImmediate(() => {
    runUpload(ch, req, fileName).catch((error: unknown) => ch.failed('GetDiagnostics', error));
  });
  return { fileName };
}

/** TriggerMessage of FirmwareStatusNotification / DiagnosticsStatusNotification (E2 §5.17): the state now, Idle when nothing runs. */
export function triggerFirmwareNotice(ch: SimCharger, requested: 'FirmwareStatusNotification' | 'DiagnosticsStatusNotification'): void {
  const st = stateOf(ch);
  void notice(ch, requested, requested === 'FirmwareStatusNotification' ? st.firmware : st.diagnostics);
}
