// End-to-end check of Stripe payments on a real Odoo 19 with the Stripe mock (not a test suite):
//
//   npx tsx harness/dev/stripe-e2e.ts [--keep]
//
// The billing database (cached dependencies + fusion_billing) plus the test-only addon
// fusion_billing_stripe_mock pointing payment_stripe at the mock; the Stripe provider in test mode
// with dummy keys and the mock's webhook secret. Then, through the Lago API where it exists and
// `odoo-bin shell` for the private steps:
//   1. link cus_LAGO123 (a customer + card "Lago created") to a customer,
//   2. a subscription's closed period is invoiced and charged: Stripe succeeds, the invoice is paid,
//   3. the next charge is declined: the transaction is in error, the invoice unpaid,
//   4. the next one is `processing`; Stripe later succeeds and sends a signed
//      payment_intent.succeeded webhook to /payment/stripe/webhook; the post-processing cron pays it.
// Prints what the mock received and Odoo's transaction and invoice states.
import { join } from 'node:path';
import { OdooClient } from '../clients/json2.ts';
import { LagoClient, okBody } from '../clients/lago.ts';
import { startStripeMock, type StripeMock } from '../stripe/mock.ts';
import { prepareBillingDatabase } from '../runtime/billing-database.ts';
import { LocalRuntime, REPO_ROOT } from '../runtime/local.ts';

const DB = 'fusion_stripe_e2e';
const SECRET_KEY = 'sk_test_fusion_e2e';
const CUSTOMER = 'cus_LAGO123';

