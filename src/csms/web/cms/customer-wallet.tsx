/** @jsxImportSource preact */
/**
 * A customer's wallet in the CMS: the ledger with who made each admin entry, and the admin's own
 * credit, debit or refund with a reason (POST /api/cms/customers/:id/wallet).
 */
import { useState } from 'preact/hooks';
import type { ApiError } from '../shared/api.ts';
import { useServices } from '../shared/context.ts';
import { money } from '../shared/format.ts';
import { LedgerTable, toMinor } from '../shared/ledger.tsx';
import { toast } from '../shared/toasts.tsx';
import type { Page, User, WalletEntry } from '../shared/types.ts';
import { ErrorNote, Field, Form, Loading, Modal, Pager, TextInput } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';

type Kind = 'credit' | 'debit' | 'refund';

const KINDS: { kind: Kind; label: string; hint: string }[] = [
  { kind: 'credit', label: 'Credit', hint: 'Adds money: a bank transfer received, goodwill, a session charged wrongly.' },
  { kind: 'refund', label: 'Refund', hint: 'Takes money out: the balance paid back to the customer outside the wallet.' },
  { kind: 'debit', label: 'Debit', hint: 'Takes money out: a correction, e.g. a credit made by mistake.' },
];

const PAGE_SIZE = 20;

/** The API's refusals of an entry, in words. */
function explain(err: unknown): Error {
  const e = err as ApiError;
  if (e.code === 'CSMS_ERR_BALANCE_TOO_LOW') return new Error('The wallet holds less than that: a debit or refund cannot take it below zero.');
  return e;
}

export function CustomerWalletModal(props: { customer: User; onClose(): void; onChanged(): void }) {
  const { api, config } = useServices();
  const { currency } = config.wallet;
  const c = props.customer;
  const [offset, setOffset] = useState(0);
  const ledger = useResource<Page<WalletEntry> & { balanceMinor: number }>(`/api/cms/customers/${c.id}/wallet/transactions?limit=${PAGE_SIZE}&offset=${offset}`, { refresh: 'detail' });
  const [kind, setKind] = useState<Kind>('credit');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const save = async () => {
    const minor = toMinor(amount, currency);
    if (minor === null) throw new Error('Enter an amount greater than zero.');
    if (!reason.trim()) throw new Error('Say why: the reason is kept in the ledger.');
    const amountMinor = kind === 'credit' ? minor : -minor;
    try {
      await api.send('POST', `/api/cms/customers/${c.id}/wallet`, { kind, amountMinor, reason: reason.trim() });
    } catch (err) {
      throw explain(err);
    }
    toast('success', `${KINDS.find((k) => k.kind === kind)!.label} recorded`, `${money(amountMinor, currency)} for ${c.name}`);
    setAmount('');
    setReason('');
    setOffset(0);
    await ledger.reload();
    props.onChanged();
  };
  const page = ledger.data;
  return (
    <Modal title={`Wallet of ${c.name}`} onClose={props.onClose}>
      <p>Balance <strong data-testid="wallet-modal-balance">{money(page?.balanceMinor, currency)}</strong> <span class="muted">({c.email})</span></p>
      <ErrorNote error={ledger.error} />
      <Form action={save} submitLabel="Record">
        <Field label="Entry" hint={KINDS.find((k) => k.kind === kind)!.hint}>
          <select name="kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as Kind)}>
            {KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
          </select>
        </Field>
        <Field label={`Amount (${currency})`}>
          <input name="amount" type="number" min="0.01" max="10000" step="0.01" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field label="Reason" hint="Kept in the ledger with your name; the customer sees it too.">
          <TextInput name="reason" value={reason} onInput={setReason} required maxLength={500} />
        </Field>
      </Form>
      {!page ? (ledger.loading ? <Loading /> : null) : (
        <>
          <LedgerTable items={page.items} currency={currency} showActor testid="customer-ledger" />
          <Pager offset={page.offset} size={PAGE_SIZE} total={page.total} onChange={setOffset} />
        </>
      )}
    </Modal>
  );
}
