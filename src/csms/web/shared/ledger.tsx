/** @jsxImportSource preact */
/** A wallet ledger as a table, in the user panel (the customer's own) and the CMS (with who made admin entries). */
import { dateTime, minorDigits, money } from './format.ts';
import type { WalletEntry } from './types.ts';
import { Badge, Empty } from './ui.tsx';

export const KIND_LABEL: Record<string, string> = {
  topup: 'Top-up', charge: 'Charging', adjustment: 'Adjustment', credit: 'Credit', debit: 'Debit', refund: 'Refund',
};

/** Who made an entry without an `actor`: the provider, the customer (self top-up) or the CSMS. */
const ACTOR_OF_KIND: Record<string, (e: WalletEntry) => string> = {
  topup: (e) => (e.externalId ? 'payment provider' : 'customer'),
  charge: () => 'charging',
  adjustment: () => 'charging',
  credit: () => '—',
  debit: () => '—',
  refund: () => '—',
};

/** "12.50" in `currency`'s major unit → 1250 minor units; null unless it is a positive amount. */
export function toMinor(text: string, currency: string): number | null {
  const value = Number(text.trim().replace(',', '.'));
  if (!Number.isFinite(value) || value <= 0) return null;
  const minor = Math.round(value * 10 ** minorDigits(currency));
  return minor > 0 ? minor : null;
}

export function LedgerTable(props: { items: WalletEntry[] | undefined; currency: string; showActor?: boolean; testid?: string }) {
  const { items, currency, showActor } = props;
  if (items?.length === 0) return <Empty>No transactions yet.</Empty>;
  return (
    <table data-testid={props.testid}>
      <thead><tr><th>When</th><th>What</th>{showActor && <th>By</th>}<th class="right">Amount</th></tr></thead>
      <tbody>
        {items?.map((e) => (
          <tr key={e.id} data-kind={e.kind}>
            <td>{dateTime(e.createdAt)}</td>
            <td>
              <Badge status={e.kind} label={KIND_LABEL[e.kind] ?? e.kind} />
              {e.sessionId ? <span class="muted"> session #{e.sessionId}</span> : ''}
              {e.note && e.note !== KIND_LABEL[e.kind] ? <span class="muted"> {e.note}</span> : ''}
            </td>
            {showActor && <td class="muted" data-testid="actor">{e.actor ?? ACTOR_OF_KIND[e.kind]?.(e) ?? '—'}</td>}
            <td class={`right num ${e.amountMinor < 0 ? '' : 'good'}`}>{e.amountMinor > 0 ? '+' : ''}{money(e.amountMinor, currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
