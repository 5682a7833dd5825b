/**
 * A generic payment provider: the customer pays on the provider's hosted page, and the provider
 * reports each payment to POST /api/payments/webhook, signed with a secret both sides share.
 * The scheme (Stripe's, docs/payments.md): header `Payment-Signature: t=<unix s>,v1=<hex>`, where
 * v1 = HMAC-SHA256(secret, `${t}.${raw body}`). Several v1 may be sent while a secret is rotated.
 * A timestamp outside the tolerance window is a replay, refused even with a good signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CsmsError } from '../domain/errors.ts';
import { systemClock, type Checkout, type CheckoutRequest, type Clock, type PaymentEvent, type PaymentProvider, type PaymentStatus } from '../domain/ports.ts';

export const SIGNATURE_HEADER = 'payment-signature';
const STATUSES: readonly PaymentStatus[] = ['paid', 'pending', 'failed', 'canceled'];

export interface SignedWebhookOptions {
  /** Shared with the provider (PAYMENT_WEBHOOK_SECRET). */
  secret: string;
  /** The provider's hosted checkout page (PAYMENT_CHECKOUT_URL). */
  checkoutUrl: string;
  /** How far a delivery's timestamp may be from now, either way (PAYMENT_WEBHOOK_TOLERANCE_S). */
  toleranceS: number;
  clock?: Clock;
}

/** HMAC-SHA256 of `${t}.${payload}` as hex: what `v1` must be. */
export function signature(secret: string, t: number | string, payload: Buffer | string): string {
  return createHmac('sha256', secret).update(`${t}.`).update(payload).digest('hex');
}

/** The header value a provider sends with `payload` at unix time `t` (also for tests and stand-ins). */
export function signatureHeader(secret: string, t: number, payload: Buffer | string): string {
  return `t=${t},v1=${signature(secret, t, payload)}`;
}

/** `t` and every `v1` of a signature header; null when it has no usable `t` or no `v1`. */
export function parseSignatureHeader(value: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(val)) t = Number(val);
    else if (key === 'v1') v1.push(val);
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

/** Constant-time: how long the comparison takes says nothing about how much of a guess was right. */
function matches(expectedHex: string, candidates: string[]): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  let ok = false;
  for (const candidate of candidates) {
    if (!/^[0-9a-fA-F]+$/.test(candidate) || candidate.length !== expectedHex.length) continue;
    // No early exit either: every candidate is compared.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) ok = true;
  }
  return ok;
}

function invalid(field: string, reason: string): CsmsError {
  return new CsmsError('CSMS_ERR_VALIDATION', `${field} ${reason}`, { field, reason });
}

/** The payment a verified body describes; a signed body that does not say it is the provider's bug. */
function readEvent(raw: string): PaymentEvent {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw invalid('body', 'is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'is not an object');
  const { paymentId, customerId, amountMinor, currency, status } = body;
  if (typeof paymentId !== 'string' || paymentId.length === 0 || paymentId.length > 200) throw invalid('body.paymentId', 'must be a string of 1 to 200 characters');
  if (!Number.isSafeInteger(customerId) || (customerId as number) < 1) throw invalid('body.customerId', 'must be a positive integer');
  if (!Number.isSafeInteger(amountMinor)) throw invalid('body.amountMinor', 'must be an integer (minor units)');
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw invalid('body.currency', 'must be an ISO 4217 code');
  if (!STATUSES.includes(status as PaymentStatus)) throw invalid('body.status', `must be one of ${STATUSES.join(', ')}`);
  return { paymentId, customerId: customerId as number, amountMinor: amountMinor as number, currency, status: status as PaymentStatus };
}

/** The generic signed-webhook provider. */
export function createSignedWebhookProvider(opts: SignedWebhookOptions): PaymentProvider {
  const clock = opts.clock ?? systemClock;
  const unixNow = () => Math.floor(clock.now().getTime() / 1000);

  return {
    name: 'signed-webhook',

    async createCheckout(req: CheckoutRequest): Promise<Checkout> {
      const paymentId = `pay_${randomBytes(12).toString('hex')}`;
      const t = unixNow();
      const url = new URL(opts.checkoutUrl);
      const fields = { payment_id: paymentId, customer_id: String(req.customerId), amount_minor: String(req.amountMinor), currency: req.currency, return_url: req.returnUrl };
      for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
      url.searchParams.set('t', String(t));
      // The page can check that the CSMS asked for this payment, for this customer and amount. The
      // "checkout." prefix keeps a link's signature from ever passing as a webhook's (same secret).
      url.searchParams.set('sig', signature(opts.secret, t, `checkout.${Object.values(fields).join('.')}`));
      return { paymentId, url: url.toString() };
    },

    async parseWebhook(rawBody, headers): Promise<PaymentEvent> {
      const header = headers[SIGNATURE_HEADER];
      const value = Array.isArray(header) ? header[0] : header;
      if (!value) throw new CsmsError('CSMS_ERR_WEBHOOK_SIGNATURE', `no ${SIGNATURE_HEADER} header`, { reason: 'missing' });
      const parsed = parseSignatureHeader(value);
      if (!parsed) throw new CsmsError('CSMS_ERR_WEBHOOK_SIGNATURE', `${SIGNATURE_HEADER} needs t=<unix seconds>,v1=<hex>`, { reason: 'malformed' });
      // The signature first: an unsigned request learns nothing, not even that its time was off.
      if (!matches(signature(opts.secret, parsed.t, rawBody), parsed.v1)) {
        throw new CsmsError('CSMS_ERR_WEBHOOK_SIGNATURE', 'the signature does not match the body', { reason: 'mismatch' });
      }
      const skew = Math.abs(unixNow() - parsed.t);
      if (skew > opts.toleranceS) {
        throw new CsmsError('CSMS_ERR_WEBHOOK_STALE', `signed ${skew} s from now, tolerance ${opts.toleranceS} s`, { skewS: skew, toleranceS: opts.toleranceS });
      }
      return readEvent(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
    },
  };
}
