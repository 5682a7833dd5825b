/** @jsxImportSource preact */
/** CMS customers (accounts as in docs/rest-api.md): search, balances, wallets, create, edit, block, delete, and their cards. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../shared/api.ts';
import { useServices } from '../shared/context.ts';
import { count, dateTime, money } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import type { IdTagCard, Page, User } from '../shared/types.ts';
import { Card, Empty, ErrorNote, Field, Form, Loading, Modal, PageHeader, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { CustomerWalletModal } from './customer-wallet.tsx';
import { ConfirmDelete, RowActions } from './parts.tsx';

/** A card as GET /api/cms/customers/:id/id-tags shows it. */
interface CardView extends IdTagCard {
  primary: boolean;
  activeSessions: number;
}

/** A row of GET /api/cms/customers. */
interface Customer extends User {
  balanceMinor: number;
  idTags: CardView[];
}

const MAX_CONCURRENT = 10_000;

const PAGE_SIZE = 25;
const SEARCH_DEBOUNCE_MS = 300;

/** The API's refusals of a customer write, in words. */
function explain(err: unknown): Error {
  const e = err as ApiError;
  if (e.code === 'CSMS_ERR_EMAIL_TAKEN') return new Error('An account with this email already exists.');
  if (e.code === 'CSMS_ERR_ID_TAG_TAKEN') return new Error('This idTag is already assigned (to this or another account).');
  if (e.code === 'CSMS_ERR_IN_USE') return new Error('This card is charging right now: block it instead, or delete it once the session has ended.');
  if (e.status === 409) return new Error('This email or idTag is already used by another account.');
  return e;
}

function CustomerModal(props: { customer?: Customer; onClose(): void; onSaved(c: Customer): void }) {
  const { api } = useServices();
  const c = props.customer;
  const [email, setEmail] = useState(c?.email ?? '');
  const [name, setName] = useState(c?.name ?? '');
  const [password, setPassword] = useState('');
  const [idTag, setIdTag] = useState(c?.idTag ?? '');
  const [blocked, setBlocked] = useState(c?.blocked ?? false);
  const [maxSessions, setMaxSessions] = useState(String(c?.maxConcurrentSessions ?? 1));
  const save = async () => {
    const tag = idTag.trim();
    const maxConcurrentSessions = Number(maxSessions);
    let saved: Customer;
    try {
      saved = c
        ? await api.send<Customer>('PUT', `/api/cms/customers/${c.id}`, {
          email: email.trim(), name: name.trim(), idTag: tag || null, blocked, maxConcurrentSessions, ...(password ? { password } : {}),
        })
        : await api.send<Customer>('POST', '/api/cms/customers', {
          email: email.trim(), name: name.trim(), password, maxConcurrentSessions, ...(tag ? { idTag: tag } : {}),
        });
    } catch (err) {
      throw explain(err);
    }
    toast('success', c ? 'Customer saved' : 'Customer created', `${saved.name} <${saved.email}>`);
    props.onSaved(saved);
    props.onClose();
  };
  return (
    <Modal title={c ? `Edit ${c.name}` : 'New customer'} onClose={props.onClose}>
      <Form action={save} submitLabel={c ? 'Save' : 'Create customer'}>
        <Field label="Email"><TextInput name="email" type="email" value={email} onInput={setEmail} required maxLength={254} autoComplete="off" /></Field>
        <Field label="Name"><TextInput name="name" value={name} onInput={setName} required maxLength={100} /></Field>
        <Field label={c ? 'New password' : 'Password'} hint={c ? 'Leave empty to keep the current one; at least 8 characters, not a common password' : 'At least 8 characters, not a common password'}>
          <TextInput name="password" type="password" value={password} onInput={setPassword} required={!c} minLength={8} maxLength={200} autoComplete="new-password" />
        </Field>
        <Field label="Primary idTag" hint={c ? 'The card the app starts with. One of the customer\'s cards makes it primary, a new value renames the primary card, empty deletes it (other cards go on working).' : 'Optional: one is generated when left empty. More cards: "Cards" in the list.'}>
          <TextInput name="idTag" value={idTag} onInput={setIdTag} maxLength={20} autoComplete="off" />
        </Field>
        <Field label="Sessions at once" hint="How many sessions the customer may run at the same time, over all cards (1: one at a time)">
          <input name="maxConcurrentSessions" type="number" min={1} max={MAX_CONCURRENT} step={1} required value={maxSessions} onInput={(e) => setMaxSessions((e.target as HTMLInputElement).value)} />
        </Field>
        {c && (
          <label class="checkbox">
            <input name="blocked" type="checkbox" checked={blocked} onChange={(e) => setBlocked((e.target as HTMLInputElement).checked)} />
            Blocked: cannot sign in, and is signed out at once
          </label>
        )}
      </Form>
    </Modal>
  );
}

