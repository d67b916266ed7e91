"""The administrator's screens: the overview's figures, the subscription's usage panel (the same
numbers as the API), spec records that refuse edits, the API key shown once, webhooks readable."""

from datetime import datetime, timedelta, timezone

from odoo.exceptions import UserError
from odoo.tests import tagged

from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestConsole(FusionApiCase):

    def subscribe(self, customer, external_id):
        self.customer(customer, name=f'Customer {customer}')
        started = (datetime.now(timezone.utc) - timedelta(days=40)).strftime('%Y-%m-%dT%H:%M:%SZ')
        self.assertOk(self.post('/subscriptions', {'subscription': {
            'external_customer_id': customer, 'plan_code': 'api_cloud_pro', 'external_id': external_id, 'subscription_at': started}}))
        return self.env['sale.order'].search([('fusion_external_id', '=', external_id)])

    def send(self, external_id, count, code='api_requests', **properties):
        now = int(datetime.now(timezone.utc).timestamp())
        self.assertOk(self.post('/events/batch', {'events': [{
            'transaction_id': f'{external_id}-{code}-{index}', 'external_subscription_id': external_id, 'code': code,
            'timestamp': now - index, 'properties': properties} for index in range(count)]}))

    def test_overview_counts_what_its_lists_show(self):
        """Each figure of a service's card is the number of records its button lists."""
        self.subscribe('tnt_over0001', 'sub_over')
        self.send('sub_over', 5)
        self.send('sub_over', 2, code='storage_gb')  # no gb property: flagged
        refused = self.post('/events', {'event': {'transaction_id': 'nobody-1', 'external_subscription_id': 'sub_nobody', 'code': 'api_requests'}})
        self.assertApiError(refused, 422, 'validation_errors')  # unknown subscription: refused, not stored
        endpoint = self.env['fusion.billing.webhook.endpoint'].create({'service_id': self.cloud.id, 'code': 'hooks', 'url': 'http://127.0.0.1:9/h'})
        self.customer('tnt_over0002', name='Second')  # a customer.created webhook, pending
        dead = self.env['fusion.billing.webhook'].search([('endpoint_id', '=', endpoint.id)], limit=1)
        dead.write({'state': 'dead', 'attempt_count': 6})
        self.cloud.invalidate_recordset()
        cloud = self.cloud
        self.assertEqual((cloud.overview_events_today, cloud.overview_events_month), (7, 7), 'the 7 stored events; the refused one is not stored')
        self.assertEqual(cloud.overview_events_flagged, 2, 'the storage events lack their gb property')
        self.assertEqual((cloud.overview_webhooks_dead, cloud.overview_webhooks_pending),
                         (1, self.env['fusion.billing.webhook'].search_count([('endpoint_id', '=', endpoint.id), ('state', '=', 'pending')])))
        self.assertEqual(self.desk.overview_events_month, 0, "another service's card counts only its own")
        for figure in ('events_today', 'events_month', 'events_flagged', 'events_late', 'webhooks_pending', 'webhooks_dead'):
            action = cloud.with_context(fusion_figure=figure).action_overview_open()
            listed = self.env[action['res_model']].search_count(action['domain'])
            self.assertEqual(listed, cloud[f'overview_{figure}'], f'{figure}: the card and its list agree')
        self.assertEqual(cloud.api_key_state, 'active')
        self.assertEqual(self.env['fusion.billing.service'].create({
            'name': 'Keyless', 'code': 'keyless', 'kind': 'cloud', 'currency_id': self.currency.id}).api_key_state, 'none')

    def test_usage_panel_shows_the_apis_current_usage(self):
        """The subscription's usage tab gives the current_usage figures, per charge and in total."""
        order = self.subscribe('tnt_panel001', 'sub_panel')
        self.send('sub_panel', 12)
        api = self.assertOk(self.get('/customers/tnt_panel001/current_usage', params={'external_subscription_id': 'sub_panel'}))['customer_usage']
        values = order._fusion_usage_panel_values()
        cents = 10 ** order.currency_id.decimal_places
        self.assertEqual(values['current']['amount'] * cents, api['amount_cents'])
        self.assertEqual(values['current']['taxes'] * cents, api['taxes_amount_cents'])
        self.assertEqual(values['current']['total'] * cents, api['total_amount_cents'])
        self.assertEqual([(row['units'], row['amount'] * cents) for row in values['current']['charges']],
                         [(entry['units'], entry['amount_cents']) for entry in api['charges_usage']])
        self.assertEqual(api['amount_cents'], 12, '12 requests at 0.01')
        self.assertEqual(order.currency_id.compare_amounts(order.fusion_current_amount, float(values['current']['amount'])), 0)
        self.assertEqual(values['base_fee'], 99, 'the plan bills its base fee before the first close')
        self.assertEqual([charge['price'] for charge in values['plan_charges']], [['0.01 per unit']])
        html = str(order.fusion_usage_panel)
        self.assertIn(order._fusion_format_money(values['current']['total'], order.currency_id), html)
        self.assertIn('99.00', html)

    def test_spec_records_refuse_edits_and_keep_operations(self):
        """A metric, charge, plan or service of the spec is changed in the spec; keys, URLs and
        secrets stay the administrator's."""
        metric = self.env.ref('fusion_billing.metric_nc_api_requests')
        self.assertTrue(metric.fusion_spec_managed)
        with self.assertRaisesRegex(UserError, 'billing spec'):
            metric.write({'name': 'Renamed'})
        with self.assertRaisesRegex(UserError, 'billing spec'):
            metric.unlink()
        plan = self.env.ref('fusion_billing.plan_nexacloud_pro')
        with self.assertRaisesRegex(UserError, 'billing spec'):
            plan.write({'fusion_amount': 1.0})
        plan.write({'note': 'internal note'})  # Odoo's own template fields stay editable
        service = metric.service_id
        with self.assertRaisesRegex(UserError, 'billing spec'):
            service.write({'code': 'other'})
        key = service.action_generate_api_key()['fusion_api_key']  # operational: allowed
        self.assertEqual(service.api_key_prefix, key[:10])
        self.assertFalse(self.api_requests.fusion_spec_managed, 'records made in Odoo stay editable')
        self.api_requests.write({'description': 'edited'})
        # The module's own data loading is the writer of spec fields.
        metric.with_context(fusion_spec_load=True).write({'description': 'from the spec'})

    def test_new_api_key_is_shown_once_in_a_dialog(self):
        """The key travels only in the dialog's context; the form then shows its prefix."""
        action = self.cloud.action_generate_api_key()
        key = action['fusion_api_key']
        self.assertEqual((action['target'], action['res_id']), ('new', self.cloud.id))
        self.assertEqual(self.cloud.with_context(action['context']).fusion_new_api_key, key)
        self.cloud.invalidate_recordset()
        self.assertFalse(self.cloud.fusion_new_api_key, 'not stored, not readable later')
        self.assertIn(key[:10], self.cloud.message_ids[0].body, 'the chatter keeps who generated which key')
        self.assertNotIn(key, self.cloud.message_ids[0].body)
        self.cloud.action_revoke_api_key()
        self.assertEqual(self.cloud.api_key_state, 'none')

    def test_webhook_shows_its_object_and_payload(self):
        endpoint = self.env['fusion.billing.webhook.endpoint'].create({'service_id': self.cloud.id, 'code': 'hooks', 'url': 'http://127.0.0.1:9/h'})
        self.customer('tnt_hook0001', name='Hooked')
        webhook = self.env['fusion.billing.webhook'].search([('endpoint_id', '=', endpoint.id)], limit=1)
        self.assertEqual(webhook.object_ref, self.link(self.cloud, 'tnt_hook0001'))
        self.assertIn('\n  "webhook_type": "customer.created"', webhook.payload_pretty)
        self.assertFalse(webhook.last_status_label, 'no attempt: no status, not 0')
