"""Fixtures for the engine tests: a customer subscribed to a catalog plan, and usage rows."""

from datetime import datetime

from odoo.tests import TransactionCase


class EngineCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.env.ref('fusion_billing.service_nexacloud')
        cls.plan = cls.env.ref('fusion_billing.plan_nexacloud_pro')
        cls.partner = cls.env['res.partner'].create({'name': 'Engine Test Inc.', 'tz': 'UTC'})

    @classmethod
    def subscribe(cls, external_id, started_at, partner=None, plan=None):
        partner = partner or cls.partner
        service = (plan or cls.plan).fusion_service_id
        cls.account_link(service, partner)
        return cls.env['sale.order']._fusion_create_subscription(
            service, partner, plan or cls.plan, external_id, started_at=started_at)

    @classmethod
    def account_link(cls, service, partner):
        """The application account of `partner` for `service` (Lago's customer), as the API creates it."""
        Link = cls.env['fusion.billing.account.link']
        return Link.search([('service_id', '=', service.id), ('partner_id', '=', partner.id)], limit=1) or Link.create(
            {'service_id': service.id, 'external_id': f'tnt_engine{partner.id:04d}', 'partner_id': partner.id})

    @classmethod
    def add_events(cls, order, metric_code, events):
        """events: (timestamp, properties) pairs; transaction ids are generated."""
        metric = cls.env.ref(f'fusion_billing.metric_{metric_code}')
        Usage = cls.env['fusion.billing.usage']
        start = Usage.search_count([])
        return Usage.create([
            {
                'service_id': order.fusion_service_id.id,
                'metric_id': metric.id,
                'external_subscription_id': order.fusion_external_id,
                'order_id': order.id,
                'transaction_id': f'tx-{start + i}-{order.id}',
                'timestamp': timestamp,
                'properties': properties,
            }
            for i, (timestamp, properties) in enumerate(events)
        ])


def dt(*parts):
    return datetime(*parts)
