"""The webhook outbox: written with the change that causes it, signed, retried with backoff,
dead-lettered, replayed, delivered in order per object, and processed once per unique key."""

import base64
import json
import socket
import time
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .. import settings
from ..engine.webhook_signing import lago_hmac, verify_fusion, verify_lago_hmac
from ..lago.ids import lago_id
from .engine_common import EngineCase, dt
from .webhook_receiver import WebhookReceiver


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return f'http://127.0.0.1:{sock.getsockname()[1]}/down'


@tagged('post_install', '-at_install')
class TestWebhookOutbox(EngineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = cls.env.ref('fusion_billing.webhook_endpoint_nexacloud_billing_events')
        cls.Webhook = cls.env['fusion.billing.webhook']

    def pending_for(self, order):
        return self.Webhook.search([('object_key', '=', f'sale.order,{order.id}')], order='id')

    def test_endpoints_get_a_secret_and_rotation_replaces_it(self):
        self.assertTrue(self.endpoint.secret.startswith('whsec_'))
        old = self.endpoint.secret
        action = self.endpoint.action_rotate_secret()
        self.assertNotEqual(self.endpoint.secret, old)
        self.assertEqual(action['fusion_webhook_secret'], self.endpoint.secret)
        # The endpoint form sends every field, an empty secret among them.
        created = self.endpoint.copy({'code': 'from_the_form', 'url': 'http://127.0.0.1:9/new', 'secret': False})
        self.assertTrue(created.secret.startswith('whsec_'))
        with self.assertRaises(ValidationError):
            created.secret = False
        created.secret = 'the-key-the-application-holds'
        self.assertEqual(created.secret, 'the-key-the-application-holds')

    def test_subscription_start_writes_the_webhook_in_the_same_transaction(self):
        order = self.subscribe('wh-start', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        self.assertEqual(webhook.mapped('webhook_type'), ['subscription.started'])
        self.assertEqual(webhook.endpoint_id, self.endpoint)
        self.assertEqual(webhook.payload['object_type'], 'subscription')
        self.assertEqual(webhook.payload['subscription']['external_id'], 'wh-start')

    def test_a_rolled_back_change_leaves_no_webhook(self):
        before = self.Webhook.search_count([])
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.subscribe('wh-rollback', dt(2026, 1, 1))
            raise RuntimeError('the caller fails after the subscription was written')
        self.assertEqual(self.Webhook.search_count([]), before)

    def test_endpoints_only_get_the_types_they_subscribed_to(self):
        desk = self.env.ref('fusion_billing.webhook_endpoint_nexadesk_billing_events')
        self.assertFalse(desk._accepts('subscription.started'))
        self.assertTrue(desk._accepts('subscription.terminated'))
        service = self.env.ref('fusion_billing.service_nexadesk')
        plan = self.env.ref('fusion_billing.plan_nexadesk_team')
        order = self.env['sale.order']._fusion_create_subscription(service, self.partner, plan, 'wh-desk', started_at=dt(2026, 1, 1))
        self.assertFalse(self.pending_for(order))
        order._fusion_terminate(at=dt(2026, 1, 10))
        self.assertEqual(self.pending_for(order).mapped('webhook_type'), ['subscription.terminated'])

    def test_delivery_is_signed_and_logged(self):
        """A jwt endpoint (Lago's default): X-Lago-Signature is an RS256 JWT of {data: <raw body>, iss}
        that verifies with the published public key, as a Lago receiver checks it."""
        self.assertEqual(self.endpoint.signature_algorithm, 'jwt')
        order = self.subscribe('wh-deliver', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        with WebhookReceiver() as receiver:
            self.endpoint.url = receiver.url
            webhook._fusion_deliver()
        self.assertEqual(webhook.state, 'succeeded')
        self.assertTrue(webhook.delivered_at)
        [request] = receiver.requests
        headers = request['headers']
        self.assertEqual(headers['X-Lago-Signature-Algorithm'], 'jwt')
        key = self.env['fusion.billing.signing.key']._fusion_key_of(self.service.company_id)
        issuer = self.env['ir.config_parameter'].sudo().get_param('web.base.url')
        # Verified with the public key alone, as a receiver does (the harness checks the same
        # tokens with the `jose` JWT library).
        header, claims, signature = headers['X-Lago-Signature'].split('.')
        unb64 = lambda part: base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))  # noqa: E731
        public = serialization.load_pem_public_key(key.public_key.encode())
        public.verify(unb64(signature), f'{header}.{claims}'.encode(), padding.PKCS1v15(), hashes.SHA256())  # raises if forged
        self.assertEqual(json.loads(unb64(header)), {'alg': 'RS256', 'typ': 'JWT'})
        self.assertEqual(json.loads(unb64(claims)), {'data': request['body'].decode(), 'iss': issuer})
        self.assertIsNone(verify_fusion(self.endpoint.secret, headers, request['body'], now=int(time.time())))
        self.assertEqual(headers['X-Lago-Unique-Key'], webhook.unique_key)
        self.assertEqual(json.loads(request['body']), webhook.payload)
        self.assertEqual(webhook.attempt_ids.mapped('status_code'), [200])
        self.assertGreaterEqual(webhook.attempt_ids.latency_ms, 0)

    def test_hmac_endpoint_signs_the_raw_body_with_a_key_the_administrator_may_set(self):
        """An hmac endpoint signs as Lago does, base64(HMAC-SHA256(key, raw body)); setting the key to
        the one the application holds from Lago leaves its receiver unchanged."""
        # The algorithm as the spec would set it; the secret as the administrator does.
        self.endpoint.with_context(fusion_spec_load=True).write({'signature_algorithm': 'hmac'})
        self.endpoint.write({'secret': 'the-hmac-key-lago-gave-the-app'})
        order = self.subscribe('wh-hmac', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        with WebhookReceiver() as receiver:
            self.endpoint.url = receiver.url
            webhook._fusion_deliver()
        [request] = receiver.requests
        self.assertEqual(request['headers']['X-Lago-Signature-Algorithm'], 'hmac')
        self.assertEqual(request['headers']['X-Lago-Signature'], lago_hmac('the-hmac-key-lago-gave-the-app', request['body']))
        self.assertIsNone(verify_lago_hmac('the-hmac-key-lago-gave-the-app', request['headers'], request['body']))
        self.assertIsNone(verify_fusion('the-hmac-key-lago-gave-the-app', request['headers'], request['body'], now=int(time.time())))

    def test_envelope_has_lagos_keys_and_the_organization(self):
        order = self.subscribe('wh-envelope', dt(2026, 1, 1))
        payload = self.pending_for(order).payload
        self.assertEqual(list(payload), ['webhook_type', 'object_type', 'organization_id', 'subscription'])
        self.assertEqual(payload['organization_id'], lago_id(self.service.company_id))
        # Lago's subscription webhooks carry the plan and the customer.
        self.assertEqual(payload['subscription']['plan']['code'], self.plan.fusion_plan_code)
        self.assertEqual(payload['subscription']['customer']['external_id'], self.account_link(self.service, self.partner).external_id)

    def test_signing_key_rotation_and_an_imported_key(self):
        Key = self.env['fusion.billing.signing.key']
        key = Key._fusion_key_of(self.service.company_id)
        old_public = key.public_key
        key.action_rotate()
        self.assertNotEqual(key.public_key, old_public)
        self.assertEqual(Key._fusion_key_of(self.service.company_id), key)
        other = Key.create({'company_id': self.service.company_id.id})
        self.assertEqual(Key._fusion_key_of(self.service.company_id), other, 'the newest key is the active one')
        self.assertFalse(key.active)
        # A key pasted from a self-hosted Lago keeps its public key.
        other.private_key = key.sudo().private_key
        self.assertEqual(other.public_key, key.public_key)
        with self.assertRaises(ValidationError):
            other.private_key = 'not a key'

    def test_failures_back_off_then_dead_letter_then_replay_delivers(self):
        order = self.subscribe('wh-retry', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        self.endpoint.url = _closed_port_url()
        before = fields.Datetime.now()
        webhook._fusion_deliver()
        self.assertEqual((webhook.state, webhook.attempt_count), ('retrying', 1))
        self.assertIn('ConnectionError', webhook.last_error)
        # First retry after 15 s plus at most 15% jitter.
        delay = (webhook.next_attempt_at - before).total_seconds()
        self.assertGreaterEqual(delay, settings.WEBHOOK_BASE_DELAY_SECONDS - 1)
        self.assertLessEqual(delay, settings.WEBHOOK_BASE_DELAY_SECONDS * 1.15 + 1)
        self.assertNotIn(webhook, self.Webhook._fusion_due(100), 'not due before its retry time')

        with WebhookReceiver() as receiver:
            self.endpoint.url = receiver.url
            receiver.script = [500] * (settings.WEBHOOK_MAX_ATTEMPTS - 1)
            while webhook.state == 'retrying':
                webhook._fusion_deliver()
            self.assertEqual(webhook.state, 'dead')
            self.assertEqual(webhook.attempt_count, settings.WEBHOOK_MAX_ATTEMPTS)
            self.assertEqual(len(webhook.attempt_ids), settings.WEBHOOK_MAX_ATTEMPTS)
            self.assertEqual(webhook.attempt_ids.sorted('id').mapped('status_code')[1:], [500] * (settings.WEBHOOK_MAX_ATTEMPTS - 1))
            self.assertNotIn(webhook, self.Webhook._fusion_due(100))

            webhook.action_replay()
            self.assertIn(webhook, self.Webhook._fusion_due(100))
            webhook._fusion_deliver()
        self.assertEqual(webhook.state, 'succeeded')
        self.assertEqual(list(receiver.processed), [webhook.unique_key])

    def test_receiver_dedups_a_webhook_delivered_twice(self):
        """A response lost after the receiver acted (here: answered 200, then the outbox was told it failed)."""
        order = self.subscribe('wh-twice', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        with WebhookReceiver() as receiver:
            self.endpoint.url = receiver.url
            webhook._fusion_deliver()
            webhook.action_replay()
            webhook._fusion_deliver()
        self.assertEqual(len(receiver.requests), 2)
        self.assertEqual({r['headers']['X-Lago-Unique-Key'] for r in receiver.requests}, {webhook.unique_key})
        self.assertEqual(len(receiver.processed), 1)

    def test_webhooks_of_one_object_are_delivered_in_order(self):
        order = self.subscribe('wh-order', dt(2026, 1, 1))
        order._fusion_terminate(at=dt(2026, 1, 2))
        started, terminated = self.pending_for(order)
        self.assertEqual((started.webhook_type, terminated.webhook_type), ('subscription.started', 'subscription.terminated'))
        due = self.Webhook._fusion_due(100)
        self.assertIn(started, due)
        self.assertNotIn(terminated, due, 'waits until the older webhook of the same object is delivered')
        with WebhookReceiver() as receiver:
            self.endpoint.url = receiver.url
            started._fusion_deliver()
            self.assertIn(terminated, self.Webhook._fusion_due(100))
            terminated._fusion_deliver()
        self.assertEqual([json.loads(r['body'])['webhook_type'] for r in receiver.requests], ['subscription.started', 'subscription.terminated'])

    def test_a_webhook_that_cannot_be_signed_is_retried_without_stalling_the_others(self):
        first = self.pending_for(self.subscribe('wh-unsignable', dt(2026, 1, 1)))
        second = self.pending_for(self.subscribe('wh-after', dt(2026, 1, 1)))
        self.Webhook.search([('id', 'not in', (first | second).ids), ('state', 'in', ('pending', 'retrying'))]).state = 'succeeded'
        Webhook = type(self.Webhook)
        sign = Webhook._fusion_signed_headers

        def sign_or_fail(webhook, body):
            if webhook == first:
                raise ValueError('no signing key')
            return sign(webhook, body)

        with WebhookReceiver() as receiver, patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *a, **k: 1.0), \
                patch.object(Webhook, '_fusion_signed_headers', sign_or_fail), mute_logger('odoo.addons.fusion_billing.models.fusion_billing_webhook_outbox'):
            self.endpoint.url = receiver.url
            self.Webhook._cron_deliver()
        self.assertEqual((first.state, first.attempt_count), ('retrying', 1))
        self.assertIn('not signed: ValueError: no signing key', first.last_error)
        self.assertEqual(second.state, 'succeeded')
        self.assertEqual([r['headers']['X-Lago-Unique-Key'] for r in receiver.requests], [second.unique_key])

    def test_cron_delivers_due_webhooks(self):
        order = self.subscribe('wh-cron', dt(2026, 1, 1))
        webhook = self.pending_for(order)
        self.Webhook.search([('id', '!=', webhook.id), ('state', 'in', ('pending', 'retrying'))]).state = 'succeeded'
        with WebhookReceiver() as receiver, patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *a, **k: 1.0):
            self.endpoint.url = receiver.url
            self.Webhook._cron_deliver()
        self.assertEqual(webhook.state, 'succeeded')
        self.assertEqual(len(receiver.requests), 1)

    def test_a_webhook_another_runner_sent_since_the_batch_was_chosen_is_not_sent_again(self):
        first = self.pending_for(self.subscribe('wh-race-a', dt(2026, 1, 1)))
        second = self.pending_for(self.subscribe('wh-race-b', dt(2026, 1, 1)))
        self.Webhook.search([('id', 'not in', (first | second).ids), ('state', 'in', ('pending', 'retrying'))]).state = 'succeeded'
        Webhook = type(self.Webhook)
        choose = Webhook._fusion_due

        def chosen_then_sent_elsewhere(model, limit):
            batch = choose(model, limit)
            # What another runner does once this batch's first commit has released its locks.
            second.write({'state': 'succeeded', 'attempt_count': 1, 'next_attempt_at': False})
            return batch

        with WebhookReceiver() as receiver, patch.object(type(self.env['ir.cron']), '_commit_progress', lambda *a, **k: 1.0), \
                patch.object(Webhook, '_fusion_due', chosen_then_sent_elsewhere):
            self.endpoint.url = receiver.url
            self.Webhook._cron_deliver()
        self.assertEqual([r['headers']['X-Lago-Unique-Key'] for r in receiver.requests], [first.unique_key])
        self.assertEqual((first.state, second.attempt_count), ('succeeded', 1), 'sent once, by the other runner')

    def test_delivery_stops_when_the_cron_time_slice_is_over(self):
        webhook = self.pending_for(self.subscribe('wh-slice', dt(2026, 1, 1)))
        self.Webhook.search([('id', '!=', webhook.id), ('state', 'in', ('pending', 'retrying'))]).state = 'succeeded'
        progress = []
        with WebhookReceiver() as receiver, patch.object(type(self.env['ir.cron']), '_commit_progress',
                                                         lambda _cron, processed=0, **k: progress.append((processed, k.get('remaining'))) or 0.0):
            self.endpoint.url = receiver.url
            self.Webhook.with_context(cron_end_time=time.monotonic() - 1)._cron_deliver()
        self.assertEqual((webhook.state, receiver.requests), ('pending', []), 'nothing sent past the time slice')
        self.assertEqual(progress, [(0, 1)], 'the rest reported, so that the cron runs again at once')


@tagged('post_install', '-at_install')
class TestInvoiceWebhooks(EngineCase):
    def test_posting_a_subscription_invoice_writes_invoice_created(self):
        order = self.subscribe('wh-invoice', dt(2026, 1, 1))
        self.add_events(order, 'nc_egress_gb', [(dt(2026, 1, 5), {'gb': '300'})])
        order._fusion_close_periods(until=dt(2026, 2, 1))
        invoice = order.invoice_ids
        webhook = self.env['fusion.billing.webhook'].search([('object_key', '=', f'account.move,{invoice.id}')])
        self.assertEqual(webhook.mapped('webhook_type'), ['invoice.created'])
        body = webhook.payload['invoice']
        self.assertEqual((body['lago_id'], body['status'], body['currency']), (lago_id(invoice), 'finalized', 'CAD'))
        # 99.00 base + 10.00 egress (300 GB: 100 free, 2 packages of 100 at 5.00)
        self.assertEqual(body['fees_amount_cents'], 10900)
        self.assertEqual(body['total_amount_cents'], round(invoice.amount_total * 100))
