/** @jsxImportSource preact */
/**
 * What a session was billed with and how its cost adds up: the copy of the tariff the session kept
 * at its start (a later change of the tariff does not rewrite it), each price component, the total.
 */
import { energyCostMinor, startedMinutes } from '../../domain/billing.ts';
import { energy, money, perKwh } from './format.ts';
import type { SessionView } from './types.ts';

export function Receipt(props: { session: SessionView }) {
  const s = props.session;
  const t = s.tariff;
  if (t === null) {
    return <dl class="kv" data-testid="receipt"><dt>Tariff</dt><dd data-testid="receipt-tariff">Free (no tariff)</dd><dt>Total</dt><dd data-testid="receipt-total">{money(s.costMinor, s.currency)}</dd></dl>;
  }
  const minutes = startedMinutes(s.startedAt, s.stoppedAt ?? s.lastMeterAt ?? s.startedAt);
  return (
    <dl class="kv" data-testid="receipt">
      <dt>Tariff</dt><dd data-testid="receipt-tariff">{t.name}</dd>
      <dt>Energy</dt><dd data-testid="receipt-energy">{energy(s.energyWh)} × {perKwh(t.pricePerKwh, t.currency)} = {money(energyCostMinor(s.energyWh, t.pricePerKwh), t.currency)}</dd>
      {t.pricePerMinute > 0 && <><dt>Time</dt><dd data-testid="receipt-time">{minutes} min × {money(t.pricePerMinute, t.currency)} = {money(minutes * t.pricePerMinute, t.currency)}</dd></>}
      {t.sessionFee > 0 && <><dt>Session fee</dt><dd data-testid="receipt-fee">{money(t.sessionFee, t.currency)}</dd></>}
      <dt>Total</dt><dd data-testid="receipt-total"><strong>{money(s.costMinor, s.currency)}</strong></dd>
    </dl>
  );
}
