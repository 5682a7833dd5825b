/** @jsxImportSource preact */
/** CMS customers (no numbered design point; accounts as in docs/rest-api.md): search, balances, wallets, create, edit, block, delete. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../shared/api.ts';
import { useServices } from '../shared/context.ts';
import { count, dateTime, money } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import type { Page, User } from '../shared/types.ts';
import { Card, Empty, ErrorNote, Field, Form, Loading, Modal, PageHeader, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { CustomerWalletModal } from './customer-wallet.tsx';
import { ConfirmDelete, RowActions } from './parts.tsx';

/** A row of GET /api/cms/customers. */
interface Customer extends User {
  balanceMinor: number;
}

const PAGE_SIZE = 25;
const SEARCH_DEBOUNCE_MS = 300;

/** The API's refusals of a customer write, in words. */
function explain(err: unknown): Error {
  const e = err as ApiError;
  if (e.code === 'CSMS_ERR_EMAIL_TAKEN') return new Error('An account with this email already exists.');
  if (e.code === 'CSMS_ERR_ID_TAG_TAKEN') return new Error('This idTag is already assigned to another account.');
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
  const save = async () => {
    const tag = idTag.trim();
    let saved: Customer;
    try {
      saved = c
        ? await api.send<Customer>('PUT', `/api/cms/customers/${c.id}`, {
          email: email.trim(), name: name.trim(), idTag: tag || null, blocked, ...(password ? { password } : {}),
        })
        : await api.send<Customer>('POST', '/api/cms/customers', {
          email: email.trim(), name: name.trim(), password, ...(tag ? { idTag: tag } : {}),
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
        <Field label={c ? 'New password' : 'Password'} hint={c ? 'Leave empty to keep the current one; at least 8 characters' : 'At least 8 characters'}>
          <TextInput name="password" type="password" value={password} onInput={setPassword} required={!c} minLength={8} maxLength={200} autoComplete="new-password" />
        </Field>
        <Field label="idTag" hint={c ? 'The RFID / app token chargers authorize. Empty clears it: the customer then cannot charge.' : 'Optional: one is generated when left empty.'}>
          <TextInput name="idTag" value={idTag} onInput={setIdTag} maxLength={20} autoComplete="off" />
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

type Editing = { mode: 'create' } | { mode: 'edit'; customer: Customer } | { mode: 'delete'; customer: Customer } | { mode: 'wallet'; customer: Customer } | null;

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
            <input type="search" name="q" placeholder="Search email or name" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} data-testid="customer-search" />
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
                <thead><tr><th>Customer</th><th>idTag</th><th class="right">Balance</th><th>Status</th><th>Created</th><th /></tr></thead>
                <tbody>
                  {items.map((c) => (
                    <tr key={c.id} data-testid={`customer-${c.id}`}>
                      <td>{c.name}<div class="muted">{c.email}</div></td>
                      <td>{c.idTag ? <code>{c.idTag}</code> : <span class="muted">none</span>}</td>
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
