/**
 * Payment providers (docs/payments.md). server.ts asks for the one the config names; none is
 * configured by default, and checkout then answers CSMS_ERR_PAYMENTS_NOT_CONFIGURED.
 */
import type { CsmsConfig } from '../config.ts';
import type { Clock, PaymentProvider } from '../domain/ports.ts';
import { createSignedWebhookProvider } from './signed-webhook.ts';

export { createSignedWebhookProvider, signatureHeader, SIGNATURE_HEADER } from './signed-webhook.ts';

/** The provider the config describes, or null. A new adapter (Stripe, Mollie…) is chosen here. */
export function paymentProviderFor(config: CsmsConfig, clock?: Clock): PaymentProvider | null {
  if (config.paymentWebhookSecret && config.paymentCheckoutUrl) {
    return createSignedWebhookProvider({ secret: config.paymentWebhookSecret, checkoutUrl: config.paymentCheckoutUrl, toleranceS: config.paymentWebhookToleranceS, clock });
  }
  return null;
}
