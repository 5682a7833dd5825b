/** @jsxImportSource preact */
/**
 * Firmware and diagnostics (docs/firmware.md): the firmware files, an upload, a rollout, and the jobs
 * with their states; a charger's own jobs on its detail page (JobsCard), live from its room.
 */
import { useState } from 'preact/hooks';
import { CMS_ROOMS, pointRoom } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { ago, count } from '../shared/format.ts';
import { href } from '../shared/router.ts';
import { toast } from '../shared/toasts.tsx';
import type { Items } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Field, Form, PageHeader } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

interface FirmwareFile {
  id: string;
  name: string;
  version: string;
  sizeBytes: number;
  sha256: string;
  createdAt: string;
}

interface Job {
  id: string;
  kind: 'firmware' | 'diagnostics';
  chargePointId: string;
  rolloutId: string | null;
  status: string;
  outcome: 'done' | 'failed' | null;
  detail: string | null;
  targetVersion: string | null;
  fileName: string | null;
  fileBytes: number | null;
  downloads: number;
  createdAt: string;
  updatedAt: string;
}

interface JobAnswer { job: Job; commandStatus: string }

const bytes = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** Saves a diagnostics file: fetched with the admin's token, then handed to the browser. */
function useDownload() {
  const { api } = useServices();
  return async (job: Job) => {
    try {
      const blob = await api.blob(`/api/cms/jobs/${encodeURIComponent(job.id)}/diagnostics`);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = job.fileName ?? `${job.chargePointId}-diagnostics`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast('error', 'Could not download', (err as Error).message);
    }
  };
}

