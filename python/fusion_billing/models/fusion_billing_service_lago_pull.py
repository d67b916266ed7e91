"""The shadow run's usage, pulled by Odoo from Lago on a schedule.

A service in shadow mode with Lago's API URL and key set has each subscription's events read from
Lago (GET /events, page by page) every run of the cron, from a day before where the last run
stopped, and stored through the same code as POST /events/batch: with their original transaction
ids, so that a window read twice, or events the application also sent here, are stored once."""

import logging
from datetime import timedelta, timezone

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..controllers.api import ApiError
from ..controllers.handlers import create_event, create_events_batch
from ..lago.pull import event_input, events_page_url, next_page

_logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# Each run reads again the last day before where the previous one stopped: events Lago received
# late (an application's retry) are not missed.
OVERLAP = timedelta(days=1)
BATCH = 100


class FusionBillingService(models.Model):
    _inherit = 'fusion.billing.service'

    @api.model
    def _cron_fusion_pull_lago_events(self):
        services = self.search([('billing_mode', '=', 'shadow'), ('lago_api_url', '!=', False)])
        for index, service in enumerate(services):
            try:
                service._fusion_pull_lago_events()
            except (requests.RequestException, UserError) as error:
                # Lago unreachable or refusing: the window stays where it was, retried next run.
                _logger.warning('fusion_billing: pulling %s events from Lago failed: %s', service.code, error)
            self.env['ir.cron']._commit_progress(processed=1, remaining=len(services) - index - 1)

    def action_fusion_pull_lago_events(self):
        """Button: pull the events from Lago now."""
        self.ensure_one()
        summary = self._fusion_pull_lago_events()
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': self.env._('Events pulled from Lago'),
                'message': self.env._('%(read)s event(s) read for %(subscriptions)s subscription(s), %(refused)s refused.', **summary),
                'sticky': False,
            },
        }

    def _fusion_pull_lago_events(self, now=None):
        """Pull every subscription's events of the window from Lago; {subscriptions, read, refused}."""
        self.ensure_one()
        service = self.sudo()
        if not service.lago_api_url or not service.lago_api_key:
            raise UserError(self.env._('Set the Lago API URL and key of %s first.', service.name))
        now = now or fields.Datetime.now()
        orders = self.env['sale.order'].sudo().search([
            ('fusion_service_id', '=', service.id), ('fusion_external_id', '!=', False), ('state', '=', 'sale')])
        summary = {'subscriptions': len(orders), 'read': 0, 'refused': 0}
        session = requests.Session()
        session.headers.update({'Authorization': f'Bearer {service.lago_api_key}', 'Accept': 'application/json'})
        for order in orders:
            start = max(order.fusion_started_at, service.lago_pulled_until - OVERLAP) if service.lago_pulled_until else order.fusion_started_at
            events = self._fusion_lago_events(session, service.lago_api_url, order.fusion_external_id, start, now)
            summary['read'] += len(events)
            summary['refused'] += service._fusion_store_pulled(events)
        service.lago_pulled_until = now
        _logger.info('fusion_billing: %s: %s event(s) pulled from Lago for %s subscription(s), %s refused',
                     service.code, summary['read'], summary['subscriptions'], summary['refused'])
        return summary

    @api.model
    def _fusion_lago_events(self, session, api_url, external_subscription_id, start, end):
        events, page = [], 1
        while page:
            url = events_page_url(api_url, external_subscription_id, start.replace(tzinfo=timezone.utc), end.replace(tzinfo=timezone.utc), page)
            response = session.get(url, timeout=TIMEOUT_SECONDS)
            if response.status_code != 200:
                raise UserError(self.env._('Lago answered %(status)s to %(url)s', status=response.status_code, url=url))
            body = response.json()
            events += [event_input(event) for event in body.get('events') or []]
            page = next_page(body)
        return events

    def _fusion_store_pulled(self, events):
        """Store events as POST /events/batch does; a refused batch is retried event by event so
        that one bad event keeps only itself out. Returns how many were refused (logged)."""
        refused = 0
        for start in range(0, len(events), BATCH):
            batch = events[start:start + BATCH]
            try:
                with self.env.cr.savepoint():
                    create_events_batch(self, {'events': batch}, {}, {})
                continue
            except ApiError:
                pass
            for event in batch:
                try:
                    with self.env.cr.savepoint():
                        create_event(self, {'event': event}, {}, {})
                except ApiError as error:
                    refused += 1
                    _logger.warning('fusion_billing: %s: Lago event %s of %s refused: %s',
                                    self.code, event['transaction_id'], event['external_subscription_id'], error.error_details or error.code)
        return refused
