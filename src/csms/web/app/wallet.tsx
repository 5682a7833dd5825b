/** @jsxImportSource preact */
/**
 * Balance and ledger, live; top-ups. How money comes in is the server's to
 * say (GET /api/config → wallet): paying at the payment provider (checkout), adding it without
 * paying (self top-up, demos), or neither: then the operator credits the wallet.
 */
import { useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { money } from '../shared/format.ts';
import { LedgerTable, toMinor } from '../shared/ledger.tsx';
import { toast } from '../shared/toasts.tsx';
import type { Items, WalletEntry } from '../shared/types.ts';
import { Card, ErrorNote, Field, Form, PageHeader, Stat } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { useBalance } from './dashboard.tsx';
import { LOW_BALANCE_MINOR } from './events.tsx';

const PRESETS = [1000, 2000, 5000];

/** Presets and an amount in the wallet's currency; `onSubmit` gets minor units. */
function AmountForm(props: { currency: string; submitLabel: string; name: string; onSubmit(minor: number): Promise<void> }) {
  const [amount, setAmount] = useState('20');
  const submit = async () => {
    const minor = toMinor(amount, props.currency);
    if (minor === null) throw new Error('Enter an amount greater than zero.');
    await props.onSubmit(minor);
  };
  return (
    <Form action={submit} submitLabel={props.submitLabel}>
      <div class="actions">
        {PRESETS.map((p) => <button type="button" class="btn btn-small" key={p} onClick={() => setAmount(String(p / 100))}>{money(p, props.currency)}</button>)}
      </div>
      <Field label={`Amount (${props.currency})`}>
        <input name={props.name} type="number" min="0.01" max="10000" step="0.01" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} required />
      </Field>
    </Form>
  );
}

export function WalletPage() {
  const { api, config } = useServices();
  const { currency, selfTopup, checkout } = config.wallet;
  const balance = useBalance();
  const ledger = useResource<Items<WalletEntry>>('/api/user/wallet/transactions?limit=50', {
    refresh: 'list',
    on: {
      'wallet.transaction': (d: { entry: WalletEntry }, cur) =>
        cur && !cur.items.some((e) => e.id === d.entry.id) ? { ...cur, items: [d.entry, ...cur.items].slice(0, 50) } : undefined,
    },
  });
  const pay = async (minor: number) => {
    const { url } = await api.send<{ url: string; paymentId: string }>('POST', '/api/user/wallet/checkout', { amountMinor: minor });
    // The provider's page; it sends the customer back here, and the balance follows its webhook.
    location.assign(url);
  };
  const topUp = async (minor: number) => {
    const result = await api.send<{ balanceMinor: number; entry: WalletEntry }>('POST', '/api/user/wallet/topup', { amount: minor });
    // Our own write: show it now rather than wait for the notification or the next poll.
    balance.set({ balanceMinor: result.balanceMinor });
    if (ledger.data && !ledger.data.items.some((e) => e.id === result.entry.id)) ledger.set({ ...ledger.data, items: [result.entry, ...ledger.data.items] });
    toast('success', 'Wallet topped up', money(minor, currency));
  };
  const bal = balance.data?.balanceMinor;
  return (
    <>
      <PageHeader title="Wallet" subtitle="Charging is paid from this balance when a session ends." />
      <ErrorNote error={balance.error ?? ledger.error} />
      <div class="grid grid-2">
        <div class="stack">
          <Stat label="Balance" testid="wallet-balance" value={money(bal, currency)} tone={bal !== undefined && bal < LOW_BALANCE_MINOR ? 'warn' : 'good'} />
          {checkout && (
            <Card title="Pay" testid="wallet-pay">
              <p class="muted">You pay on the payment provider's page; the money shows here once it confirms the payment.</p>
              <AmountForm currency={currency} name="payAmount" submitLabel="Pay" onSubmit={pay} />
            </Card>
          )}
          {selfTopup && (
            <Card title="Top up" testid="wallet-topup">
              <AmountForm currency={currency} name="amount" submitLabel="Add money" onSubmit={topUp} />
            </Card>
          )}
          {!checkout && !selfTopup && (
            <Card title="Top up" testid="wallet-operator-note">
              <p class="muted">Your operator credits this wallet: contact them to add money.</p>
            </Card>
          )}
        </div>
        <Card title="Transactions" testid="wallet-transactions-card">
          <LedgerTable items={ledger.data?.items} currency={currency} testid="wallet-transactions" />
        </Card>
      </div>
    </>
  );
}
