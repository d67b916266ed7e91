"""Outbound webhooks: an outbox written in the transaction that causes the event, delivered by a
cron with a timeout, exponential backoff with jitter, a bounded number of attempts, then a dead
letter; every attempt is logged. Delivery is at least once; the unique key lets receivers drop
duplicates, and webhooks about one object reach an endpoint in the order they were written."""

import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

import psycopg2
import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .. import settings
from ..engine.webhook_signing import retry_delay_seconds, signed_headers
from ..lago.ids import lago_id

_logger = logging.getLogger(__name__)

RESPONSE_EXCERPT_CHARS = 500


class FusionBillingWebhookEndpoint(models.Model):
    _inherit = 'fusion.billing.webhook.endpoint'

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # The form sends every field, an empty secret included: an endpoint always has one.
            if not vals.get('secret'):
                vals['secret'] = self._new_secret()
            vals.setdefault('secret_rotated_at', fields.Datetime.now())
        return super().create(vals_list)

    def write(self, vals):
        if 'secret' in vals:
            if not vals['secret']:
                raise ValidationError(self.env._('A webhook endpoint must keep a signing secret: rotate it, or set the one the application holds.'))
            vals.setdefault('secret_rotated_at', fields.Datetime.now())
        return super().write(vals)

    @staticmethod
    def _new_secret():
        return f'whsec_{secrets.token_urlsafe(32)}'

    def action_rotate_secret(self):
        """Replace the signing secret; the new one is shown once."""
        self.ensure_one()
        secret = self._new_secret()
        self.sudo().write({'secret': secret, 'secret_rotated_at': fields.Datetime.now()})
        self.service_id.message_post(body=self.env._('Signing secret of webhook endpoint %s rotated.', self.display_name))
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': self.env._('New signing secret for %s', self.url),
                'message': secret,
                'sticky': True,
                'type': 'warning',
            },
            'fusion_webhook_secret': secret,
        }

    def _accepts(self, webhook_type):
        return not self.event_types or webhook_type in self.event_types


