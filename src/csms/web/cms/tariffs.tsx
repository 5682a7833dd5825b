/** @jsxImportSource preact */
/** CMS tariffs: prices per kWh, per minute and per session; create, edit, delete. */
import { useState } from 'preact/hooks';
import { CMS_ROOMS } from '../../domain/notification-routing.ts';
import { useServices } from '../shared/context.ts';
import { dateTime, getNetworkCurrency, minorDigits, money, perKwh } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import type { Page, Tariff } from '../shared/types.ts';
import { Card, Empty, ErrorNote, Field, Form, Loading, Modal, PageHeader, Pager, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { ConfirmDelete, RowActions } from './parts.tsx';

/** Tariff changes are announced where prices are shown: the charge point rooms. */
const TARIFF_ROOMS = [CMS_ROOMS.points];
const PAGE = 50;

/** "0.35" or "0,35" (major units) → 35 (minor units of `currency`, as the API and `money()` count them). */
export function toMinor(text: string, label: string, currency: string): number {
  const t = text.trim().replace(',', '.');
  const n = t === '' ? 0 : Number(t);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${label} must be an amount such as 0.35.`);
  const minor = Math.round(n * 10 ** minorDigits(currency));
  if (minor > 10_000_000) throw new Error(`${label} is too large.`);
  return minor;
}

/** 35 → "0.35": the form shows what people type. */
export function toMajor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

function MoneyInput(props: { name: string; value: string; onInput(v: string): void; required?: boolean }) {
  return <input name={props.name} type="number" min="0" step="any" inputMode="decimal" value={props.value} required={props.required} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />;
}

function TariffModal(props: { tariff?: Tariff; onClose(): void; onSaved(t: Tariff): void }) {
  const { api } = useServices();
  const t = props.tariff;
  const [name, setName] = useState(t?.name ?? '');
  // One network, one currency: a tariff an older version kept in another is re-priced in the network's on save.
  const code = getNetworkCurrency();
  const foreign = t !== undefined && t.currency !== code;
  const [kwh, setKwh] = useState(t ? toMajor(t.pricePerKwh, t.currency) : '');
  const [minute, setMinute] = useState(t ? toMajor(t.pricePerMinute, t.currency) : '0.00');
  const [fee, setFee] = useState(t ? toMajor(t.sessionFee, t.currency) : '0.00');
  const save = async () => {
    const input = {
      name: name.trim(),
      currency: code,
      pricePerKwh: toMinor(kwh, 'Price per kWh', code),
      pricePerMinute: toMinor(minute, 'Price per minute', code),
      sessionFee: toMinor(fee, 'Session fee', code),
    };
    const saved = t
      ? await api.send<Tariff>('PUT', `/api/cms/tariffs/${t.id}`, input)
      : await api.send<Tariff>('POST', '/api/cms/tariffs', input);
    toast('success', t ? 'Tariff saved' : 'Tariff created', `${saved.name}: ${perKwh(saved.pricePerKwh, saved.currency)}`);
    props.onSaved(saved);
    props.onClose();
  };
  return (
    <Modal title={t ? `Edit ${t.name}` : 'New tariff'} onClose={props.onClose}>
      <Form action={save} submitLabel={t ? 'Save' : 'Create tariff'}>
        <div class="form-row">
          <Field label="Name"><TextInput name="name" value={name} onInput={setName} required maxLength={100} /></Field>
          <Field label="Currency" hint="The network's (CURRENCY)"><input name="currency" value={code} readOnly data-testid="tariff-currency" /></Field>
        </div>
        {foreign && <p class="error-note">This tariff is priced in {t.currency}, but wallets are in {code}: no session can start on it until it is saved in {code}. Check the prices below.</p>}
        <Field label="Price per kWh" hint="In major units: 0.35 is 35 cents"><MoneyInput name="pricePerKwh" value={kwh} onInput={setKwh} required /></Field>
        <div class="form-row">
          <Field label="Price per minute" hint="Per started minute of charging"><MoneyInput name="pricePerMinute" value={minute} onInput={setMinute} /></Field>
          <Field label="Session fee" hint="Once per session"><MoneyInput name="sessionFee" value={fee} onInput={setFee} /></Field>
        </div>
      </Form>
    </Modal>
  );
}

type Editing = { mode: 'create' } | { mode: 'edit'; tariff: Tariff } | { mode: 'delete'; tariff: Tariff } | null;

export function TariffsPage() {
  const { api } = useServices();
  const [editing, setEditing] = useState<Editing>(null);
  const [offset, setOffset] = useState(0);
  const tariffs = useResource<Page<Tariff>>(`/api/cms/tariffs?limit=${PAGE}&offset=${offset}`, {
    refresh: 'list',
    rooms: TARIFF_ROOMS,
    on: {
      'tariff.created': () => 'refetch',
      'tariff.updated': () => 'refetch',
      'tariff.deleted': () => 'refetch',
    },
  });
  const close = () => setEditing(null);
  // Our own writes show at once; the notification (or the next poll) confirms them.
  const saved = (t: Tariff) => {
    const cur = tariffs.data;
    if (!cur) return void tariffs.reload();
    const known = cur.items.some((x) => x.id === t.id);
    tariffs.set({ ...cur, items: known ? cur.items.map((x) => (x.id === t.id ? t : x)) : [...cur.items, t] });
  };
  const remove = async (t: Tariff) => {
    await api.send('DELETE', `/api/cms/tariffs/${t.id}`);
    toast('success', 'Tariff deleted', t.name);
    if (tariffs.data) tariffs.set({ ...tariffs.data, items: tariffs.data.items.filter((x) => x.id !== t.id) });
  };
  const items = tariffs.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Tariffs"
        subtitle="What charging costs. A charge point uses its own tariff; a session keeps the price it started with."
        actions={<button class="btn btn-primary" onClick={() => setEditing({ mode: 'create' })} data-testid="tariff-create">New tariff</button>}
      />
      <ErrorNote error={tariffs.error} />
      {tariffs.loading && !tariffs.data ? <Loading /> : (
        <Card>
          {items.length === 0 ? <Empty>No tariffs yet: charging is free until a charge point gets one.</Empty> : (
            <div class="table-wrap">
              <table data-testid="tariffs-table">
                <thead><tr><th>Name</th><th>Currency</th><th class="right">Per kWh</th><th class="right">Per minute</th><th class="right">Session fee</th><th>Updated</th><th /></tr></thead>
                <tbody>
                  {items.map((t) => (
                    <tr key={t.id} data-testid={`tariff-${t.id}`}>
                      <td>{t.name}</td>
                      <td><code>{t.currency}</code></td>
                      <td class="right num" data-testid="price-kwh">{money(t.pricePerKwh, t.currency)}</td>
                      <td class="right num">{t.pricePerMinute > 0 ? money(t.pricePerMinute, t.currency) : <span class="muted">—</span>}</td>
                      <td class="right num">{t.sessionFee > 0 ? money(t.sessionFee, t.currency) : <span class="muted">—</span>}</td>
                      <td class="muted">{dateTime(t.updatedAt)}</td>
                      <RowActions testid="tariff" onEdit={() => setEditing({ mode: 'edit', tariff: t })} onDelete={() => setEditing({ mode: 'delete', tariff: t })} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager offset={offset} size={PAGE} total={tariffs.data?.total ?? 0} onChange={setOffset} />
        </Card>
      )}
      {editing?.mode === 'create' && <TariffModal onClose={close} onSaved={saved} />}
      {editing?.mode === 'edit' && <TariffModal tariff={editing.tariff} onClose={close} onSaved={saved} />}
      {editing?.mode === 'delete' && (
        <ConfirmDelete
          title="Delete tariff"
          action={() => remove(editing.tariff)}
          onClose={close}
          inUse={`${editing.tariff.name} is still used by at least one charge point. Give those charge points another tariff (or none) first.`}
        >
          Delete the tariff <strong>{editing.tariff.name}</strong>? Finished sessions keep the prices they were charged.
        </ConfirmDelete>
      )}
    </>
  );
}