const expired = (card: IdTagCard) => card.expiresAt !== null && Date.parse(card.expiresAt) <= Date.now();

/** A card's state in a word: blocked wins over expired. */
function CardStatus(props: { card: IdTagCard }) {
  if (props.card.blocked) return <span class="badge badge-bad" data-status="blocked">Blocked</span>;
  if (expired(props.card)) return <span class="badge badge-warn" data-status="expired">Expired</span>;
  return <span class="badge badge-good" data-status="active">Active</span>;
}

/** The customer's cards: block, unblock, make primary, change the limit, delete, add. */
function CardsModal(props: { customer: Customer; onClose(): void; onChanged(): void }) {
  const { api } = useServices();
  const base = `/api/cms/customers/${props.customer.id}/id-tags`;
  const cards = useResource<{ items: CardView[] }>(base, {
    refresh: 'detail',
    rooms: [],
    on: { 'customer.updated': (d: { customerId: number }) => (d.customerId === props.customer.id ? 'refetch' : undefined) },
  });
  const [error, setError] = useState<Error | null>(null);
  const [idTag, setIdTag] = useState('');
  const [label, setLabel] = useState('');
  const [max, setMax] = useState('1');
  const changed = async (what: string, detail: string) => {
    toast('success', what, detail);
    await cards.reload();
    props.onChanged();
  };
  const act = async (what: string, card: CardView, write: () => Promise<unknown>) => {
    setError(null);
    try {
      await write();
    } catch (err) {
      setError(explain(err));
      return;
    }
    await changed(what, card.idTag);
  };
  const put = (card: CardView, body: Record<string, unknown>) => api.send('PUT', `${base}/${encodeURIComponent(card.idTag)}`, body);
  const add = async () => {
    const tag = idTag.trim();
    let card: CardView;
    try {
      card = await api.send<CardView>('POST', base, { ...(tag ? { idTag: tag } : {}), label: label.trim() || null, maxConcurrent: Number(max) });
    } catch (err) {
      throw explain(err);
    }
    setIdTag('');
    setLabel('');
    setMax('1');
    await changed('Card added', card.idTag);
  };
  const items = cards.data?.items ?? [];
  return (
    <Modal title={`Cards of ${props.customer.name}`} onClose={props.onClose} wide>
      <div class="stack" data-testid="cards">
        <ErrorNote error={cards.error ?? error} />
        {!cards.data ? <Loading /> : items.length === 0 ? <Empty>No cards: the customer cannot charge.</Empty> : (
          <div class="table-wrap">
            <table data-testid="cards-table">
              <thead><tr><th>Card</th><th>Status</th><th class="right" title="Sessions running with the card / how many it may run at once">At once</th><th /></tr></thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.idTag} data-testid={`card-${c.idTag}`}>
                    <td>
                      <code>{c.idTag}</code>{c.primary && <span class="badge badge-info" style={{ marginLeft: '6px' }}>primary</span>}
                      {(c.label || c.expiresAt) && <div class="muted">{[c.label, c.expiresAt && `until ${dateTime(c.expiresAt)}`].filter(Boolean).join(' · ')}</div>}
                    </td>
                    <td><CardStatus card={c} /></td>
                    <td class="right num">
                      {c.activeSessions} /{' '}
                      <input
                        type="number" min={1} max={MAX_CONCURRENT} step={1} value={c.maxConcurrent} aria-label={`Sessions at once with ${c.idTag}`} style={{ width: '4.5em' }}
                        data-testid="card-max"
                        onChange={(e) => void act('Card limit changed', c, () => put(c, { maxConcurrent: Number((e.target as HTMLInputElement).value) }))}
                      />
                    </td>
                    <td class="right">
                      <div class="actions" style={{ justifyContent: 'flex-end', flexWrap: 'nowrap' }}>
                        {c.blocked
                          ? <button class="btn btn-small" data-testid="card-unblock" onClick={() => act('Card unblocked', c, () => put(c, { blocked: false }))}>Unblock</button>
                          : <button class="btn btn-small" data-testid="card-block" onClick={() => act('Card blocked', c, () => put(c, { blocked: true }))}>Block</button>}
                        {!c.primary && <button class="btn btn-small" data-testid="card-primary" onClick={() => act('Primary card changed', c, () => put(c, { primary: true }))}>Make primary</button>}
                        <button class="btn btn-small btn-ghost" data-testid="card-delete" disabled={c.activeSessions > 0} title={c.activeSessions > 0 ? 'Charging right now: block it instead' : undefined} onClick={() => act('Card deleted', c, () => api.send('DELETE', `${base}/${encodeURIComponent(c.idTag)}`))}>Delete</button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Form action={add} submitLabel="Add card">
          <Field label="idTag" hint="The RFID / app token (1–20 characters); one is generated when left empty">
            <TextInput name="cardIdTag" value={idTag} onInput={setIdTag} maxLength={20} autoComplete="off" />
          </Field>
          <Field label="Label"><TextInput name="cardLabel" value={label} onInput={setLabel} maxLength={100} placeholder="e.g. Van 3" /></Field>
          <Field label="Sessions at once" hint="A fleet card may run several; the customer's own limit applies too">
            <input name="cardMaxConcurrent" type="number" min={1} max={MAX_CONCURRENT} step={1} required value={max} onInput={(e) => setMax((e.target as HTMLInputElement).value)} />
          </Field>
        </Form>
      </div>
    </Modal>
  );
}

/** The list's card cell: the primary card, how many more, how many blocked, and a fleet's limit. */
function CardsCell(props: { customer: Customer; onOpen(): void }) {
  const { idTags, idTag, maxConcurrentSessions } = props.customer;
  const others = idTags.length - (idTag ? 1 : 0);
  const blocked = idTags.filter((c) => c.blocked).length;
  return (
    <td>
      {idTag ? <code>{idTag}</code> : <span class="muted">none</span>}
      {others > 0 && <span class="muted"> +{others}</span>}
      {blocked > 0 && <span class="badge badge-bad" style={{ marginLeft: '6px' }}>{blocked} blocked</span>}
      {maxConcurrentSessions > 1 && <div class="muted" data-testid="max-sessions">up to {maxConcurrentSessions} sessions at once</div>}
      <div><button class="btn btn-small btn-ghost" onClick={props.onOpen} data-testid="customer-cards">Cards ({idTags.length})</button></div>
    </td>
  );
}

type Editing = { mode: 'create' } | { mode: 'edit'; customer: Customer } | { mode: 'delete'; customer: Customer } | { mode: 'cards'; customer: Customer } | { mode: 'wallet'; customer: Customer } | null;

export function CustomersPage() {
  const { api } = useServices();
  const [editing, setEditing] = useState<Editing>(null);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    const timer = setTimeout(() => {
      setQ(search.trim());
      setOffset(0);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search]);
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  if (q) params.set('q', q);
  const customers = useResource<Page<Customer>>(`/api/cms/customers?${params}`, {
    refresh: 'list',
    rooms: [], // customer.* go to cms:dashboard, which admins are in from the start
    on: {
      'customer.created': () => 'refetch',
      'customer.updated': () => 'refetch',
      'customer.deleted': () => 'refetch',
    },
  });
  // While the next page or search loads, keep showing the last one rather than a spinner. Right
  // after `q` changes the hook still holds the previous answer: pair each answer with the search
  // that asked for it when it arrives (a new object), not with whatever `q` is now.
  const last = useRef<{ page: Page<Customer>; q: string } | undefined>(undefined);
  if (customers.data && customers.data !== last.current?.page) last.current = { page: customers.data, q };
  const page = last.current?.page;
  const shownQ = last.current?.q ?? q;
  const close = () => setEditing(null);
  const saved = (c: Customer) => {
    const cur = customers.data;
    if (cur?.items.some((x) => x.id === c.id)) customers.set({ ...cur, items: cur.items.map((x) => (x.id === c.id ? c : x)) });
    else void customers.reload();
  };
  const remove = async (c: Customer) => {
    await api.send('DELETE', `/api/cms/customers/${c.id}`);
    toast('success', 'Customer deleted', c.email);
    await customers.reload();
  };
  const items = page?.items ?? [];
  const from = page?.offset ?? 0;
  const hasNext = from + items.length < (page?.total ?? 0);
  return (
    <>
      <PageHeader
        title="Customers"
        subtitle={page ? `${count(page.total)} ${shownQ ? `matching “${shownQ}”` : 'customer accounts'}` : 'Customer accounts and their wallets'}
        actions={
          <>
            <input type="search" name="q" placeholder="Email, name or idTag" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} data-testid="customer-search" />
            <button class="btn btn-primary" onClick={() => setEditing({ mode: 'create' })} data-testid="customer-create">New customer</button>
          </>
        }
      />
      <ErrorNote error={customers.error} />
      {!page ? (customers.loading ? <Loading /> : null) : (
        <Card>
          {items.length === 0 ? <Empty>{shownQ ? `No customer matches “${shownQ}”.` : 'No customers yet.'}</Empty> : (
            <div class="table-wrap">
              <table data-testid="customers-table" aria-busy={customers.loading}>
                <thead><tr><th>Customer</th><th>Cards</th><th class="right">Balance</th><th>Status</th><th>Created</th><th /></tr></thead>
                <tbody>
                  {items.map((c) => (
                    <tr key={c.id} data-testid={`customer-${c.id}`}>
                      <td>{c.name}<div class="muted">{c.email}</div></td>
                      <CardsCell customer={c} onOpen={() => setEditing({ mode: 'cards', customer: c })} />
                      <td class="right num" data-testid="balance">{money(c.balanceMinor)}</td>
                      <td>{c.blocked ? <span class="badge badge-bad" data-status="blocked">Blocked</span> : <span class="badge badge-good" data-status="active">Active</span>}</td>
                      <td class="muted">{dateTime(c.createdAt)}</td>
                      <RowActions testid="customer" onEdit={() => setEditing({ mode: 'edit', customer: c })} onDelete={() => setEditing({ mode: 'delete', customer: c })}>
                        <button class="btn btn-small" onClick={() => setEditing({ mode: 'wallet', customer: c })} data-testid="customer-wallet">Wallet</button>
                      </RowActions>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="actions" style={{ justifyContent: 'space-between', marginTop: '12px' }} data-testid="customers-paging">
            <span class="muted num">
              {items.length ? `${count(from + 1)}–${count(from + items.length)}` : '0'}
              {` of ${count(page.total)}`}{shownQ ? ' matching' : ''}
            </span>
            <span class="actions">
              <button class="btn btn-small" disabled={from === 0 || customers.loading} onClick={() => setOffset(Math.max(0, from - PAGE_SIZE))}>← Previous</button>
              <button class="btn btn-small" disabled={!hasNext || customers.loading} onClick={() => setOffset(from + PAGE_SIZE)}>Next →</button>
            </span>
          </div>
        </Card>
      )}
      {editing?.mode === 'create' && <CustomerModal onClose={close} onSaved={saved} />}
      {editing?.mode === 'edit' && <CustomerModal customer={editing.customer} onClose={close} onSaved={saved} />}
      {editing?.mode === 'cards' && <CardsModal customer={editing.customer} onClose={close} onChanged={() => void customers.reload()} />}
      {editing?.mode === 'wallet' && <CustomerWalletModal customer={editing.customer} onClose={close} onChanged={() => void customers.reload()} />}
      {editing?.mode === 'delete' && (
        <ConfirmDelete
          title="Delete customer"
          action={() => remove(editing.customer)}
          onClose={close}
          inUse={`${editing.customer.name} is charging right now. Delete the account once the session has ended (or block it meanwhile).`}
        >
          Delete <strong>{editing.customer.name}</strong> ({editing.customer.email})? Their wallet ({money(editing.customer.balanceMinor)}) goes with the account; their past sessions stay on record without a customer.
        </ConfirmDelete>
      )}
    </>
  );
}