type TransactionRow = {
  id: number;
  reference: string;
  state: string;
  state_message: string | false;
  amount: number;
  provider_reference: string | false;
  payment_id: [number, string] | false;
  invoice_ids: number[];
};

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const mock = await startStripeMock({ secretKey: SECRET_KEY });
  mock.seedCustomer({
    id: CUSTOMER,
    email: 'billing@acme.test',
    name: 'Acme Cloud',
    defaultPaymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242' },
  });
  const runtime = new LocalRuntime({ addonsDirs: [join(REPO_ROOT, 'out'), join(REPO_ROOT, 'harness', 'addons')], keep });
  const log = (message: string) => console.log(message);
  try {
    await runtime.start((message) => console.error(`  ${message}`));
    await prepareBillingDatabase(runtime, DB);
    await runtime.installModules(DB, ['fusion_billing_stripe_mock']);
    await runtime.shell(DB, configureStripe(mock), 'stripe-config');
    const server = await runtime.startServer(DB);
    const adminKey = await runtime.createApiKey(DB, 'admin');
    const odoo = new OdooClient({ baseUrl: server.baseUrl, db: DB, apiKey: adminKey });
    const [service] = await odoo.searchRead<{ id: number }>('fusion.billing.service', [['code', '=', 'nexacloud']], ['id']);
    const { fusion_api_key: serviceKey } = await odoo.call<{ fusion_api_key: string }>(
      'fusion.billing.service',
      'action_generate_api_key',
      { ids: [service!.id] },
    );
    const lago = new LagoClient({ baseUrl: server.baseUrl, apiKey: serviceKey });

    // 1. The application registers its customer, with the Stripe customer Lago used.
    const upsert = await lago.upsertCustomer({
      external_id: 'tnt_acme0001',
      name: 'Acme Cloud',
      email: 'billing@acme.test',
      billing_configuration: { payment_provider: 'stripe', provider_customer_id: CUSTOMER },
    } as never);
    // Until upsert_customer calls link_payment_provider, the API ignores billing_configuration.
    const linkedByApi = mock.requestsTo('GET', `/v1/customers/${CUSTOMER}`).length > 0;
    log(`POST /customers → ${upsert.status}; linked by the API: ${linkedByApi ? 'yes' : 'no (linking in odoo-bin shell)'}`);
    const linked = await runtime.shell(
      DB,
      `
link = env['fusion.billing.account.link'].search([('external_id', '=', 'tnt_acme0001')])
token = env['payment.token'].search([('partner_id', '=', link.partner_id.id)])
if not token:
    token = link.partner_id._fusion_link_stripe_customer('${CUSTOMER}')
    env.cr.commit()
print('TOKEN', token.id, token.provider_ref, token.stripe_payment_method, token.payment_details, token.payment_method_id.code, token.provider_id.state)
`,
      'link',
    );
    log(`link: ${line(linked, 'TOKEN')}`);

    // 2.-4. Three monthly periods closed, each invoice charged with a different Stripe answer.
    okBody(
      await lago.createSubscription({
        external_customer_id: 'tnt_acme0001',
        plan_code: 'nexacloud_pro',
        external_id: 'sub_acme_1',
        subscription_at: monthsAgo(3),
      }),
      'subscription',
    );
    mock.queueOutcome({ status: 'succeeded' }, { customer: CUSTOMER }); // 1st invoice
    mock.queueOutcome({ status: 'declined', declineCode: 'insufficient_funds' }, { customer: CUSTOMER }); // 2nd
    mock.queueOutcome({ status: 'processing' }, { customer: CUSTOMER }); // 3rd
    const requestsBefore = mock.requests.length;
    // Odoo's payment module logs every non-2xx provider answer (the decline) at ERROR, which
    // would make the harness treat the shell run as failed: muted here, reported by the mock.
    const charged = await runtime.shell(
      DB,
      `
from dateutil.relativedelta import relativedelta
from odoo.tools import mute_logger
order = env['sale.order'].search([('fusion_external_id', '=', 'sub_acme_1')])
for months in (1, 2, 3):
    summary = order._fusion_close_periods(until=order.fusion_started_at + relativedelta(months=months))
    invoice = order.invoice_ids.sorted('id')[-1:]
    with mute_logger('odoo.addons.payment.models.payment_provider'):
        tx = invoice._fusion_charge_with_token()
    env.cr.commit()
    print('CHARGE', summary, invoice.name, invoice.amount_total, invoice.currency_id.name, tx.reference, tx.state, (tx.state_message or '').replace(chr(10), ' | '), invoice.payment_state)
`,
      'charge',
    );
    for (const row of charged.split('\n').filter((l) => l.startsWith('CHARGE'))) log(row);
    log('Stripe mock received:');
    for (const request of mock.requests.slice(requestsBefore)) {
      const p = request.params;
      log(
        `  ${request.method} ${request.path} → ${request.status}${request.replayed ? ' (replayed)' : ''}  amount=${p.amount} currency=${p.currency} customer=${p.customer} payment_method=${p.payment_method} off_session=${p.off_session} idempotency=${request.idempotencyKey?.slice(0, 12)}…`,
      );
    }

    // 4. The processing charge succeeds later; Stripe tells Odoo with a signed webhook.
    const processing = mock.paymentIntentsOf(CUSTOMER).find((pi) => pi.status === 'processing');
    if (processing) {
      mock.settlePaymentIntent(processing.id, { status: 'succeeded' });
      const sent = await mock.sendPaymentIntentEvent(`${server.baseUrl}/payment/stripe/webhook`, 'payment_intent.succeeded', processing.id);
      log(`webhook payment_intent.succeeded for ${processing.description} → HTTP ${sent.status}`);
      const forged = await mock.sendPaymentIntentEvent(
        `${server.baseUrl}/payment/stripe/webhook`,
        'payment_intent.succeeded',
        processing.id,
        { secret: 'whsec_forged' },
      );
      log(`same event signed with a wrong secret → HTTP ${forged.status}`);
      const posted = await runtime.shell(
        DB,
        `
env.ref('payment.cron_post_process_payment_tx').method_direct_trigger()
env.cr.commit()
print('POSTPROCESSED')
`,
        'post-process',
      );
      log(line(posted, 'POSTPROCESSED') ? 'post-processing cron ran' : 'post-processing cron did not answer');
    }

    const transactions = await odoo.searchRead<TransactionRow>(
      'payment.transaction',
      [['provider_code', '=', 'stripe']],
      ['reference', 'state', 'state_message', 'amount', 'provider_reference', 'payment_id', 'invoice_ids'],
      { order: 'id' },
    );
    const invoices = await odoo.searchRead<{ id: number; name: string; payment_state: string; amount_residual: number }>(
      'account.move',
      [['id', 'in', transactions.flatMap((t) => t.invoice_ids)]],
      ['name', 'payment_state', 'amount_residual'],
      { order: 'id' },
    );
    log('Odoo transactions:');
    for (const tx of transactions) {
      const invoice = invoices.find((i) => tx.invoice_ids.includes(i.id));
      log(
        `  ${tx.reference}: ${tx.state}${tx.state_message ? ` (${String(tx.state_message).replace(/\n/g, ' | ')})` : ''} ${tx.provider_reference || ''} payment=${tx.payment_id ? tx.payment_id[1] : '-'} invoice=${invoice?.name}:${invoice?.payment_state} residual=${invoice?.amount_residual}`,
      );
    }
    const serverProblems = server
      .logs()
      .split('\n')
      .filter((l) => / (WARNING|ERROR|CRITICAL) /.test(l));
    log(`server log WARNING/ERROR lines: ${serverProblems.length}`);
    for (const l of serverProblems) log(`  ${l.slice(0, 240)}`);
    const webhooks = await odoo.searchRead<{ webhook_type: string; object_key: string }>(
      'fusion.billing.webhook',
      [['object_type', 'in', ['invoice', 'payment_provider_invoice_payment_error']]],
      ['webhook_type', 'object_key'],
      { order: 'id' },
    );
    log(`fusion webhooks written: ${webhooks.map((w) => `${w.webhook_type}@${w.object_key}`).join(', ')}`);
  } finally {
    await runtime.stop();
    await mock.stop();
  }
}

function configureStripe(mock: StripeMock): string {
  return `
env['ir.config_parameter'].set_param('fusion_billing_stripe_mock.base_url', '${mock.baseUrl}')
provider = env.ref('payment.payment_provider_stripe')
provider.write({
    'state': 'test',
    'stripe_secret_key': '${SECRET_KEY}',
    'stripe_publishable_key': 'pk_test_fusion_e2e',
    'stripe_webhook_secret': '${mock.webhookSecret}',
})
env.cr.commit()
print('STRIPE_READY', provider.state, provider.journal_id.name)
`;
}

function line(output: string, prefix: string): string {
  return output.split('\n').find((l) => l.startsWith(prefix)) ?? `(no ${prefix} line)`;
}

function monthsAgo(months: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1)).toISOString();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