class FusionBillingWebhook(models.Model):
    _inherit = 'fusion.billing.webhook'

    @api.model
    def _fusion_enqueue(self, service, webhook_type, object_type, record, payload_object):
        """Write one webhook per subscribed endpoint of `service`, in the caller's transaction:
        a rolled-back change sends nothing, a committed one cannot lose its webhook.

        The body is Lago's envelope, {webhook_type, object_type, organization_id, <object_type>: …}
        (app/services/webhooks/base_service.rb); the organization is the service's company."""
        if self.env.context.get('fusion_billing_import'):
            # Imported from Lago: the applications already know these customers and subscriptions.
            return self.browse()
        endpoints = service.sudo().webhook_endpoint_ids.filtered(lambda e: e.active and e._accepts(webhook_type))
        if not endpoints:
            return self.browse()
        now = fields.Datetime.now()
        envelope = {
            'webhook_type': webhook_type,
            'object_type': object_type,
            'organization_id': lago_id(service.company_id),
            object_type: payload_object,
        }
        return self.sudo().create([
            {
                'endpoint_id': endpoint.id,
                'webhook_type': webhook_type,
                'object_type': object_type,
                'object_key': f'{record._name},{record.id}',
                'unique_key': str(uuid.uuid4()),
                'payload': envelope,
                'state': 'pending',
                'next_attempt_at': now,
            }
            for endpoint in endpoints
        ])

    def action_replay(self):
        """Send again (dead letters included) with a fresh attempt budget; the unique key is kept."""
        self.sudo().write({'state': 'pending', 'attempt_count': 0, 'next_attempt_at': fields.Datetime.now()})
        return True

    @staticmethod
    def _fusion_due_condition():
        """Due: waiting, its time has come, and no older webhook of the same object is undelivered."""
        return SQL("""w.state IN ('pending', 'retrying') AND w.next_attempt_at <= %s
                  AND NOT EXISTS (
                      SELECT 1 FROM fusion_billing_webhook older
                       WHERE older.endpoint_id = w.endpoint_id AND older.object_key = w.object_key
                         AND older.state IN ('pending', 'retrying') AND older.id < w.id)""", fields.Datetime.now())

    @api.model
    def _fusion_due(self, limit):
        """Webhooks to send now, the oldest undelivered one of each object, locked for this
        transaction (SKIP LOCKED: two runners choose different ones). The locks end with the
        transaction: each one must be claimed again before it is sent (_fusion_claim)."""
        return self._fusion_lock_due(SQL("TRUE"), limit)

    def _fusion_claim(self):
        """This webhook, locked for this transaction, if it is still due; else nothing. Another
        runner may have sent it since the batch was chosen (its lock ended with the batch's first
        commit), or may be sending it now (locked: skipped)."""
        self.ensure_one()
        return self._fusion_lock_due(SQL("w.id = %s", self.id))

    @api.model
    def _fusion_lock_due(self, condition, limit=None):
        """The due webhooks that also meet `condition`, oldest first, locked FOR UPDATE SKIP
        LOCKED; none when another runner changed one since this transaction began (a
        serialization failure: that runner is at work on it)."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    "SELECT w.id FROM fusion_billing_webhook w WHERE %s AND %s ORDER BY w.id %s FOR UPDATE SKIP LOCKED",
                    self._fusion_due_condition(), condition, SQL("LIMIT %s", limit) if limit else SQL(),
                ), log_exceptions=False)
                return self.browse([row[0] for row in self.env.cr.fetchall()])
        except psycopg2.errors.SerializationFailure:
            return self.browse()

    @api.model
    def _cron_deliver(self):
        """Send the due webhooks, one transaction each, while the cron's time lasts (then it runs
        again at once for the rest). Any number of runners may do this at the same time."""
        due = self._fusion_due(settings.WEBHOOK_BATCH_SIZE)
        time_left = self.env.context.get('cron_end_time', float('inf')) - time.monotonic()
        for index, webhook in enumerate(due):
            if time_left <= 0:
                # Past the cron's time slice: a run longer than Odoo's limit_time_real is killed
                # mid-delivery (the webhook sent, its attempt not recorded: sent twice).
                self.env['ir.cron']._commit_progress(remaining=len(due) - index)
                return
            claimed = webhook._fusion_claim()
            claimed._fusion_deliver()
            # Commit each delivery, so that a crash later in the batch does not resend it.
            time_left = self.env['ir.cron']._commit_progress(processed=len(claimed), remaining=len(due) - index - 1)

    def _fusion_signed_headers(self, body):
        """The headers of one delivery of `body`: Lago's X-Lago-Signature (JWT or HMAC, per the
        endpoint) and the replay-protected X-Fusion ones."""
        endpoint = self.endpoint_id
        token = None
        if endpoint.signature_algorithm == 'jwt':
            token = self.env['fusion.billing.signing.key']._fusion_key_of(endpoint.company_id)._fusion_sign(body)
        headers = signed_headers(endpoint.signature_algorithm, body, self.unique_key, int(time.time()), endpoint.secret, jwt_token=token)
        headers['User-Agent'] = 'fusion-billing-webhooks'
        return headers

    def _fusion_deliver(self):
        """One attempt for each webhook of `self`; records the outcome and schedules the next try."""
        for webhook in self.sudo():
            endpoint = webhook.endpoint_id
            body = json.dumps(webhook.payload, separators=(',', ':')).encode()
            attempted_at = fields.Datetime.now()
            started = time.monotonic()
            status, excerpt, error = None, None, None
            try:
                headers = webhook._fusion_signed_headers(body)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # one unsignable webhook must not stall the queue
                _logger.exception('webhook %s to %s could not be signed', webhook.unique_key, endpoint.url)
                error = f'not signed: {type(exc).__name__}: {exc}'[:RESPONSE_EXCERPT_CHARS]
            if error is None:
                try:
                    response = requests.post(endpoint.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False)
                    status, excerpt = response.status_code, response.text[:RESPONSE_EXCERPT_CHARS]
                except requests.RequestException as exc:
                    error = f'{type(exc).__name__}: {exc}'[:RESPONSE_EXCERPT_CHARS]
            latency_ms = int((time.monotonic() - started) * 1000)
            attempts = webhook.attempt_count + 1
            values = {'attempt_count': attempts, 'last_status_code': status or False, 'last_error': error or False}
            if status is not None and 200 <= status < 300:
                values.update(state='succeeded', delivered_at=fields.Datetime.now(), next_attempt_at=False)
            elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                values.update(state='dead', next_attempt_at=False)
                _logger.info('webhook %s to %s dead-lettered after %s attempts', webhook.unique_key, endpoint.url, attempts)
            else:
                delay = retry_delay_seconds(attempts, settings.WEBHOOK_BASE_DELAY_SECONDS, settings.WEBHOOK_MAX_DELAY_SECONDS)
                values.update(state='retrying', next_attempt_at=attempted_at + timedelta(seconds=delay))
            webhook.write(values)
            self.env['fusion.billing.webhook.attempt'].sudo().create({
                'webhook_id': webhook.id,
                'attempted_at': attempted_at,
                'status_code': status or False,
                'latency_ms': latency_ms,
                'error': error or False,
                'response_excerpt': excerpt or False,
            })
