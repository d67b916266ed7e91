// Odoo's Stripe provider in test mode against the Stripe mock, as an administrator would set it up:
// the mock's base URL for fusion_billing_stripe_mock, then the provider's keys.
import type { OdooClient } from '../clients/json2.ts';

export interface StripeProviderKeys {
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
}

/** Points payment_stripe at the mock (`mockBaseUrl`) and enables the provider in test mode; its id. */
export async function useStripeMock(odoo: OdooClient, mockBaseUrl: string, keys: StripeProviderKeys): Promise<number> {
  await odoo.call('ir.config_parameter', 'set_param', { key: 'fusion_billing_stripe_mock.base_url', value: mockBaseUrl });
  const [ref] = await odoo.searchRead<{ res_id: number }>(
    'ir.model.data',
    [
      ['module', '=', 'payment'],
      ['name', '=', 'payment_provider_stripe'],
    ],
    ['res_id'],
  );
  if (!ref) throw new Error('payment.payment_provider_stripe is not installed');
  await odoo.call('payment.provider', 'write', {
    ids: [ref.res_id],
    vals: {
      state: 'test',
      stripe_secret_key: keys.secretKey,
      stripe_publishable_key: keys.publishableKey,
      stripe_webhook_secret: keys.webhookSecret,
    },
  });
  return ref.res_id;
}
