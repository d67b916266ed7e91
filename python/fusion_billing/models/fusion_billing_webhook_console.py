"""What the webhook deliveries screen shows a person: the object a webhook is about by its name,
the payload indented, and no status code where no response came back."""

import json

from odoo import api, fields, models


class FusionBillingWebhook(models.Model):
    _inherit = 'fusion.billing.webhook'

    object_ref = fields.Reference(
        selection='_selection_object_ref', string='About', compute='_compute_object_ref',
        help='The record the webhook reports on.')
    payload_pretty = fields.Text(string='Payload (formatted)', compute='_compute_payload_pretty')
    last_status_label = fields.Char(string='Last status', compute='_compute_last_status_label')

    @api.model
    def _selection_object_ref(self):
        return [(model, self.env[model]._description) for model in
                ('account.move', 'sale.order', 'res.partner', 'fusion.billing.account.link', 'fusion.billing.usage',
                 'fusion.billing.alert', 'payment.transaction') if model in self.env]

    @api.depends('object_key')
    def _compute_object_ref(self):
        allowed = dict(self._selection_object_ref())
        for webhook in self:
            model, _sep, record_id = (webhook.object_key or '').partition(',')
            ref = False
            if model in allowed and record_id.isdigit() and self.env[model].browse(int(record_id)).exists():
                ref = f'{model},{record_id}'
            webhook.object_ref = ref

    @api.depends('payload')
    def _compute_payload_pretty(self):
        for webhook in self:
            webhook.payload_pretty = json.dumps(webhook.payload, indent=2, ensure_ascii=False, sort_keys=False) if webhook.payload else False

    @api.depends('last_status_code', 'attempt_count', 'last_error')
    def _compute_last_status_label(self):
        for webhook in self:
            if webhook.last_status_code:
                webhook.last_status_label = str(webhook.last_status_code)
            elif webhook.attempt_count:
                webhook.last_status_label = self.env._('No response')
            else:
                webhook.last_status_label = False


class FusionBillingWebhookAttempt(models.Model):
    _inherit = 'fusion.billing.webhook.attempt'

    status_label = fields.Char(string='Status', compute='_compute_status_label')

    @api.depends('status_code', 'error')
    def _compute_status_label(self):
        for attempt in self:
            attempt.status_label = str(attempt.status_code) if attempt.status_code else self.env._('No response')
