from odoo.tests import tagged

from ..lago.ids import lago_id
from .api_common import FusionApiCase


@tagged('post_install', '-at_install')
class TestApiCustomers(FusionApiCase):

    def test_create_customer(self):
        customer = self.customer(
            'tnt_acme0001', name='Acme Cloud', email='billing@acme.test', country='ca', state='ON',
            city='Toronto', zipcode='M5V 2T6', address_line1='1 Front St', address_line2='Suite 100',
            phone='+1 416 555 0100', timezone='America/Toronto', currency='USD')
        link = self.link(self.cloud, 'tnt_acme0001')
        partner = link.partner_id
        address = {
            'address_line1': '1 Front St', 'address_line2': 'Suite 100', 'city': 'Toronto', 'zipcode': 'M5V 2T6',
            'state': 'ON', 'country': 'CA',
        }
        self.assertEqual(customer, {
            'lago_id': lago_id(link),
            'external_id': 'tnt_acme0001',
            'account_type': 'customer',
            'name': 'Acme Cloud',
            'firstname': None,
            'lastname': None,
            'customer_type': 'individual',
            'sequential_id': link.id,
            'slug': f'API_CLOUD-{link.id:04d}',
            'created_at': customer['created_at'],
            'updated_at': customer['updated_at'],
            **address,
            'email': 'billing@acme.test',
            'url': None,
            'phone': '+1 416 555 0100',
            'logo_url': None,
            'legal_name': None,
            'legal_number': None,
            'currency': self.currency.name,
            'tax_identification_number': None,
            'timezone': 'America/Toronto',
            'applicable_timezone': 'America/Toronto',
            'net_payment_term': None,
            'external_salesforce_id': None,
            'finalize_zero_amount_invoice': 'inherit',
            'billing_configuration': {'document_locale': 'en', 'subscription_invoice_issuing_date_anchor': None,
                                      'subscription_invoice_issuing_date_adjustment': None},
            'shipping_address': address,
            'skip_invoice_custom_sections': False,
            'metadata': [],
            'integration_customers': [],
            'taxes': [],
        })
        self.assertEqual(partner.country_id, self.env.ref('base.ca'))
        self.assertEqual(partner.state_id, self.env.ref('base.state_ca_on'))
        self.assertEqual(partner.tz, 'America/Toronto')
        self.assertEqual((partner.street, partner.street2, partner.zip), ('1 Front St', 'Suite 100', 'M5V 2T6'))

    def test_upsert_updates_the_same_partner(self):
        first = self.customer('tnt_acme0002', name='Acme', email='a@acme.test', country='CA', state='QC')
        second = self.customer('tnt_acme0002', name='Acme Inc.', state='ON', city='Ottawa')
        self.assertEqual(first['lago_id'], second['lago_id'])
        partner = self.link(self.cloud, 'tnt_acme0002').partner_id
        self.assertEqual((partner.name, partner.email, partner.city), ('Acme Inc.', 'a@acme.test', 'Ottawa'))
        self.assertEqual(partner.state_id, self.env.ref('base.state_ca_on'))  # the stored country's state
        third = self.customer('tnt_acme0002', email=None, name=None)
        self.assertIsNone(third['email'])
        self.assertEqual(third['name'], 'Acme Inc.')  # a partner keeps its name
        self.assertEqual(len(self.env['fusion.billing.account.link'].search([('service_id', '=', self.cloud.id)])), 1)

    def test_customer_without_name_is_named_by_its_external_id(self):
        self.assertEqual(self.customer('tnt_noname01')['name'], 'tnt_noname01')
        self.assertEqual(self.customer('tnt_legal001', legal_name='Legal Ltd')['name'], 'Legal Ltd')

    def test_external_id_must_match_the_service_pattern(self):
        for external_id, code in (('ws-1234', 'invalid_format'), ('TNT_ABCDEF', 'invalid_format'),
                                  ('tnt_abcdef\n', 'invalid_format'), ('', 'value_is_mandatory'),
                                  (None, 'value_is_mandatory'), (['tnt_abcdef'], 'invalid_format')):
            with self.subTest(external_id=external_id):
                self.assertApiError(self.post('/customers', {'customer': {'external_id': external_id}}),
                                    422, 'validation_errors', {'external_id': [code]})
        self.customer('ws-1234', key=self.desk_key)  # NexaDesk's pattern
        self.assertFalse(self.link(self.cloud, 'ws-1234'))

    def test_invalid_fields_are_422(self):
        payload = {'external_id': 'tnt_invalid1', 'email': 'not-an-email', 'country': 'XX', 'timezone': 'Mars/Olympus',
                   'currency': 'ZZZ', 'name': 42}
        self.assertApiError(self.post('/customers', {'customer': payload}), 422, 'validation_errors', {
            'email': ['invalid_email_format'], 'country': ['country_code_invalid'], 'timezone': ['invalid_timezone'],
            'currency': ['value_is_invalid'], 'name': ['invalid_format']})
        self.assertApiError(
            self.post('/customers', {'customer': {'external_id': 'tnt_invalid1', 'country': 'CA', 'state': 'Narnia'}}),
            422, 'validation_errors', {'state': ['value_is_invalid']})
        self.assertApiError(
            self.post('/customers', {'customer': {'external_id': 'tnt_invalid1', 'state': 'ON'}}),
            422, 'validation_errors', {'state': ['value_is_invalid']})
        self.assertFalse(self.link(self.cloud, 'tnt_invalid1'))
        self.assertFalse(self.env['res.partner'].search([('name', '=', 'tnt_invalid1')]))

    def test_state_by_name_and_country_without_states(self):
        self.assertEqual(self.customer('tnt_state001', country='CA', state='Ontario')['state'], 'ON')
        customer = self.customer('tnt_state002', country='SG', state='Central')
        self.assertIsNone(customer['state'])
        self.assertEqual(customer['country'], 'SG')

    def test_one_partner_across_applications(self):
        """NexaCloud's tenant and NexaDesk's workspace of one company land on one partner."""
        cloud = self.customer('tnt_globex01', name='Globex', email='Billing@Globex.test')
        desk = self.customer('ws-20001', key=self.desk_key, name='Globex Corp', email='billing@GLOBEX.test')
        self.assertNotEqual(cloud['lago_id'], desk['lago_id'], "each service's customer is its own Lago customer")
        partner = self.link(self.cloud, 'tnt_globex01').partner_id
        self.assertEqual(self.link(self.desk, 'ws-20001').partner_id, partner)
        self.assertEqual(partner.name, 'Globex Corp')
        self.assertEqual(len(self.env['res.partner'].search([('email', '=ilike', 'billing@globex.test')])), 1)

    def test_one_partner_by_vat(self):
        cloud = self.customer('tnt_initech1', name='Initech', tax_identification_number='CA123456789')
        desk = self.customer('ws-30001', key=self.desk_key, tax_identification_number='CA123456789')
        self.assertEqual(self.link(self.cloud, 'tnt_initech1').partner_id, self.link(self.desk, 'ws-30001').partner_id)
        self.assertEqual(cloud['tax_identification_number'], desk['tax_identification_number'])
        self.assertEqual(desk['tax_identification_number'], 'CA123456789')

    def test_email_match_is_literal(self):
        self.customer('tnt_under001', email='a_b@corp.test')
        self.customer('ws-40001', key=self.desk_key, email='axb@corp.test')
        self.assertNotEqual(self.link(self.desk, 'ws-40001').partner_id, self.link(self.cloud, 'tnt_under001').partner_id)

    def test_two_accounts_of_one_application_stay_two_customers(self):
        first = self.customer('tnt_team0001', email='ops@hooli.test')
        second = self.customer('tnt_team0002', email='ops@hooli.test')
        self.assertNotEqual(first['lago_id'], second['lago_id'])
        # A third application account still joins the first partner found (a customer of its own service).
        self.customer('ws-50001', key=self.desk_key, email='ops@hooli.test')
        self.assertEqual(self.link(self.desk, 'ws-50001').partner_id, self.link(self.cloud, 'tnt_team0001').partner_id)

    def test_existing_partner_is_reused(self):
        partner = self.env['res.partner'].create({'name': 'Umbrella', 'email': 'ap@umbrella.test', 'is_company': True})
        self.customer('tnt_umbrel01', email='AP@umbrella.test')
        self.assertEqual(self.link(self.cloud, 'tnt_umbrel01').partner_id, partner)

    def test_archived_link_is_reactivated(self):
        self.customer('tnt_archiv01', name='Old')
        link = self.link(self.cloud, 'tnt_archiv01')
        link.active = False
        self.assertEqual(self.customer('tnt_archiv01', name='Back')['name'], 'Back')
        self.assertTrue(link.active)

    def test_another_service_never_sees_the_customer(self):
        self.customer('tnt_secret01', name='Secret', email='secret@cloud.test')
        self.assertApiError(self.get('/customers/tnt_secret01/current_usage', self.desk_key,
                                     params={'external_subscription_id': 'any'}), 404, 'customer_not_found')
        self.assertApiError(self.get('/invoices', self.desk_key, params={'external_customer_id': 'tnt_secret01'}),
                            404, 'customer_not_found')
        body = self.assertApiError(self.get('/customers/tnt_nobody01/current_usage',
                                            params={'external_subscription_id': 'any'}), 404, 'customer_not_found')
        self.assertEqual(body, {'status': 404, 'error': 'Not Found', 'code': 'customer_not_found'})
