/**
 * Money into and out of a wallet other than charging: payments a provider confirmed (credited once
 * per payment id) and entries an admin makes with a reason. docs/payments.md tells the whole flow.
 */
import { walletNotifications } from './charging.ts';
import { CsmsError } from './errors.ts';
import type { Checkout, Clock, PaymentEvent, PaymentProvider, Store } from './ports.ts';
import type { AdminWalletKind, Notification, User, WalletEntry } from './types.ts';

export interface WalletOptions {
  store: Store;
  clock: Clock;
  /** ISO 4217 code of every wallet (config `currency`). */
  currency: string;
  /** The configured provider, or null: checkout is then refused. */
  payments: PaymentProvider | null;
}

export interface WalletChange {
  entry: WalletEntry;
  balance: number;
  notifications: Notification[];
}

/** The ledger reference of a provider's payment: unique across providers. */
export function paymentReference(provider: string, paymentId: string): string {
  return `${provider}:${paymentId}`;
}

export type Wallet = ReturnType<typeof createWallet>;

export function createWallet({ store, clock, currency, payments }: WalletOptions) {
  const now = () => clock.now().toISOString();

  const customer = async (id: number): Promise<User> => {
    const u = await store.users.get(id);
    if (!u || u.role !== 'customer') throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${id}`);
    return u;
  };

  /** Credits a verified payment once; null when it is not paid or was credited before. */
  async function creditPayment(provider: string, event: PaymentEvent): Promise<WalletChange | null> {
    // Not paid: nothing to credit, whatever its currency (answered 200, so the provider stops retrying).
    if (event.status !== 'paid') return null;
    if (event.currency !== currency) {
      throw new CsmsError('CSMS_ERR_CURRENCY_MISMATCH', `payment ${event.paymentId} is in ${event.currency}, wallets in ${currency}`, { paymentId: event.paymentId, currency: event.currency, expected: currency });
    }
    if (!Number.isSafeInteger(event.amountMinor) || event.amountMinor <= 0) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `payment ${event.paymentId}: ${event.amountMinor}`);
    return await store.transaction(async () => {
      await customer(event.customerId);
      const at = now();
      const entry = await store.wallet.add({
        customerId: event.customerId,
        amountMinor: event.amountMinor,
        kind: 'topup',
        note: `Payment ${event.paymentId}`,
        externalId: paymentReference(provider, event.paymentId),
        createdAt: at,
      });
      if (!entry) return null;
      const balance = await store.wallet.balance(event.customerId);
      return { entry, balance, notifications: walletNotifications(event.customerId, entry, balance, at) };
    });
  }

  return {
    currency,
    creditPayment,

    /** Credits the wallet without a payment: the self top-up, which the API allows only with WALLET_SELF_TOPUP. */
    async topUp(customerId: number, amountMinor: number): Promise<WalletChange> {
      if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', String(amountMinor));
      return await store.transaction(async () => {
        const at = now();
        const entry = (await store.wallet.add({ customerId, amountMinor, kind: 'topup', note: 'Top-up', createdAt: at }))!;
        const balance = await store.wallet.balance(customerId);
        return { entry, balance, notifications: walletNotifications(customerId, entry, balance, at) };
      });
    },
    /** True when customers can pay through a provider. */
    get canCheckout(): boolean {
      return payments !== null;
    },

    /** Opens a checkout at the provider for the customer; the webhook credits the wallet once paid. */
    async checkout(customerId: number, amountMinor: number, returnUrl: string): Promise<Checkout> {
      if (!payments) throw new CsmsError('CSMS_ERR_PAYMENTS_NOT_CONFIGURED');
      if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new CsmsError('CSMS_ERR_BAD_AMOUNT', String(amountMinor));
      await customer(customerId);
      return payments.createCheckout({ customerId, amountMinor, currency, returnUrl });
    },

    /**
     * Verifies a webhook delivery with the provider and credits a paid payment. A payment already
     * credited (a repeated or concurrent delivery) credits nothing: the ledger's unique index on the
     * payment's reference decides, not a read before the write.
     */
    async receiveWebhook(rawBody: Buffer | string, headers: Record<string, string | string[] | undefined>): Promise<{ event: PaymentEvent; credited: WalletChange | null }> {
      if (!payments) throw new CsmsError('CSMS_ERR_PAYMENTS_NOT_CONFIGURED');
      const event = await payments.parseWebhook(rawBody, headers);
      return { event, credited: await creditPayment(payments.name, event) };
    },

    /**
     * An admin's credit (positive), debit or refund (negative) with a reason, recorded with who made
     * it. A debit or refund may not take the wallet below zero.
     */
    async adjust(customerId: number, change: { kind: AdminWalletKind; amountMinor: number; reason: string }, actor: string): Promise<WalletChange> {
      const reason = change.reason.trim();
      if (!reason) throw new CsmsError('CSMS_ERR_VALIDATION', 'body.reason must not be empty', { field: 'body.reason', reason: 'must not be empty' });
      const { kind, amountMinor } = change;
      const positive = kind === 'credit';
      if (!Number.isSafeInteger(amountMinor) || (positive ? amountMinor <= 0 : amountMinor >= 0)) {
        throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `a ${kind} is ${positive ? 'positive' : 'negative'}, got ${amountMinor}`, { field: 'body.amountMinor' });
      }
      return await store.transaction(async () => {
        await customer(customerId);
        // The balance read here decides what may be taken back: no other node moves it meanwhile.
        await store.lockCustomer(customerId);
        const before = await store.wallet.balance(customerId);
        if (before + amountMinor < 0) {
          throw new CsmsError('CSMS_ERR_BALANCE_TOO_LOW', `balance ${before}, ${kind} ${-amountMinor}`, { balance: before, amountMinor });
        }
        const at = now();
        const entry = (await store.wallet.add({ customerId, amountMinor, kind, note: reason, actor, createdAt: at }))!;
        const balance = before + amountMinor;
        // The customer's pages hear of it; which admin made it stays in the CMS.
        return { entry, balance, notifications: walletNotifications(customerId, { ...entry, actor: null }, balance, at) };
      });
    },
  };
}
