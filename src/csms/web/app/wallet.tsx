/** @jsxImportSource preact */
/** Design points 40–41: balance and ledger, live; top-ups. */
import { useState } from 'preact/hooks';
import { useServices } from '../shared/context.ts';
import { dateTime, money } from '../shared/format.ts';
import { toast } from '../shared/toasts.tsx';
import type { Items, WalletEntry } from '../shared/types.ts';
import { Badge, Card, Empty, ErrorNote, Field, Form, PageHeader, Stat } from '../shared/ui.tsx';
import { useResource } from '../shared/use-resource.ts';
import { useBalance } from './dashboard.tsx';
import { LOW_BALANCE_MINOR } from './events.tsx';

const PRESETS = [1000, 2000, 5000];
const KIND_LABEL: Record<string, string> = { topup: 'Top-up', charge: 'Charging', adjustment: 'Adjustment' };

export function WalletPage() {
  const { api } = useServices();
  const balance = useBalance();
  const ledger = useResource<Items<WalletEntry>>('/api/user/wallet/transactions?limit=50', {
    refresh: 'list',
    on: {
      'wallet.transaction': (d: { entry: WalletEntry }, cur) =>
        cur && !cur.items.some((e) => e.id === d.entry.id) ? { ...cur, items: [d.entry, ...cur.items].slice(0, 50) } : undefined,
    },
  });
  const [amount, setAmount] = useState('20');
  const topUp = async () => {
    const minor = Math.round(Number(amount.replace(',', '.')) * 100);
    if (!Number.isFinite(minor) || minor <= 0) throw new Error('Enter an amount greater than zero.');
    const result = await api.send<{ balanceMinor: number; entry: WalletEntry }>('POST', '/api/user/wallet/topup', { amount: minor });
    // Our own write: show it now rather than wait for the notification or the next poll.
    balance.set({ balanceMinor: result.balanceMinor });
    if (ledger.data && !ledger.data.items.some((e) => e.id === result.entry.id)) ledger.set({ ...ledger.data, items: [result.entry, ...ledger.data.items] });
    toast('success', 'Wallet topped up', money(minor));
  };
  const bal = balance.data?.balanceMinor;
  return (
    <>
      <PageHeader title="Wallet" subtitle="Charging is paid from this balance when a session ends." />
      <ErrorNote error={balance.error ?? ledger.error} />
      <div class="grid grid-2">
        <div class="stack">
          <Stat label="Balance" testid="wallet-balance" value={money(bal)} tone={bal !== undefined && bal < LOW_BALANCE_MINOR ? 'warn' : 'good'} />
          <Card title="Top up">
            <Form action={topUp} submitLabel="Add money">
              <div class="actions">
                {PRESETS.map((p) => <button type="button" class="btn btn-small" key={p} onClick={() => setAmount(String(p / 100))}>{money(p)}</button>)}
              </div>
              <Field label="Amount (EUR)">
                <input name="amount" type="number" min="0.01" max="10000" step="0.01" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} required />
              </Field>
            </Form>
          </Card>
        </div>
        <Card title="Transactions" testid="wallet-transactions">
          {ledger.data?.items.length === 0 ? <Empty>No transactions yet.</Empty> : (
            <table>
              <thead><tr><th>When</th><th>What</th><th class="right">Amount</th></tr></thead>
              <tbody>
                {ledger.data?.items.map((e) => (
                  <tr key={e.id}>
                    <td>{dateTime(e.createdAt)}</td>
                    <td><Badge status={e.kind} label={KIND_LABEL[e.kind] ?? e.kind} />{e.sessionId ? <span class="muted"> session #{e.sessionId}</span> : ''}{e.note && e.note !== KIND_LABEL[e.kind] ? <span class="muted"> {e.note}</span> : ''}</td>
                    <td class={`right num ${e.amountMinor < 0 ? '' : 'good'}`}>{e.amountMinor > 0 ? '+' : ''}{money(e.amountMinor)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}