function JobRows(props: { jobs: Job[]; showCharger: boolean }) {
  const download = useDownload();
  return (
    <table data-testid="jobs">
      <thead><tr><th>Kind</th>{props.showCharger && <th>Charger</th>}<th>Status</th><th>Detail</th><th /><th class="right">Updated</th></tr></thead>
      <tbody>
        {props.jobs.map((j) => (
          <tr key={j.id} data-testid={`job-${j.kind}`}>
            <td>{j.kind === 'firmware' ? `Firmware ${j.targetVersion ?? ''}` : 'Diagnostics'}</td>
            {props.showCharger && <td><a href={href('points', j.chargePointId)}>{j.chargePointId}</a></td>}
            <td data-testid="job-status"><Badge status={j.outcome === 'failed' ? 'Faulted' : j.outcome === 'done' ? 'Available' : 'Preparing'} label={j.status} /></td>
            <td class="muted">{j.detail ?? ''}{j.kind === 'firmware' && j.downloads > 0 ? ` · downloaded ${count(j.downloads)}×` : ''}</td>
            <td>{j.kind === 'diagnostics' && j.fileBytes !== null && (
              <button class="btn btn-small" data-testid="download-diagnostics" onClick={() => download(j)}>{j.fileName ?? 'file'} ({bytes(j.fileBytes)})</button>
            )}</td>
            <td class="muted right">{ago(j.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** On a charger's detail page: its jobs, an update to a firmware file, a diagnostics request. */
export function JobsCard(props: { chargePointId: string; online: boolean }) {
  const { api } = useServices();
  const cp = props.chargePointId;
  const [firmwareId, setFirmwareId] = useState('');
  const [busy, setBusy] = useState(false);
  const jobs = useResource<Items<Job>>(`/api/charger/${encodeURIComponent(cp)}/jobs?limit=10`, {
    refresh: 'detail',
    rooms: [pointRoom(cp)],
    on: { 'firmware.status': () => 'refetch', 'diagnostics.status': () => 'refetch' },
  });
  const files = useResource<Items<FirmwareFile>>('/api/cms/firmware?limit=50', { refresh: 'list' });
  const start = async (label: string, path: string, body: Record<string, unknown>) => {
    setBusy(true);
    try {
      const answer = await api.send<JobAnswer>('POST', path, { chargePointId: cp, ...body });
      toast(answer.job.outcome === 'failed' ? 'error' : 'success', `${label}: ${answer.job.status}`, cp);
    } catch (err) {
      toast('error', `${label} failed`, (err as Error).message);
    } finally {
      setBusy(false);
      void jobs.reload();
    }
  };
  const chosen = firmwareId || files.data?.items[0]?.id || '';
  return (
    <Card title="Firmware and diagnostics" testid="point-jobs">
      <div class="stack">
        <div class="actions">
          <select value={chosen} onChange={(e) => setFirmwareId((e.target as HTMLSelectElement).value)} aria-label="Firmware file">
            {(files.data?.items ?? []).map((f) => <option key={f.id} value={f.id}>{f.name} ({f.version})</option>)}
          </select>
          <button class="btn" disabled={!props.online || busy || !chosen} data-testid="update-firmware" onClick={() => start('Update firmware', '/api/charger/update-firmware', { firmwareId: chosen })}>Update firmware</button>
          <button class="btn" disabled={!props.online || busy} data-testid="get-diagnostics" onClick={() => start('Diagnostics', '/api/charger/get-diagnostics', {})}>Request diagnostics</button>
          <a href={href('firmware')}>All firmware jobs →</a>
        </div>
        <ErrorNote error={jobs.error} />
        {jobs.data?.items.length === 0 ? <Empty>No firmware update or diagnostics request yet.</Empty> : jobs.data && <JobRows jobs={jobs.data.items} showCharger={false} />}
      </div>
    </Card>
  );
}

function UploadForm(props: { onUploaded(): void }) {
  const { api } = useServices();
  const [file, setFile] = useState<File | null>(null);
  const [version, setVersion] = useState('');
  return (
    <Form submitLabel="Upload" action={async () => {
      if (!file) throw new Error('Choose a file');
      const uploaded = await api.upload<FirmwareFile>(`/api/cms/firmware?name=${encodeURIComponent(file.name)}&version=${encodeURIComponent(version)}`, file);
      toast('success', 'Firmware uploaded', `${uploaded.name} ${uploaded.version}`);
      props.onUploaded();
    }}>
      <div class="form-row">
        <Field label="Image"><input type="file" data-testid="firmware-file" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} /></Field>
        <Field label="Version it installs"><input required maxLength={50} value={version} data-testid="firmware-version" onInput={(e) => setVersion((e.target as HTMLInputElement).value)} /></Field>
      </div>
    </Form>
  );
}

function RolloutForm(props: { file: FirmwareFile; onDone(): void }) {
  const { api } = useServices();
  const [ids, setIds] = useState('');
  return (
    <Form submitLabel={`Roll out ${props.file.version}`} action={async () => {
      const chargePointIds = ids.split(/[\s,]+/).filter(Boolean);
      const answer = await api.send<{ items: JobAnswer[] }>('POST', '/api/cms/firmware/rollouts', { firmwareId: props.file.id, chargePointIds });
      const sent = answer.items.filter((i) => i.job.outcome !== 'failed').length;
      toast(sent === answer.items.length ? 'success' : 'warning', `Rollout: ${sent} of ${answer.items.length} sent`, props.file.name);
      setIds('');
      props.onDone();
    }}>
      <Field label="Charge points" hint="identities, separated by commas or spaces"><input required value={ids} data-testid="rollout-ids" onInput={(e) => setIds((e.target as HTMLInputElement).value)} /></Field>
    </Form>
  );
}

/** The Firmware page of the CMS. */
export function FirmwarePage() {
  const { api } = useServices();
  const files = useResource<Items<FirmwareFile>>('/api/cms/firmware?limit=50', { refresh: 'list' });
  const jobs = useResource<Items<Job>>('/api/cms/jobs?limit=100', {
    refresh: 'list',
    rooms: [CMS_ROOMS.jobs],
    on: { 'firmware.status': () => 'refetch', 'diagnostics.status': () => 'refetch' },
  });
  const [rollout, setRollout] = useState<FirmwareFile | null>(null);
  return (
    <>
      <PageHeader title="Firmware and diagnostics" subtitle="Images chargers download from this CSMS, and every update and diagnostics request" actions={<button class="btn" onClick={() => void jobs.reload()}>Refresh</button>} />
      <div class="stack">
        <div class="grid grid-2">
          <Card title="Upload an image"><UploadForm onUploaded={() => void files.reload()} /></Card>
          <Card title="Firmware files" testid="firmware-files">
            <ErrorNote error={files.error} />
            {files.data?.items.length === 0 ? <Empty>No firmware uploaded yet.</Empty> : (
              <table>
                <tbody>
                  {files.data?.items.map((f) => (
                    <tr key={f.id}>
                      <td>{f.name}</td><td>{f.version}</td><td class="muted">{bytes(f.sizeBytes)}</td>
                      <td class="muted mono" title={f.sha256}>{f.sha256.slice(0, 12)}</td>
                      <td class="right">
                        <button class="btn btn-small" onClick={() => setRollout(f)}>Roll out…</button>{' '}
                        <button class="btn btn-small btn-danger" onClick={async () => {
                          if (!confirm(`Delete ${f.name} (${f.version})?`)) return;
                          try {
                            await api.send('DELETE', `/api/cms/firmware/${encodeURIComponent(f.id)}`);
                            toast('success', 'Firmware deleted', f.name);
                          } catch (err) {
                            toast('error', 'Could not delete', (err as Error).message);
                          }
                          void files.reload();
                        }}>Delete</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {rollout && <RolloutForm file={rollout} onDone={() => { setRollout(null); void jobs.reload(); }} />}
          </Card>
        </div>
        <Card title="Jobs" testid="all-jobs">
          <ErrorNote error={jobs.error} />
          {jobs.data?.items.length === 0 ? <Empty>No jobs yet.</Empty> : jobs.data && <JobRows jobs={jobs.data.items} showCharger />}
        </Card>
      </div>
    </>
  );
}
